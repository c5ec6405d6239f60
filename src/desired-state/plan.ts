// The plan: what to change so the account matches the desired state. Pure: the account as read (an
// AccountSnapshot) and the file in, the changes out — no state file, the live account is the state.
import { baseDisplayName } from '../shared/api-key-names';
import { matchesAny, type DesiredState, type NamespaceEntry, type Permission } from './schema';
import { isLive, newestFirst, normalizeCa } from '../shared/resources';
import { fingerprintOf } from './plan-summary';

export { hasChanges, planSummary } from './plan-summary';

/** What the plan needs to know of the account, as read through the Ops API (never a token). */
export interface AccountSnapshot {
  /** Region ids the account may use (listRegions). */
  regions: string[];
  namespaces: Array<{
    id: string;
    name: string;
    region: string;
    retentionDays: number;
    codecServer?: NamespaceEntry['codecServer'];
    mtlsAuth?: NamespaceEntry['mtlsAuth'];
    apiKeyAuth: boolean;
    state: string;
  }>;
  serviceAccounts: Array<{
    id: string;
    name: string;
    state: string;
    /** By namespace id; a namespace-scoped account's one namespace and permission too. */
    access: Record<string, Permission>;
    /** The account role of an account-wide account (`none` or absent: none). */
    role?: string;
    /** The namespace id a namespace-scoped account is scoped to. */
    namespaceScoped?: string;
  }>;
  users: Array<{
    id: string;
    email: string;
    state: string;
    role: string;
    access: Record<string, Permission>;
  }>;
  /** Keys of service accounts (user keys are the users' own business). */
  apiKeys: Array<{
    id: string;
    ownerId: string;
    displayName: string;
    expiryTime: string;
    createdTime?: string;
    state: string;
  }>;
}

export type ResourceKind = 'namespace' | 'serviceAccount' | 'apiKey' | 'user';
export type Action = 'create' | 'update' | 'delete' | 'rotate';

export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}

export interface Change {
  kind: ResourceKind;
  /** Namespace / account name, user email, `<account>/<key name>` for a key. */
  name: string;
  action: Action;
  /** What changes, field by field (for a create: every field it is made with). */
  fields: FieldChange[];
  /** Deletes, access removed, a namespace's auth switched off: applied only once approved. */
  destructive: boolean;
  /** Why, when it is not obvious (pruned, due for rotation, ...). */
  reason?: string;
  /** Cannot be done through this Ops API; reported, skipped on apply. */
  blocked?: string;
  /** The existing resource's id, when there is one. */
  targetId?: string;
}

export interface Plan {
  changes: Change[];
  unchanged: Array<{ kind: ResourceKind; name: string }>;
  /** In the account, not in the file, and not owned by it (prune): left alone. */
  unmanaged: Array<{ kind: ResourceKind; name: string }>;
  /** Why the file cannot be applied as it is (e.g. a region the account does not offer). */
  problems: string[];
  /** Identifies these exact changes: the plan that was approved is the plan that runs. */
  fingerprint: string;
}

export interface PlanOptions {
  /** "Now" (ms) for key expiry; workflow time when run in a workflow. */
  now: number;
  /** Whether the Ops API can change an existing principal's access and role. */
  canChangeAccess: boolean;
  /** Whether the Ops API has namespace-scoped service accounts (default: no). */
  namespaceScopedAccounts?: boolean;
}

const DAY_MS = 86_400_000;
const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
const SCOPE_BLOCKED =
  'a service account’s scope (namespace-scoped or account-wide, and which namespace) cannot change; delete it and create it again, or give the new one another name';
const ACCESS_BLOCKED =
  'the given Ops API has no operation to change an existing principal’s access or role; use the real API (OPS_API_DIALECT=cloud) or change it by hand';

