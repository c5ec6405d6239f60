// The workflows the worker registers. Workflow code: deterministic, no Node APIs, only types from
// activities.
export * from './provision-namespace';
export * from './update-namespace';
export * from './decommission-namespace';
export * from './rotate-api-key';
export * from './rotate-namespace-ca';
export * from './rotate-expiring-keys';
export * from './watch-expiry';
export * from './list-expiring';
export * from './offboard-user';
export * from './reconcile';
export * from './export-account';
export * from './namespace-exists';
export * from './ops-api-limiter';
export * from './grant-temporary-access';
