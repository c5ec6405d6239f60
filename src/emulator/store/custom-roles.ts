// Custom roles: a unique name and at least one permission, each naming a resource type, its actions, and either
// some resources by id or all of them — as terraform-provider-temporalcloud's custom_role_resource.go validates
// them (permissions SizeAtLeast(1); "allow_all must be true when resource_ids is empty", and not both). Users,
// groups and service accounts name them by id in `access.accountAccess.customRoles` (the unmodelled part).
import type { Json } from '../../cloud-api';
import { ApiError, invalid } from '../errors';
import { checkLength, requireString } from '../rules';
import { checkVersion, failedPrecondition, type ResourceType, type Store } from './core';
import {
  newId,
  renderTracked,
  type CustomRoleRecord,
  type CustomRoleSpec,
  type MutationOptions,
} from './records';

export const CUSTOM_ROLE: ResourceType<CustomRoleRecord> = {
  what: 'custom role',
  creating: 'activating',
  deleteFailed: 'active',
  deleteRefused: ['activating'],
  render: (r) => renderTracked(r),
};

function validateSpec(store: Store, spec: CustomRoleSpec, selfId?: string): CustomRoleSpec {
  const name = requireString(spec.name, 'spec.name');
  checkLength(name, 1, 64, 'spec.name');
  for (const role of store.customRoles.values()) {
    if (role.id !== selfId && role.spec.name === name) {
      throw new ApiError('already_exists', `custom role '${name}' already exists`, 'spec.name');
    }
  }
  const permissions = Array.isArray(spec.permissions) ? spec.permissions : [];
  if (permissions.length === 0) throw invalid('spec.permissions', 'needs at least one permission');
  permissions.forEach((p, i) => {
    const at = `spec.permissions[${i}]`;
    requireString(p.resources?.resourceType, `${at}.resources.resourceType`);
    if (!Array.isArray(p.actions) || p.actions.length === 0)
      throw invalid(`${at}.actions`, 'needs an action');
    const ids = p.resources.resourceIds?.length ?? 0;
    if (p.resources.allowAll === true && ids > 0)
      throw invalid(`${at}.resources.resourceIds`, 'must be empty when allowAll is true');
    if (p.resources.allowAll !== true && ids === 0)
      throw invalid(`${at}.resources.allowAll`, 'must be true when resourceIds is empty');
  });
  return structuredClone({ ...spec, name });
}

export function createCustomRole(store: Store, body: { spec: CustomRoleSpec }, options: MutationOptions) {
  const spec = validateSpec(store, body.spec);
  const { record, asyncOperationId } = store.create(
    'customRole',
    'createCustomRole',
    { id: newId(), spec },
    options,
  );
  return { roleId: record.id, asyncOperationId };
}

export function updateCustomRole(
  store: Store,
  id: string,
  body: { spec: CustomRoleSpec; resourceVersion: string },
  options: MutationOptions,
) {
  const record = store.existing('customRole', id);
  if (record.state === 'deleting') throw failedPrecondition('custom role', id, record.state);
  checkVersion(record, 'custom role', body.resourceVersion);
  const spec = validateSpec(store, body.spec, id);
  return store.update('customRole', 'updateCustomRole', record, spec, options);
}

export const seedCustomRole = (store: Store, spec: CustomRoleSpec, now: number, unmodelled?: Json): string =>
  store.insert(
    'customRole',
    { id: newId(), spec: validateSpec(store, spec), state: 'active' },
    now,
    unmodelled,
  ).id;

/** The custom roles (ids) an unmodelled spec part names (`access.accountAccess.customRoles`). */
export function customRoleIds(unmodelled: Json | undefined): string[] {
  const access = unmodelled?.access as { accountAccess?: { customRoles?: unknown } } | undefined;
  const roles = access?.accountAccess?.customRoles;
  return Array.isArray(roles) ? roles.filter((r): r is string => typeof r === 'string') : [];
}

/** Every custom role a spec names must exist. */
export function checkCustomRoles(store: Store, unmodelled: Json | undefined): void {
  for (const id of customRoleIds(unmodelled)) {
    if (!store.customRoles.has(id)) {
      throw invalid('spec.access.accountAccess.customRoles', `custom role '${id}' does not exist`);
    }
  }
}

/** Who names a custom role: `user <id>`, `user group <id>`, `service account <id>`. */
export function customRoleHolders(store: Store, roleId: string): string[] {
  const holders: string[] = [];
  for (const kind of ['user', 'userGroup', 'serviceAccount'] as const) {
    for (const record of store.records(kind).values()) {
      if (customRoleIds(record.unmodelled).includes(roleId)) holders.push(`${store.what(kind)} ${record.id}`);
    }
  }
  return holders;
}
