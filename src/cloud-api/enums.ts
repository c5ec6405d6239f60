// The real API's enums in the domain's spelling: the `PREFIX_` of a value name stripped and the rest
// lowercased (`RESOURCE_STATE_ACTIVE` → `active`), read from the proto enums themselves.
import { protoEnum } from './protos';

export function enumCodec(fullName: string, prefix: string, domain: (proto: string) => string = (s) => s) {
  const names = Object.keys(protoEnum(fullName).values).filter((n) => !n.endsWith('_UNSPECIFIED'));
  const toDomain = new Map(names.map((n) => [n, domain(n.slice(prefix.length).toLowerCase())]));
  const toProto = new Map([...toDomain].map(([p, d]) => [d, p]));
  return {
    /** Every domain value the proto enum has. */
    values: [...toProto.keys()],
    toDomain(proto: string | undefined): string | undefined {
      return proto === undefined ? undefined : (toDomain.get(proto) ?? proto.toLowerCase());
    },
    toProto(value: string): string {
      const proto = toProto.get(value);
      if (!proto) throw new Error(`${fullName} has no value for "${value}"`);
      return proto;
    },
  };
}

export const resourceStates = enumCodec('temporal.api.cloud.resource.v1.ResourceState', 'RESOURCE_STATE_');
export const operationStates = enumCodec('temporal.api.cloud.operation.v1.AsyncOperation.State', 'STATE_');
export const ownerTypes = enumCodec('temporal.api.cloud.identity.v1.OwnerType', 'OWNER_TYPE_', (s) =>
  s.replace(/_/g, '-'),
);
export const permissions = enumCodec(
  'temporal.api.cloud.identity.v1.NamespaceAccess.Permission',
  'PERMISSION_',
);
export const roles = enumCodec('temporal.api.cloud.identity.v1.AccountAccess.Role', 'ROLE_');
export const cloudProviders = enumCodec(
  'temporal.api.cloud.region.v1.Region.CloudProvider',
  'CLOUD_PROVIDER_',
);
