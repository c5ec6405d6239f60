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
  // The given spec's own request schema first, then the silences' operation at the same path and method.
  const [given, silences] = body.allOf as [Record<string, unknown>, Record<string, unknown>];
  expect(given).toMatchObject({ type: 'object', required: ['spec'] });
  expect(JSON.stringify(given)).toContain('"retentionDays":{"type":"integer"}');
  expect(JSON.stringify(silences)).toContain('"required":["name","region","retentionDays"]');
  expect(JSON.stringify(silences)).toContain('"acceptedClientCa"');
  expect(JSON.stringify(silences)).toContain('"minimum":1,"maximum":90');
  // updateNamespace reuses createNamespace's rules through a $ref into an allOf array.
  expect(JSON.stringify(byId('updateNamespace').schema.body)).toContain('"minimum":1,"maximum":90');
  expect(byId('listApiKeys').schema.querystring).toMatchObject({
    properties: {
      pageSize: { allOf: [{ type: 'integer' }, { type: 'integer', minimum: 0 }] },
      ownerType: { allOf: [{ type: 'string' }, { enum: ['user', 'service-account'] }] },
    },
    required: [],
  });
  // Identical schemas in both documents (path parameters here) are not doubled up.
  expect(byId('getUser').schema.params).toEqual({
    type: 'object',
    properties: { userId: { type: 'string' } },
    required: ['userId'],
  });
});

test('an operation in the silences that the given spec does not have is refused', () => {
  const docs = loadSpecs();
  const paths = docs.silences.paths as Record<string, Record<string, unknown>>;
  const bad = structuredClone(docs);
  (bad.silences.paths as Record<string, unknown>)['/api/v1/regions'] = {
    ...paths['/api/v1/regions'],
    post: { operationId: 'createRegion', responses: {} },
  };
  expect(() => buildRoutes(bad)).toThrow(/POST \/api\/v1\/regions \(createRegion\) is not an operation/);
  const renamed = structuredClone(docs);
  const ops = renamed.silences.paths as Record<string, Record<string, Record<string, unknown>>>;
  ops['/api/v1/regions']!.get!.operationId = 'listAllRegions';
  expect(() => buildRoutes(renamed)).toThrow(/listAllRegions/);
});
