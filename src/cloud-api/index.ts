// The real Ops API's wire contract, shared by the client's `cloud` dialect (src/ops-api) and the emulator's
// /cloud routes (src/emulator): routes and messages from the bundled protos, strict protobuf JSON, status
// codes, the dialect names, and the domain's specs in the real API's terms.
export * from '../shared/dialects';
export * from './access-specs';
export * from './canonical';
export * from './enums';
export * from './json';
export * from './proto-json';
export * from './protos';
export * from './requests';
export * from './specs';
export * from './status';
export * from './unmodelled';
