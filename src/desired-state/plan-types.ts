// The plan's types: the account as read, and the changes that make it match the file.
import type { GroupType, NamespaceEntry, Permission, RolePermission } from './schema';

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
    /** Custom roles held (ids). */
    customRoles?: string[];
  }>;
  users: Array<{
    id: string;
    email: string;
    state: string;
    role: string;
    access: Record<string, Permission>;
    /** Custom roles held (ids). */
    customRoles?: string[];
  }>;
  /** User groups and custom roles: empty where the API has none (see PlanOptions.accessModel). */
  userGroups?: Array<{
    id: string;
    name: string;
    state: string;
    type: GroupType;
    role: string;
    access: Record<string, Permission>;
    customRoles: string[];
    /** Members (user ids). */
    members: string[];
  }>;
  customRoles?: Array<{
    id: string;
    name: string;
    state: string;
    description?: string;
    permissions: RolePermission[];
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

export type ResourceKind = 'namespace' | 'serviceAccount' | 'apiKey' | 'user' | 'userGroup' | 'customRole';
export type Action = 'create' | 'update' | 'delete' | 'rotate';

export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
  /** A grant the file gives through a pattern of its access (`payments-*`): that pattern. */
  pattern?: string;
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
  /** Worth knowing, changing nothing (e.g. an access pattern that matches no namespace now). */
  notes: string[];
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
  /** Whether the Ops API has user groups and custom roles (default: no). */
  accessModel?: boolean;
  /**
   * The SHA-256 fingerprints of a CA bundle's certificates (undefined: not readable PEM), so accepted CAs compare as
   * a set of certificates, whatever their text or order. Node's X509Certificate, handed in by the activity that plans;
   * without it bundles compare as text.
   */
  caFingerprints?: (bundle: string) => string[] | undefined;
}
