// The emulator's state: the core (core.ts) with each resource type's rules (one module per resource).
import type { AnyOperationId } from '../../ops-api/types';
import { API_KEY } from './api-keys';
import { Store } from './core';
import { CUSTOM_ROLE } from './custom-roles';
import { NAMESPACE } from './namespaces';
import type { Timing } from './records';
import { SERVICE_ACCOUNT } from './service-accounts';
import { USER_GROUP } from './user-groups';
import { USER } from './users';

export { Store } from './core';
export * from './records';
export * from './api-keys';
export * from './namespaces';
export * from './principals';
export * from './service-accounts';
export * from './users';
export * from './user-groups';
export * from './custom-roles';

const TYPES = {
  namespace: NAMESPACE,
  user: USER,
  serviceAccount: SERVICE_ACCOUNT,
  apiKey: API_KEY,
  userGroup: USER_GROUP,
  customRole: CUSTOM_ROLE,
};

export function createStore(accountId: string, timing: (operationType: AnyOperationId) => Timing): Store {
  return new Store(accountId, timing, TYPES);
}