export function computePlan(desired: DesiredState, account: AccountSnapshot, options: PlanOptions): Plan {
  const changes: Change[] = [];
  const unchanged: Plan['unchanged'] = [];
  const unmanaged: Plan['unmanaged'] = [];
  const problems: string[] = [];
  const prune = desired.prune ?? {};
  const live = <T extends { state: string }>(items: T[]) => items.filter(isLive);

  // ---------------------------------------------------------------- namespaces
  const namespaces = live(account.namespaces);
  const nsByName = new Map(namespaces.map((n) => [n.name, n]));
  const nsNameById = new Map(namespaces.map((n) => [n.id, n.name]));
  const keyed = new Set(
    desired.serviceAccounts.filter((sa) => sa.apiKeys.length > 0).flatMap((sa) => Object.keys(sa.access)),
  );
  for (const want of desired.namespaces) {
    if (account.regions.length > 0 && !account.regions.includes(want.region)) {
      problems.push(
        `namespace ${want.name}: region "${want.region}" is not one of ${account.regions.join(', ')}`,
      );
    }
    // API-key auth is managed when the file says so, or switched on when a key of the file reaches it.
    const apiKeyAuth = want.apiKeyAuth ?? (keyed.has(want.name) ? true : undefined);
    const have = nsByName.get(want.name);
    if (!have) {
      changes.push({
        kind: 'namespace',
        name: want.name,
        action: 'create',
        destructive: false,
        fields: createFields({ ...want, ...(apiKeyAuth !== undefined ? { apiKeyAuth } : {}) }),
      });
      continue;
    }
    const fields: FieldChange[] = [];
    const diff = (field: string, from: unknown, to: unknown) => {
      if (!same(from, to)) fields.push({ field, from: from ?? null, to: to ?? null });
    };
    diff('retentionDays', have.retentionDays, want.retentionDays);
    diff('codecServer', normalCodec(have.codecServer), normalCodec(want.codecServer));
    diff('mtlsAuth', normalMtls(have.mtlsAuth), normalMtls(want.mtlsAuth));
    if (apiKeyAuth !== undefined) diff('apiKeyAuth', have.apiKeyAuth, apiKeyAuth);
    const regionMoved = have.region !== want.region;
    if (fields.length === 0 && !regionMoved) {
      unchanged.push({ kind: 'namespace', name: want.name });
      continue;
    }
    const authOff = fields.some((f) => (f.field === 'mtlsAuth' || f.field === 'apiKeyAuth') && !f.to);
    changes.push({
      kind: 'namespace',
      name: want.name,
      action: 'update',
      targetId: have.id,
      destructive: authOff,
      fields: regionMoved ? [...fields, { field: 'region', from: have.region, to: want.region }] : fields,
      ...(authOff ? { reason: 'switches an authentication method off' } : {}),
      ...(regionMoved
        ? { blocked: 'a namespace’s region cannot change; delete and re-create it by hand' }
        : {}),
    });
  }
  const wantedNs = new Set(desired.namespaces.map((n) => n.name));
  for (const have of namespaces) {
    if (wantedNs.has(have.name)) continue;
    if (matchesAny(have.name, prune.namespaces)) {
      changes.push(
        deletion('namespace', have.name, have.id, 'not in the file, and prune.namespaces owns it'),
      );
    } else unmanaged.push({ kind: 'namespace', name: have.name });
  }

  // Access is written by namespace name in the file and by namespace id in the account.
  const byName = (access: Record<string, Permission>) =>
    Object.fromEntries(Object.entries(access).map(([id, p]) => [nsNameById.get(id) ?? id, p])) as Record<
      string,
      Permission
    >;

  const accessChanges = (
    principal: string,
    have: Record<string, Permission>,
    want: Record<string, Permission>,
  ) => {
    const fields: FieldChange[] = [];
    for (const [ns, p] of Object.entries(want)) {
      if (have[ns] !== p) fields.push({ field: `access.${ns}`, from: have[ns] ?? null, to: p });
    }
    if (matchesAny(principal, prune.access)) {
      for (const [ns, p] of Object.entries(have)) {
        if (!(ns in want)) fields.push({ field: `access.${ns}`, from: p, to: null });
      }
    }
    return fields;
  };

  /** What changes on an existing service account: nothing, its access and role, or a scope it cannot change. */
  const serviceAccountChanges = (
    want: DesiredState['serviceAccounts'][number],
    have: AccountSnapshot['serviceAccounts'][number],
  ): Change[] => {
    const scope = have.namespaceScoped
      ? (nsNameById.get(have.namespaceScoped) ?? have.namespaceScoped)
      : undefined;
    if (scope !== want.namespaceScoped) {
      const fields = [{ field: 'namespaceScoped', from: scope ?? null, to: want.namespaceScoped ?? null }];
      return [
        {
          kind: 'serviceAccount',
          name: want.name,
          action: 'update',
          targetId: have.id,
          destructive: true,
          fields,
          blocked: SCOPE_BLOCKED,
        },
      ];
    }
    const fields = accessChanges(want.name, byName(have.access), want.access);
    const role = have.role ?? 'none';
    if (want.accountRole !== undefined && role !== want.accountRole) {
      fields.unshift({ field: 'accountRole', from: role, to: want.accountRole });
    }
    if (fields.length > 0) return [principalUpdate('serviceAccount', want.name, have.id, fields, options)];
    unchanged.push({ kind: 'serviceAccount', name: want.name });
    return [];
  };

  // ---------------------------------------------------------------- service accounts and their keys
  const accounts = live(account.serviceAccounts);
  const saByName = new Map(accounts.map((s) => [s.name, s]));
  const keys = live(account.apiKeys);
  for (const want of desired.serviceAccounts) {
    const have = saByName.get(want.name);
    if (want.namespaceScoped !== undefined && !options.namespaceScopedAccounts) {
      problems.push(
        `service account ${want.name}: namespaceScoped needs an Ops API with namespace-scoped service accounts (the real API: OPS_API_DIALECT=cloud)`,
      );
    }
    if (!have) {
      changes.push({
        kind: 'serviceAccount',
        name: want.name,
        action: 'create',
        destructive: false,
        fields: [
          ...(want.namespaceScoped
            ? [{ field: 'namespaceScoped', from: null, to: want.namespaceScoped }]
            : []),
          ...(want.accountRole ? [{ field: 'accountRole', from: null, to: want.accountRole }] : []),
          ...Object.entries(want.access).map(([ns, p]) => ({ field: `access.${ns}`, from: null, to: p })),
        ],
      });
    } else changes.push(...serviceAccountChanges(want, have));
    const owned = have ? keys.filter((k) => k.ownerId === have.id) : [];
    for (const key of want.apiKeys) {
      const name = `${want.name}/${key.displayName}`;
      // During a rotation's grace period old and new key share the name: the newest is the key.
      const current = owned
        .filter((k) => baseDisplayName(k.displayName) === key.displayName)
        .sort(newestFirst)[0];
      if (!current) {
        changes.push({
          kind: 'apiKey',
          name,
          action: 'create',
          destructive: false,
          fields: [{ field: 'expiryDays', from: null, to: key.expiryDays }],
        });
        continue;
      }
      const expiresAt = Date.parse(current.expiryTime);
      const due =
        key.rotateBeforeDays !== undefined &&
        (current.state === 'expired' || expiresAt <= options.now + key.rotateBeforeDays * DAY_MS);
      if (!due) {
        unchanged.push({ kind: 'apiKey', name });
        continue;
      }
      changes.push({
        kind: 'apiKey',
        name,
        action: 'rotate',
        targetId: current.id,
        destructive: false,
        reason:
          expiresAt <= options.now || current.state === 'expired'
            ? `expired ${current.expiryTime}`
            : `expires ${current.expiryTime}, within ${key.rotateBeforeDays} days`,
        fields: [{ field: 'expiryTime', from: current.expiryTime, to: `+${key.expiryDays} days` }],
      });
    }
    if (have) {
      const listed = new Set(want.apiKeys.map((k) => k.displayName));
      for (const key of owned) {
        if (listed.has(baseDisplayName(key.displayName))) continue;
        const name = `${want.name}/${key.displayName}`;
        if (prune.apiKeys)
          changes.push(deletion('apiKey', name, key.id, 'not in the file, and prune.apiKeys is on'));
        else unmanaged.push({ kind: 'apiKey', name });
      }
    }
  }
  const wantedSa = new Set(desired.serviceAccounts.map((s) => s.name));
  for (const have of accounts) {
    if (wantedSa.has(have.name)) continue;
    if (matchesAny(have.name, prune.serviceAccounts)) {
      changes.push(
        deletion(
          'serviceAccount',
          have.name,
          have.id,
          'not in the file, and prune.serviceAccounts owns it (its keys go with it)',
        ),
      );
    } else unmanaged.push({ kind: 'serviceAccount', name: have.name });
  }

  // ---------------------------------------------------------------- users
  const users = live(account.users);
  const userByEmail = new Map(users.map((u) => [u.email.toLowerCase(), u]));
  for (const want of desired.users) {
    const have = userByEmail.get(want.email.toLowerCase());
    if (!have) {
      changes.push({
        kind: 'user',
        name: want.email,
        action: 'create',
        destructive: false,
        fields: [
          { field: 'role', from: null, to: want.role },
          ...Object.entries(want.access).map(([ns, p]) => ({ field: `access.${ns}`, from: null, to: p })),
        ],
      });
      continue;
    }
    const fields = accessChanges(want.email, byName(have.access), want.access);
    if (have.role !== want.role) fields.unshift({ field: 'role', from: have.role, to: want.role });
    if (fields.length === 0) unchanged.push({ kind: 'user', name: want.email });
    else changes.push(principalUpdate('user', want.email, have.id, fields, options));
  }
  const wantedUsers = new Set(desired.users.map((u) => u.email.toLowerCase()));
  for (const have of users) {
    if (wantedUsers.has(have.email.toLowerCase())) continue;
    if (matchesAny(have.email, prune.users)) {
      changes.push(deletion('user', have.email, have.id, 'not in the file, and prune.users owns them'));
    } else unmanaged.push({ kind: 'user', name: have.email });
  }

  return { changes, unchanged, unmanaged, problems, fingerprint: fingerprintOf(changes, problems) };
}

