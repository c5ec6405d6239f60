import { OPERATION_IDS } from '../../src/ops-api/types';
import { buildRoutes, loadSpecs } from '../../src/emulator/spec-loader';

const routes = buildRoutes(loadSpecs());
const byId = (id: string) => routes.find((r) => r.operationId === id)!;

test('one route per spec operation, at the spec paths', () => {
  expect(routes.map((r) => r.operationId).sort()).toEqual([...OPERATION_IDS].sort());
  expect(byId('updateNamespace')).toMatchObject({
    method: 'POST',
    specPath: '/api/v1/namespaces/{namespace}/update',
    url: '/api/v1/namespaces/:namespace/update',
  });
  expect(byId('deleteApiKey')).toMatchObject({ method: 'DELETE', url: '/api/v1/api-keys/:keyId' });
});

test('schemas come from the spec, $refs resolved, examples stripped, silences layered on', () => {
  const body = byId('createNamespace').schema.body!;
  const text = JSON.stringify(body);
  expect(text).not.toContain('$ref');
  expect(text).not.toContain('example_value');
  expect(body).toMatchObject({ type: 'object', required: ['spec'] });
  // The given spec's own shape and the silences' stricter NamespaceSpec, combined.
  expect(text).toContain('"retentionDays":{"type":"integer"}');
  expect(text).toContain('"required":["name","region","retentionDays"]');
  expect(text).toContain('"acceptedClientCa"');
  expect(byId('listApiKeys').schema.querystring).toMatchObject({
    properties: {
      pageSize: { type: 'integer' },
      ownerType: { allOf: [{ type: 'string' }, { enum: ['user', 'service-account'] }] },
    },
  });
  expect(byId('getUser').schema.params).toEqual({
    type: 'object',
    properties: { userId: { type: 'string' } },
    required: ['userId'],
  });
});
