// Unit checks of the `cloud` dialect's encoding and of the strict protobuf-JSON check it is tested with.
import { protoJsonProblems } from '../../src/cloud-api';
import { CLOUD_ROUTES, cloudDialect } from '../../src/ops-api/dialects';

const cloud = cloudDialect();

describe('encode fills path parameters whose template names are snake_case', () => {
  test.each([
    ['getUser', { userId: 'u 1' }, 'cloud/users/u%201'],
    ['deleteUser', { userId: 'u1', resourceVersion: 'v1' }, 'cloud/users/u1'],
    ['getServiceAccount', { serviceAccountId: 'sa1' }, 'cloud/service-accounts/sa1'],
    ['deleteServiceAccount', { serviceAccountId: 'sa1' }, 'cloud/service-accounts/sa1'],
    ['getApiKey', { keyId: 'k/1' }, 'cloud/api-keys/k%2F1'],
    ['deleteApiKey', { keyId: 'k1' }, 'cloud/api-keys/k1'],
    ['getAsyncOperation', { asyncOperationId: 'op-1' }, 'cloud/operations/op-1'],
    ['getNamespace', { namespace: 'ns.a1b2c' }, 'cloud/namespaces/ns.a1b2c'],
  ] as const)('%s', (operationId, input, path) => {
    const wire = cloud.encode(operationId, input as never);
    expect(wire.path).toBe(path);
    expect(CLOUD_ROUTES[operationId].pathFields.some((f) => f in (wire.query ?? {}))).toBe(false);
  });

  test('a delete sends the rest of the request as the query', () => {
    expect(
      cloud.encode('deleteUser', { userId: 'u1', resourceVersion: 'v1', asyncOperationId: 'op' }),
    ).toEqual({
      method: 'DELETE',
      path: 'cloud/users/u1',
      query: { resourceVersion: 'v1', asyncOperationId: 'op' },
    });
  });
});

describe('protoJsonProblems', () => {
  const listApiKeys = CLOUD_ROUTES.listApiKeys.request;

  test('an enum is a name the enum has, or a JSON number; not a number in a string', () => {
    expect(protoJsonProblems(listApiKeys, { ownerType: 'OWNER_TYPE_USER' })).toEqual([]);
    expect(protoJsonProblems(listApiKeys, { ownerType: 1 })).toEqual([]);
    // protobufjs's `values` inherits "0", "1", ... from valuesById; they are not names.
    expect(protoJsonProblems(listApiKeys, { ownerType: '1' })).toEqual([
      'GetApiKeysRequest.ownerType: "1" is not a value of OwnerType',
    ]);
    expect(protoJsonProblems(listApiKeys, { ownerType: 'OWNER_TYPE_ROBOT' })).toHaveLength(1);
  });

  test('an int32 is a JSON number or a string holding one, integral and within range', () => {
    for (const ok of [5, '5', -3, '-3', '1.0', '1e2', 2 ** 31 - 1]) {
      expect([ok, protoJsonProblems(listApiKeys, { pageSize: ok })]).toEqual([ok, []]);
    }
    for (const bad of ['', ' 5', '0x10', 'five', 1.5, 2 ** 31, -(2 ** 31) - 1, true]) {
      expect([bad, protoJsonProblems(listApiKeys, { pageSize: bad })]).toEqual([bad, [expect.any(String)]]);
    }
  });
});
