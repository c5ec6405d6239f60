import { createAccessModelActivities } from './access-model';
import { createApiKeyActivities } from './api-keys';
import { createAsyncOperationActivities } from './async-operations';
import type { ActivityDeps } from './deps';
import { createExpiryActivities } from './expiry';
import { withFailureMapping } from './failures';
import { createKeyRotationActivities } from './key-rotation';
import { createNamespaceCaActivities } from './namespace-ca';
import { createNamespaceActivities } from './namespaces';
import { createReconcileActivities } from './reconcile';
import { createReconcileTriggerActivities } from './reconcile-trigger';
import { createRegionActivities } from './regions';
import { createServiceAccountActivities } from './service-accounts';
import { createTemporaryAccessActivities } from './temporary-access';
import { createUserGroupActivities } from './user-groups';
import { createUserActivities } from './users';

export type { ActivityDeps } from './deps';
export { apiKeySecretName } from './api-keys';

/** Every activity of the product, with Ops API errors mapped to typed Temporal failures in one place. */
export function createActivities(deps: ActivityDeps) {
  return withFailureMapping({
    ...createNamespaceActivities(deps),
    ...createNamespaceCaActivities(deps),
    ...createUserActivities(deps),
    ...createServiceAccountActivities(deps),
    ...createApiKeyActivities(deps),
    ...createRegionActivities(deps),
    ...createAsyncOperationActivities(deps),
    ...createKeyRotationActivities(deps),
    ...createReconcileActivities(deps),
    ...createReconcileTriggerActivities(deps),
    ...createExpiryActivities(deps),
    ...createTemporaryAccessActivities(deps),
    ...createUserGroupActivities(deps),
    ...createAccessModelActivities(deps),
  });
}

export type Activities = ReturnType<typeof createActivities>;
