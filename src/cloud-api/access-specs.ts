// User groups and custom roles: the domain's specs ↔ the real API's UserGroupSpec and CustomRoleSpec, both ways
// (as specs.ts does for the other resources). A group's custom roles (`access.accountAccess.customRoles`) are not
// modelled, as for users: they travel as `preserved` and go back untouched.
import { accessFromCloud, accessToCloud, type AccessForm } from './specs';
import { compact, isObject, obj, str, type Json } from './json';
import { protoType } from './protos';
import { unmodelledPart, withUnmodelled } from './unmodelled';

/** Who owns a group's membership: this API (`cloud`), or an identity provider (`google`, `scim`). */
export type GroupTypeForm = 'cloud' | 'google' | 'scim';

export interface UserGroupSpecForm {
  displayName: string;
  access?: AccessForm;
  /** Undefined when the spec names none (the API's `groupType` oneof unset). */
  groupType?: GroupTypeForm;
  /** A Google group's email address. */
  googleGroupEmail?: string;
  /** A SCIM group's id at the identity provider. */
  scimIdpId?: string;
  preserved?: Json;
}

export interface CustomRolePermissionForm {
  resources: { resourceType: string; resourceIds?: string[]; allowAll?: boolean };
  actions: string[];
}
export interface CustomRoleSpecForm {
  name: string;
  description?: string;
  permissions: CustomRolePermissionForm[];
  preserved?: Json;
}

const USER_GROUP_SPEC = protoType('temporal.api.cloud.identity.v1.UserGroupSpec');
const CUSTOM_ROLE_SPEC = protoType('temporal.api.cloud.identity.v1.CustomRoleSpec');

export function userGroupSpecToCloud(spec: UserGroupSpecForm): Json {
  const type = spec.groupType;
  return withUnmodelled(spec.preserved, {
    ...compact({ displayName: spec.displayName, access: accessToCloud(spec.access) }),
    // One of the oneof, an empty message for a cloud group (present, so never dropped as a default).
    ...(type === 'cloud' ? { cloudGroup: {} } : {}),
    ...(type === 'google' ? { googleGroup: compact({ emailAddress: spec.googleGroupEmail }) } : {}),
    ...(type === 'scim' ? { scimGroup: compact({ idpId: spec.scimIdpId }) } : {}),
  });
}

export function userGroupSpecFromCloud(json: unknown): UserGroupSpecForm {
  const spec = obj(json);
  const access = accessFromCloud(spec.access);
  const groupType: GroupTypeForm | undefined = isObject(spec.googleGroup)
    ? 'google'
    : isObject(spec.scimGroup)
      ? 'scim'
      : isObject(spec.cloudGroup)
        ? 'cloud'
        : undefined;
  const domain: UserGroupSpecForm = {
    displayName: str(spec.displayName) ?? '',
    ...(access ? { access } : {}),
    ...(groupType ? { groupType } : {}),
    ...(groupType === 'google' ? { googleGroupEmail: str(obj(spec.googleGroup).emailAddress) ?? '' } : {}),
    ...(groupType === 'scim' ? { scimIdpId: str(obj(spec.scimGroup).idpId) ?? '' } : {}),
  };
  const preserved = unmodelledPart(USER_GROUP_SPEC, json, userGroupSpecToCloud(domain));
  return preserved ? { ...domain, preserved } : domain;
}

export function customRoleSpecToCloud(spec: CustomRoleSpecForm): Json {
  return withUnmodelled(
    spec.preserved,
    compact({
      name: spec.name,
      description: spec.description || undefined,
      permissions: spec.permissions.map((p) => ({
        resources: compact({
          resourceType: p.resources.resourceType,
          resourceIds: p.resources.resourceIds?.length ? [...p.resources.resourceIds] : undefined,
          allowAll: p.resources.allowAll === true ? true : undefined,
        }),
        actions: [...p.actions],
      })),
    }),
  );
}

export function customRoleSpecFromCloud(json: unknown): CustomRoleSpecForm {
  const spec = obj(json);
  const permissions = (Array.isArray(spec.permissions) ? spec.permissions : []).map((p) => {
    const resources = obj(obj(p).resources);
    const ids = Array.isArray(resources.resourceIds) ? resources.resourceIds.filter(isString) : [];
    const actions = obj(p).actions;
    return {
      resources: {
        resourceType: str(resources.resourceType) ?? '',
        ...(ids.length > 0 ? { resourceIds: ids } : {}),
        ...(resources.allowAll === true ? { allowAll: true } : {}),
      },
      actions: Array.isArray(actions) ? actions.filter(isString) : [],
    };
  });
  const domain: CustomRoleSpecForm = {
    name: str(spec.name) ?? '',
    ...(str(spec.description) ? { description: str(spec.description) } : {}),
    permissions,
  };
  const preserved = unmodelledPart(CUSTOM_ROLE_SPEC, json, customRoleSpecToCloud(domain));
  return preserved ? { ...domain, preserved } : domain;
}

const isString = (v: unknown): v is string => typeof v === 'string';
