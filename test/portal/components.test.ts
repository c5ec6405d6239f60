// The labels the request page gives the keys of a run's result and status.
import { humanKey } from '../../src/portal/views/components';

test('keys read as words, acronyms as they are written', () => {
  expect(humanKey('serviceAccountId')).toBe('Service account ID');
  expect(humanKey('apiKeyGrpcAddress')).toBe('API key gRPC address');
  // A label that starts with an acronym keeps its small first letter, as its neighbours show it.
  expect(humanKey('grpcAddress')).toBe('gRPC address');
  expect(humanKey('mtlsGrpcAddress')).toBe('mTLS gRPC address');
});
