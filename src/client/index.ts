// Temporal client side of the product: connecting like the worker does and starting workflows under
// business-key ids. Used by the CLI starters and the events endpoint.
export * from './connect';
export * from './describe';
export * from './start-or-attach';
