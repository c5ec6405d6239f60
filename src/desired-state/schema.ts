// The desired-state file: what should exist in the account, by name. The zod schemas here are the one
// definition — the loader validates with them, and `npm run generate` writes the JSON Schema editors use
// (desired-state.schema.json) from them. Workflow-safe (no Node APIs): the reconcile workflow validates too.
import { z } from 'zod';
import {
  codecServer,
  displayName,
  expiryDays,
  mtlsAuth,
  NAMESPACE_NAME_RULE,
  namespaceName,
  retentionDays,
} from '../shared/validation';
import { isAccessPattern, PERMISSIONS } from './access-patterns';
import { CUSTOM_ROLE_PERMISSION } from './generated/proto-shapes';

const permission = z.enum(PERMISSIONS, { error: `must be one of ${PERMISSIONS.join(', ')}` });
export const ACCOUNT_ROLES = [
  'owner',
  'admin',
  'developer',
  'finance_admin',
  'read',
  'metrics_read',
  'none',
] as const;

/** Region ids look like `aws-us-east-1` or `gcp-europe-west3`; whether one exists is asked at plan time. */
const region = z.string().regex(/^(aws|gcp|azure)-[a-z0-9]+(-[a-z0-9]+)+$/, {
  error: 'must be a region id such as aws-us-east-1 or gcp-us-central1',
});

/**
 * A key of `access`: a namespace NAME of this file, or a pattern with `*` over the account's namespace names
 * (access-patterns.ts): a namespace name's characters, at most 39, at least one `*`.
 */
const accessKey = z.string().regex(/^(?:[a-z][a-z0-9-]{0,37}[a-z0-9]|(?=[a-z0-9-]*\*)[a-z0-9*-]{1,39})$/, {
  error: `must be a namespace name (${NAMESPACE_NAME_RULE}) or a pattern of those characters and * (e.g. payments-*, *)`,
});

/** Namespace access by namespace name or pattern, e.g. `{ payments-prod: write, 'orders-*': read }`. */
const access = z
  .record(accessKey, permission)
  .describe(
    'Namespace access: by namespace name (a namespace of this file), or by pattern ("payments-*", "*": every namespace of the account that matches, now and later; a name beats a pattern, the strongest of several patterns wins): admin, write or read',
  );

/** A name of at most `max` characters. */
const boundedName = (max: number) =>
  z
    .string()
    .min(1, { error: 'must not be empty' })
    .max(max, { error: `must be at most ${max} characters` });

const pattern = z
  .string()
  .min(1)
  .describe('A name, or a pattern where * matches any characters (e.g. "payments-*", "*")');

/** A permission of a custom role, as the API's message has it. */
export interface RolePermission {
  resources: { resourceType: string; resourceIds?: string[]; allowAll?: boolean };
  actions: string[];
}

type Shape = { readonly [field: string]: string | Shape };
const SCALARS: Record<string, () => z.ZodType> = {
  string: () => z.string().min(1, { error: 'must not be empty' }),
  bool: () => z.boolean({ error: 'must be true or false' }),
};

/** A strict zod object of a proto message's generated shape (proto3: every field may be left out). */
function shapeSchema(shape: Shape): z.ZodType {
  const fields: Record<string, z.ZodType> = {};
  for (const [name, type] of Object.entries(shape)) {
    if (typeof type !== 'string') fields[name] = shapeSchema(type).optional();
    else {
      const scalar = SCALARS[type.replace(/\[\]$/, '')];
      if (!scalar) throw new Error(`${name}: no schema for proto type ${type}`);
      fields[name] = (type.endsWith('[]') ? z.array(scalar()) : scalar()).optional();
    }
  }
  return z.strictObject(fields);
}

export const namespaceEntry = z
  .strictObject({
    name: namespaceName.describe('The namespace name; its id is <name>.<account>'),
    region: region.describe('Where it lives (immutable)'),
    retentionDays: retentionDays.describe('History retention, 1-90 days'),
    codecServer: codecServer.optional().describe('Codec server the Web UI uses to decode payloads'),
    mtlsAuth: mtlsAuth.optional().describe('mTLS: base64 PEM of the accepted client CA(s)'),
    apiKeyAuth: z
      .boolean()
      .optional()
      .describe(
        'Allow clients to connect with API keys. Absent: switched on when a key of this file reaches the namespace, otherwise left as it is',
      ),
  })
  .describe('A namespace');

/**
 * In the file, the accepted CAs may also be PEM files (paths relative to the file): read and checked when the file
 * is loaded (load.ts), so what the plan, the workflows and a schedule see is the bundle itself.
 */
