// Runs before every test file (jest.config.js `setupFiles`).
//
// The SDK's gRPC retry interceptor (@temporalio/client grpc-retry.ts) retries a call that failed retryably from a
// setTimeout, and nothing cancels that timer when the connection is closed. A call still in flight when a test file
// tears its environment down (the server going away fails it retryably) thus retries after the file has ended, in
// whichever file the jest worker runs next, where grpc-js throws "Channel has been shut down" from the timer and
// fails that unrelated suite. In tests, such a late retry on a closed channel becomes a call that never answers:
// nobody is left to hear it, and it holds no handle. Every other error, and every call on an open channel, is
// untouched.
import type * as GrpcJs from '@grpc/grpc-js';

const grpcPath = require.resolve('@grpc/grpc-js', { paths: [require.resolve('@temporalio/client')] });
// eslint-disable-next-line @typescript-eslint/no-require-imports
const grpc = require(grpcPath) as typeof GrpcJs;
const SHUT_DOWN = 'Channel has been shut down';

type CreateCall = GrpcJs.Channel['createCall'];
const proto = grpc.Channel.prototype as { createCall: CreateCall; lateRetryPatched?: boolean };
if (!proto.lateRetryPatched) {
  proto.lateRetryPatched = true;
  const createCall = proto.createCall;
  proto.createCall = function (this: GrpcJs.Channel, ...args: Parameters<CreateCall>) {
    try {
      return createCall.apply(this, args);
    } catch (err) {
      if (!(err instanceof Error) || err.message !== SHUT_DOWN) throw err;
      return silentCall();
    }
  } as CreateCall;
}

/** A call that was never sent and never answers. */
function silentCall(): ReturnType<CreateCall> {
  const nothing = () => undefined;
  return {
    cancelWithStatus: nothing,
    getPeer: () => 'closed channel',
    sendMessageWithContext: nothing,
    start: nothing,
    startRead: nothing,
    halfClose: nothing,
    getCallNumber: () => 0,
    setCredentials: nothing,
    getAuthContext: () => null,
  } as unknown as ReturnType<CreateCall>;
}
