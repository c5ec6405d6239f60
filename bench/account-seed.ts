// The `account` scenario's account: namespaces, users with grants, service accounts with grants and keys, seeded
// straight into the emulator (already active, no async operation). Deterministic from the sizes, so every phase
// starts from the same account.
import type { DesiredStateInput } from '../src/desired-state/schema';
import type { Emulator, SeedInput } from '../src/emulator';
import { OFFBOARD_KEYS, serviceAccountKeys, type AccountSizes } from './account-sizes';
import { DAY_MS, REGION } from './kit';

const ACCOUNT_ID = 'a1b2c';
const pad = (i: number, n = 5) => String(i + 1).padStart(n, '0');

export const namespaceName = (i: number) => `acct-ns-${pad(i)}`;
export const serviceAccountName = (i: number) => `acct-sa-${pad(i, 4)}`;
export const userEmail = (i: number, runId: string) => `user${pad(i)}@acct-${runId}.example.com`;
const nsId = (i: number, sizes: AccountSizes) => `${namespaceName(i % sizes.namespaces)}.${ACCOUNT_ID}`;

/** Two namespace grants per principal, spread over the namespaces. */
function grants(i: number, sizes: AccountSizes, permission: 'read' | 'write') {
  return {
    namespaceAccesses: Object.fromEntries(
      [i, i + Math.floor(sizes.namespaces / 2)].map((n) => [nsId(n, sizes), { permission }]),
    ),
  };
}

/** Seeds the whole account; returns the offboarded users' emails. */
export async function seedAccount(emulator: Emulator, sizes: AccountSizes, runId: string): Promise<string[]> {
  const now = Date.now();
  const expiry = (days: number) => new Date(now + days * DAY_MS).toISOString();
  const emails = Array.from({ length: sizes.users }, (_, i) => userEmail(i, runId));
  const first: SeedInput = {
    namespaces: Array.from({ length: sizes.namespaces }, (_, i) => ({
      name: namespaceName(i),
      region: REGION,
      retentionDays: 30,
    })),
  };
  await emulator.seed(first);
  const { userIds, serviceAccountIds } = await emulator.seed({
    users: emails.map((email, i) => ({
      email,
      access: { accountAccess: { role: 'developer' }, ...grants(i, sizes, 'read') },
    })),
    serviceAccounts: Array.from({ length: sizes.serviceAccounts }, (_, i) => ({
      name: serviceAccountName(i),
      access: { accountAccess: { role: 'read' }, ...grants(i, sizes, 'write') },
    })),
  });
  const saKeys = serviceAccountKeys(sizes);
  const owners = serviceAccountIds.length;
  await emulator.seed({
    apiKeys: [
      // Key i belongs to account i mod S; the first `due` keys expire within the sweep's 14-day lead time.
      ...Array.from({ length: saKeys }, (_, i) => ({
        displayName: `key-${pad(Math.floor(i / owners), 3)}`,
        ownerId: serviceAccountIds[i % owners]!,
        ownerType: 'service-account' as const,
        expiryTime: expiry(i < sizes.due ? 7 : 300),
      })),
      ...userIds.slice(0, sizes.offboard).flatMap((ownerId, u) =>
        Array.from({ length: OFFBOARD_KEYS }, (_, k) => ({
          displayName: `user${pad(u)}-key${k + 1}`,
          ownerId,
          ownerType: 'user' as const,
          expiryTime: expiry(300),
        })),
      ),
    ],
  });
  return emails.slice(0, sizes.offboard);
}

/** What the apply phase changes: issue 22's 1,000 changes and 100 deletes, fewer in a smaller account. */
export interface ApplyChanges {
  retention: number;
  newKeys: number;
  newUsers: number;
  deletes: number;
}

export function applyChanges(sizes: AccountSizes): ApplyChanges {
  const retention = Math.min(400, sizes.namespaces);
  const newKeys = Math.min(400, sizes.serviceAccounts);
  // The leavers of the offboard phase are not deleted here: the users after them are.
  const deletes = Math.min(100, sizes.users - sizes.offboard);
  return { retention, newKeys, newUsers: Math.min(sizes.users, 1000 - retention - newKeys), deletes };
}

/**
 * The account's own export with the apply phase's changes: longer retention for the first namespaces, one more key
 * for the first service accounts, new users with two grants each (grants come with the user in either dialect), and
 * the file owning every user of the run (prune) while leaving `deletes` of them out.
 */
export function changedFile(
  exported: DesiredStateInput,
  sizes: AccountSizes,
  runId: string,
): DesiredStateInput {
  const c = applyChanges(sizes);
  const namespaces = exported.namespaces ?? [];
  const deleted = new Set(
    Array.from({ length: c.deletes }, (_, i) => userEmail(sizes.offboard + i, runId).toLowerCase()),
  );
  return {
    ...exported,
    namespaces: namespaces.map((n, i) => (i < c.retention ? { ...n, retentionDays: 45 } : n)),
    serviceAccounts: (exported.serviceAccounts ?? []).map((sa, i) =>
      i < c.newKeys
        ? { ...sa, apiKeys: [...(sa.apiKeys ?? []), { displayName: 'added', expiryDays: 90 }] }
        : sa,
    ),
    users: [
      ...(exported.users ?? []).filter((u) => !deleted.has(u.email.toLowerCase())),
      ...Array.from({ length: c.newUsers }, (_, i) => ({
        email: `new${pad(i)}@acct-${runId}.example.com`,
        role: 'developer' as const,
        access: Object.fromEntries(
          [i, i + 1].map((n) => [namespaces[n % namespaces.length]!.name, 'read' as const]),
        ),
      })),
    ],
    prune: { users: [`*@acct-${runId}.example.com`] },
  };
}