const caFiles = z
  .array(z.string().min(1, { error: 'must not be empty' }))
  .min(1, { error: 'must list at least one PEM file' })
  .max(16, { error: 'must list at most 16 files (a bundle holds at most 16 CAs)' });

export const namespaceFileEntry = namespaceEntry
  .extend({
    mtlsAuth: mtlsAuth
      .extend({
        acceptedClientCa: z
          .union([mtlsAuth.shape.acceptedClientCa, caFiles], {
            error: 'must be base64 of the CA bundle’s PEM, or a list of PEM files',
          })
          .describe(
            'The accepted client CA(s): base64 of their PEM, or a list of PEM files (paths relative to this file). ' +
              'With files, adding one accepts its CA beside the others and removing one removes its CA: a rollover',
          ),
      })
      .optional()
      .describe('mTLS: the accepted client CA(s)'),
  })
  .describe('A namespace');

export const apiKeyEntry = z
  .strictObject({
    displayName: displayName.describe('The key, by name within its service account'),
    expiryDays: expiryDays.default(90).describe('Lifetime of a new (or replacement) key, in days'),
    rotateBeforeDays: z
      .number()
      .int({ error: 'must be a whole number of days' })
      .min(1, { error: 'must be at least 1' })
      .max(365, { error: 'must be at most 365' })
      .optional()
      .describe('Rotate the key when it expires within this many days (absent: never automatically)'),
    rotationGracePeriod: z
      .string()
      .regex(/^(0|(\d+(ms|s|m|h|d|w))+)$/, { error: 'must be a duration such as 7d, 12h or 0' })
      .default('1h')
      .describe('How long old and new key both work during a rotation'),
  })
  .describe('An API key owned by the service account');

/** The account role of a principal (users default to read; absent elsewhere: left as it is). */
const accountRole = z.enum(ACCOUNT_ROLES, { error: `must be one of ${ACCOUNT_ROLES.join(', ')}` });

/** Custom roles (of this file's customRoles), by name. */
const customRoleRefs = z
  .array(z.string().min(1, { error: 'must not be empty' }))
  .optional()
  .describe(
    'Custom roles (names of this file’s customRoles) held besides the account role. Absent: left as they are; [] removes them all. The real API only',
  );

export const serviceAccountEntry = z
  .strictObject({
    name: boundedName(64).describe('The service account name (unique in the account)'),
    namespaceScoped: namespaceName
      .optional()
      .describe(
        'Make it a namespace-scoped account that reaches this namespace (of this file) alone; its access names that namespace only. The real API only',
      ),
    accountRole: z
      .enum(ACCOUNT_ROLES, { error: `must be one of ${ACCOUNT_ROLES.join(', ')}` })
      .optional()
      .describe(
        'Account role of an account-wide account. Absent: left as it is (a new one gets read where the API requires a role)',
      ),
    customRoles: customRoleRefs,
    access: access.default({}),
    apiKeys: z.array(apiKeyEntry).default([]),
  })
  .describe('A service account, its namespace access and its API keys');

export const userEntry = z
  .strictObject({
    email: z.email({ error: 'must be an email address' }).describe('The user, by email'),
    role: z
      .enum(ACCOUNT_ROLES, { error: `must be one of ${ACCOUNT_ROLES.join(', ')}` })
      .default('read')
      .describe('Account role'),
    customRoles: customRoleRefs,
    access: access.default({}),
  })
  .describe('A user, their account role and namespace access');

/**
 * A custom role's permission as the API's CustomRoleSpec.Permission message has it (its fields are generated from
 * the bundled protos), with the rules the real API's clients check (terraform-provider-temporalcloud
 * custom_role_resource.go): at least one action, and either some resources by id or all of them.
 */
const rolePermission = (shapeSchema(CUSTOM_ROLE_PERMISSION) as z.ZodType<RolePermission>)
  .superRefine((p, ctx) => {
    if (!p.resources?.resourceType)
      ctx.addIssue({
        code: 'custom',
        path: ['resources', 'resourceType'],
        message: 'is required (e.g. namespace)',
      });
    if (!p.actions?.length)
      ctx.addIssue({ code: 'custom', path: ['actions'], message: 'must list at least one action' });
    const ids = p.resources?.resourceIds?.length ?? 0;
    if (p.resources?.allowAll === true && ids > 0)
      ctx.addIssue({
        code: 'custom',
        path: ['resources', 'resourceIds'],
        message: 'must be empty when allowAll is true',
      });
    if (p.resources?.allowAll !== true && ids === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['resources', 'allowAll'],
        message: 'must be true when resourceIds is empty',
      });
  })
  .describe('Actions on resources of one type: some by id (resourceIds), or all of them (allowAll: true)');

