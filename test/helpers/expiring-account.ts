// The account the expiry watch's suites watch: API keys of a service account the watch is set to rotate (svc-auto),
// of one it is not (svc-manual) and of a user (dev@example.com), and a namespace (payments) accepting four CAs, each
// expiring at 5, 20, 40 and 100 days. Each expires half a day past its whole day, so "5 days left" holds from `now` to
// the middle of day 5, whatever a test server's clock drifts. Four throw-away CAs: call it once per file.
import type { Emulator } from '../../src/emulator';
import { makeTestCertificate, pemToBase64 } from './certificates';

const DAY = 86_400_000;
export const EXPIRY_DAYS = [5, 20, 40, 100];
export const WATCHED_USER = 'dev@example.com';

/** Seeds the account; returns each key's id by its name (`svc-auto-5d`, …, `dev-100d`). */
export async function seedExpiringAccount(
  emulator: Pick<Emulator, 'seed'>,
  now: number,
): Promise<Map<string, string>> {
  const at = (days: number) => new Date(now + (days + 0.5) * DAY);
  const cas = EXPIRY_DAYS.map((d) =>
    makeTestCertificate({ commonName: `CA ${d}d`, now: new Date(now), validForDays: d + 0.5 }),
  );
  const { serviceAccountIds, userIds } = await emulator.seed({
    namespaces: [
      {
        name: 'payments',
        region: 'aws-us-east-1',
        retentionDays: 7,
        mtlsAuth: { acceptedClientCa: pemToBase64(...cas) },
      },
    ],
    serviceAccounts: [{ name: 'svc-auto' }, { name: 'svc-manual' }],
    users: [{ email: WATCHED_USER }],
  });
  const owners = [
    { name: 'svc-auto', ownerId: serviceAccountIds[0]!, ownerType: 'service-account' as const },
    { name: 'svc-manual', ownerId: serviceAccountIds[1]!, ownerType: 'service-account' as const },
    { name: 'dev', ownerId: userIds[0]!, ownerType: 'user' as const },
  ];
  const keys = owners.flatMap(({ name, ...owner }) =>
    EXPIRY_DAYS.map((d) => ({ displayName: `${name}-${d}d`, ...owner, expiryTime: at(d).toISOString() })),
  );
  const { apiKeys } = await emulator.seed({ apiKeys: keys });
  return new Map(keys.map((k, i) => [k.displayName, apiKeys[i]!.keyId]));
}
