// The bundled protos as protobufjs JSON reflection (see protos.ts for the parts used).
declare module '@temporalio/proto/protos/json-module.js' {
  const root: unknown;
  export default root;
}
