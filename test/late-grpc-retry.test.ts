// The jest setup in test/helpers/late-grpc-retry.ts: a late SDK retry on a closed channel is absorbed, nothing else.
import type * as GrpcJs from '@grpc/grpc-js';

// The SDK's own copy (not a dependency of ours): the one the setup patches.
const grpcPath = require.resolve('@grpc/grpc-js', { paths: [require.resolve('@temporalio/client')] });
// eslint-disable-next-line @typescript-eslint/no-require-imports
const grpc = require(grpcPath) as typeof GrpcJs;

test('a call created on a closed channel never answers instead of throwing from a timer', async () => {
  const channel = new grpc.Channel('127.0.0.1:1', grpc.credentials.createInsecure(), {});
  channel.close();
  const call = channel.createCall(
    '/temporal.api.workflowservice.v1.WorkflowService/GetSystemInfo',
    Infinity,
    null,
    null,
    0,
  );
  const heard: unknown[] = [];
  call.start(new grpc.Metadata(), {
    onReceiveMetadata: (m) => heard.push(m),
    onReceiveMessage: (m) => heard.push(m),
    onReceiveStatus: (s) => heard.push(s),
  });
  call.halfClose();
  await new Promise((r) => setTimeout(r, 50));
  expect(heard).toEqual([]);
});

test('an open channel makes real calls', () => {
  const channel = new grpc.Channel('127.0.0.1:1', grpc.credentials.createInsecure(), {});
  try {
    const call = channel.createCall('/x.Y/Z', Infinity, null, null, 0);
    expect(call.getPeer()).not.toBe('closed channel');
    call.cancelWithStatus(grpc.status.CANCELLED, 'test');
  } finally {
    channel.close();
  }
});