export const customRoleEntry = z
  .strictObject({
    name: boundedName(64).describe(
      'The custom role name (unique in the account); users, groups and service accounts name it',
    ),
    description: z.string().optional().describe('What the role is for'),
    permissions: z
      .array(rolePermission)
      .min(1, { error: 'must list at least one permission' })
      .describe('What the role allows, as the API’s CustomRoleSpec.Permission'),
  })
  .describe('A custom role (the real API only)');

export const GROUP_TYPES = ['cloud', 'scim', 'google'] as const;

export const userGroupEntry = z
  .strictObject({
    name: boundedName(128).describe('The group’s display name (unique in the account)'),
    type: z
      .enum(GROUP_TYPES, { error: `must be one of ${GROUP_TYPES.join(', ')}` })
      .default('cloud')
      .describe(
        'Who owns its members: cloud (this file, through the API), or an identity provider (scim, google): such a group comes from the provider and its members are shown, never changed',
      ),
    members: z
      .array(z.email({ error: 'must be an email address' }))
      .optional()
      .describe(
        'Its members (user emails). A cloud group: exactly these (absent: left as they are). A scim/google group: compared and noted, never changed',
      ),
    accountRole: accountRole.optional().describe('Account role of the group. Absent: left as it is'),
    customRoles: customRoleRefs,
    access: access.default({}),
  })
  .describe('A user group (the real API only): its members, account role, custom roles and namespace access');

export const pruneSection = z
  .strictObject({
    namespaces: z
      .array(pattern)
      .optional()
      .describe('Namespaces this file owns: others matching are deleted'),
    serviceAccounts: z.array(pattern).optional().describe('Service accounts this file owns'),
    users: z.array(pattern).optional().describe('Users (by email) this file owns'),
    userGroups: z.array(pattern).optional().describe('User groups (by name) this file owns'),
    customRoles: z.array(pattern).optional().describe('Custom roles (by name) this file owns'),
    apiKeys: z
      .boolean()
      .optional()
      .describe("Delete keys of this file's service accounts that the file does not list"),
    access: z
      .array(pattern)
      .optional()
      .describe(
        'Principals (service account names, user emails, group names) whose namespace access the file owns entirely',
      ),
  })
  .describe(
    'What the file owns. Without it, resources not in the file are reported as unmanaged and left alone.',
  );

export const desiredStateSchema = z
  .strictObject({
    $schema: z.string().optional(),
    name: namespaceName
      .optional()
      .describe('Names this desired state (its reconcile workflow id); default: the file name'),
    namespaces: z.array(namespaceEntry).default([]),
    serviceAccounts: z.array(serviceAccountEntry).default([]),
    users: z.array(userEntry).default([]),
    userGroups: z.array(userGroupEntry).default([]),
    customRoles: z.array(customRoleEntry).default([]),
    prune: pruneSection.optional(),
  })
  .describe('Temporal Cloud account set-up as code (temporal-cloud-ops)');

/** The file as written: a namespace's accepted CAs may be PEM files (load.ts reads them into the bundle). */
export const desiredStateFileSchema = desiredStateSchema
  .extend({ namespaces: z.array(namespaceFileEntry).default([]) })
  .describe('Temporal Cloud account set-up as code (temporal-cloud-ops)');

export type DesiredStateInput = z.input<typeof desiredStateSchema>;
export type DesiredStateFile = z.output<typeof desiredStateFileSchema>;
export type DesiredState = z.output<typeof desiredStateSchema>;
export type NamespaceEntry = z.output<typeof namespaceEntry>;
export type ServiceAccountEntry = z.output<typeof serviceAccountEntry>;
export type ApiKeyEntry = z.output<typeof apiKeyEntry>;
export type UserEntry = z.output<typeof userEntry>;
export type UserGroupEntry = z.output<typeof userGroupEntry>;
export type CustomRoleEntry = z.output<typeof customRoleEntry>;
export type GroupType = (typeof GROUP_TYPES)[number];
export type Prune = z.output<typeof pruneSection>;
export type Permission = z.output<typeof permission>;

export interface FileProblem {
  /** Where in the file: `serviceAccounts[1].access.orders`. */
  path: string;
  message: string;
  /** 1-based line in the file, when known. */
  line?: number;
}