/** A flag that is off is the same as one left out. */
function normalCodec(codec: NamespaceEntry['codecServer']) {
  if (!codec) return undefined;
  return {
    endpoint: codec.endpoint,
    ...(codec.passAccessToken ? { passAccessToken: true } : {}),
    ...(codec.includeCrossOriginCredentials ? { includeCrossOriginCredentials: true } : {}),
  };
}

/** Base64 is the same with or without line breaks; no filters is the same as an empty list. */
function normalMtls(mtls: NamespaceEntry['mtlsAuth']) {
  if (!mtls) return undefined;
  return {
    acceptedClientCa: normalizeCa(mtls.acceptedClientCa),
    ...(mtls.certificateFilters?.length ? { certificateFilters: mtls.certificateFilters } : {}),
  };
}

function createFields(want: NamespaceEntry): FieldChange[] {
  return Object.entries(want)
    .filter(([k, v]) => k !== 'name' && v !== undefined)
    .map(([field, to]) => ({ field, from: null, to }));
}

function deletion(kind: ResourceKind, name: string, targetId: string, reason: string): Change {
  return { kind, name, action: 'delete', targetId, destructive: true, reason, fields: [] };
}

function principalUpdate(
  kind: 'serviceAccount' | 'user',
  name: string,
  targetId: string,
  fields: FieldChange[],
  options: PlanOptions,
): Change {
  const removes = fields.some((f) => f.field.startsWith('access.') && f.to === null);
  const downgrade = fields.some((f) => f.field === 'role' || f.field === 'accountRole');
  return {
    kind,
    name,
    action: 'update',
    targetId,
    destructive: removes || downgrade,
    fields,
    ...(removes
      ? { reason: 'removes namespace access' }
      : downgrade
        ? { reason: 'changes the account role' }
        : {}),
    ...(options.canChangeAccess ? {} : { blocked: ACCESS_BLOCKED }),
  };
}
