// An update the API refuses because it changes nothing (INVALID_ARGUMENT "nothing to change", as an
// independent fake of the real service answers) is judged by reading again: a resource already as wanted is
// `changed: false`, never a failure; a refused change that is not there yet still fails. The refusal is the
// test's (a client whose fetch answers every update so): no public source shows the real service doing it,
// so the emulator has no switch for it (docs/real-service.md).
import { createActivities } from '../../src/activities';
import { OpsApiClient } from '../../src/ops-api';
import { stackPerTest, testDialect, type OpsStack } from '../helpers/stack';

let stack: OpsStack;
// The test's client does not retry the edge's answers: they are another suite's matter.
stackPerTest({ realism: { edgeAnswers: false } }, (made) => ({ stack } = made));
const cloud = testDialect() === 'cloud';

/** Every update (a POST to one resource, its /update or its access) refused as the fake refuses a no-op. */
const UPDATE =
  /\/(namespaces|users|service-accounts|api-keys)\/[^/]+(\/update|\/(users|service-accounts)\/[^/]+\/access)?$/;
const refusingUpdates: typeof fetch = async (input, init) => {
  const request = new Request(input, init);
  const { pathname } = new URL(request.url);
  if (request.method !== 'POST' || !UPDATE.test(pathname)) return fetch(request);
  const body = pathname.startsWith('/cloud/')
    ? { code: 3, message: 'nothing to change', details: [] }
    : { code: 'invalid_argument', message: 'nothing to change' };
  return Response.json(body, { status: 400 });
};

function refusingActivities() {
  const { emulator } = stack;
  const client = new OpsApiClient({
    baseUrl: emulator.url,
    apiKey: emulator.apiKey,
    dialect: stack.client.dialect.name,
    fetch: refusingUpdates,
  });
  return createActivities({ client, secrets: stack.secrets });
}

async function seeded() {
  const { namespaceIds, userIds } = await stack.emulator.seed({
    namespaces: [{ name: 'noop', region: 'aws-us-east-1', retentionDays: 7 }],
    users: [{ email: 'noop@example.com', access: { accountAccess: { role: 'developer' } } }],
  });
  return { namespaceId: namespaceIds[0]!, userId: userIds[0]! };
}

test('a refused namespace update of what is already so is changed: false (desired state, update-namespace)', async () => {
  const { namespaceId } = await seeded();
  const activities = refusingActivities();
  const key = (step: string) => `noop-updates/run/${step}`;

  await expect(
    activities.updateNamespaceSpec({ namespaceId, changes: { retentionDays: 7 }, operationKey: key('ns') }),
  ).resolves.toEqual({ changed: false });
  const ns = await stack.client.getNamespace(namespaceId);
  await expect(
    activities.updateNamespace({
      namespace: namespaceId,
      request: { resourceVersion: ns.resourceVersion, spec: ns.spec },
      operationKey: key('update'),
    }),
  ).resolves.toEqual({ changed: false });
});

// The given document has no way to change a user's role or access.
(cloud ? test : test.skip)(
  'a refused role or access change of what is already so is changed: false',
  async () => {
    const { namespaceId, userId } = await seeded();
    const activities = refusingActivities();
    const key = (step: string) => `noop-updates/run/${step}`;
    await expect(
      activities.setAccountRole({
        kind: 'user',
        principalId: userId,
        role: 'developer',
        operationKey: key('role'),
      }),
    ).resolves.toEqual({ changed: false });
    await expect(
      activities.setNamespaceAccess({
        kind: 'user',
        principalId: userId,
        namespaceId,
        permission: null,
        operationKey: key('access'),
      }),
    ).resolves.toEqual({ changed: false });
  },
);

test('a refused update of what is not so yet stays a failure', async () => {
  const { namespaceId, userId } = await seeded();
  const activities = refusingActivities();
  await expect(
    activities.updateNamespaceSpec({
      namespaceId,
      changes: { retentionDays: 9 },
      operationKey: 'noop-updates/run/ns',
    }),
  ).rejects.toThrow(/updateNamespace 400 invalid_argument: nothing to change/);
  if (cloud) {
    await expect(
      activities.setAccountRole({
        kind: 'user',
        principalId: userId,
        role: 'read',
        operationKey: 'noop-updates/run/role',
      }),
    ).rejects.toThrow(/nothing to change/);
  }
  expect((await stack.client.getNamespace(namespaceId)).spec.retentionDays).toBe(7);
});