const at = (path: Array<string | number>) =>
  path.reduce<string>(
    (out, part) => (typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${part}` : part),
    '',
  );

/** Problems a schema cannot see: names used twice and references to namespaces the file lacks. */
export function referenceProblems(state: DesiredState): FileProblem[] {
  const problems: FileProblem[] = [];
  const twice = <T>(items: T[], key: (t: T) => string, where: string, what: string) => {
    const seen = new Map<string, number>();
    items.forEach((item, i) => {
      const k = key(item);
      const first = seen.get(k);
      if (first !== undefined) {
        problems.push({
          path: at([where, i]),
          message: `${what} "${k}" is already defined at ${at([where, first])}`,
        });
      } else seen.set(k, i);
    });
  };
  twice(state.namespaces, (n) => n.name, 'namespaces', 'namespace');
  twice(state.serviceAccounts, (s) => s.name, 'serviceAccounts', 'service account');
  twice(state.users, (u) => u.email.toLowerCase(), 'users', 'user');
  twice(state.userGroups, (g) => g.name.toLowerCase(), 'userGroups', 'user group');
  twice(state.customRoles, (r) => r.name, 'customRoles', 'custom role');
  state.serviceAccounts.forEach((sa, i) => {
    sa.apiKeys.forEach((key, k) => {
      const first = sa.apiKeys.findIndex((other) => other.displayName === key.displayName);
      if (first !== k) {
        problems.push({
          path: at(['serviceAccounts', i, 'apiKeys', k, 'displayName']),
          message: `API key "${key.displayName}" is already defined at ${at(['serviceAccounts', i, 'apiKeys', first])}`,
        });
      }
      if (key.rotateBeforeDays !== undefined && key.rotateBeforeDays >= key.expiryDays) {
        problems.push({
          path: at(['serviceAccounts', i, 'apiKeys', k, 'rotateBeforeDays']),
          message: `must be less than expiryDays (${key.expiryDays}), or every new key would be due at once`,
        });
      }
    });
  });
  const names = new Set(state.namespaces.map((n) => n.name));
  const checkAccess = (where: string, i: number, grants: Record<string, string>) => {
    for (const ns of Object.keys(grants)) {
      // A pattern may match nothing yet: it follows the namespaces made later (the plan says so).
      if (!isAccessPattern(ns) && !names.has(ns)) {
        problems.push({
          path: at([where, i, 'access', ns]),
          message: `refers to namespace "${ns}", which this file does not define (add it under namespaces)`,
        });
      }
    }
  };
  state.serviceAccounts.forEach((sa, i) => {
    checkAccess('serviceAccounts', i, sa.access);
    if (sa.namespaceScoped !== undefined) problems.push(...scopedProblems(sa, i, names));
  });
  state.users.forEach((u, i) => checkAccess('users', i, u.access));
  state.userGroups.forEach((g, i) => checkAccess('userGroups', i, g.access));
  problems.push(...roleReferenceProblems(state));
  return problems;
}

/** Every custom role a user, group or service account names is one of the file's; a scoped account names none. */
function roleReferenceProblems(state: DesiredState): FileProblem[] {
  const problems: FileProblem[] = [];
  const roles = new Set(state.customRoles.map((r) => r.name));
  const check = (where: string, i: number, names: string[] | undefined) =>
    (names ?? []).forEach((name, k) => {
      if (!roles.has(name)) {
        problems.push({
          path: at([where, i, 'customRoles', k]),
          message: `refers to custom role "${name}", which this file does not define (add it under customRoles)`,
        });
      }
    });
  state.users.forEach((u, i) => check('users', i, u.customRoles));
  state.userGroups.forEach((g, i) => check('userGroups', i, g.customRoles));
  state.serviceAccounts.forEach((sa, i) => {
    check('serviceAccounts', i, sa.customRoles);
    if (sa.namespaceScoped !== undefined && sa.customRoles !== undefined)
      problems.push({
        path: at(['serviceAccounts', i, 'customRoles']),
        message: 'a namespace-scoped account has no account access: leave customRoles out',
      });
  });
  return problems;
}

/** A namespace-scoped account: a namespace of this file, its permission there, no other access and no role. */
function scopedProblems(sa: ServiceAccountEntry, i: number, names: ReadonlySet<string>): FileProblem[] {
  const ns = sa.namespaceScoped!;
  const where = (field: string) => at(['serviceAccounts', i, field]);
  const problems: FileProblem[] = [];
  if (!names.has(ns)) {
    problems.push({
      path: where('namespaceScoped'),
      message: `refers to namespace "${ns}", which this file does not define (add it under namespaces)`,
    });
  }
  const grants = Object.keys(sa.access);
  if (grants.length !== 1 || grants[0] !== ns) {
    problems.push({
      path: where('access'),
      message: `a namespace-scoped account reaches its namespace alone: access must be { ${ns}: admin|write|read }`,
    });
  }
  if (sa.accountRole !== undefined) {
    problems.push({
      path: where('accountRole'),
      message: 'a namespace-scoped account has no account role: leave accountRole out',
    });
  }
  return problems;
}

/** A zod path as the file's path notation. */
export const pathOf = at;
