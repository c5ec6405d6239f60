// The kinds of resource activities read, wait for and delete, each through its own get and delete operation.
import type { DeleteParams, OpsApiClient } from '../ops-api';
import { deleteIfExists, type DeleteInput, type DeleteResult, type Deletable } from './util';

export type ResourceKind = 'namespace' | 'user' | 'serviceAccount' | 'apiKey' | 'userGroup' | 'customRole';

/** Each kind's label in messages, and the client's operations that read and delete it. */
const KINDS = {
  namespace: { label: 'namespace', read: 'getNamespace', remove: 'deleteNamespace' },
  user: { label: 'user', read: 'getUser', remove: 'deleteUser' },
  serviceAccount: { label: 'service account', read: 'getServiceAccount', remove: 'deleteServiceAccount' },
  apiKey: { label: 'API key', read: 'getApiKey', remove: 'deleteApiKey' },
  userGroup: { label: 'user group', read: 'getUserGroup', remove: 'deleteUserGroup' },
  customRole: { label: 'custom role', read: 'getCustomRole', remove: 'deleteCustomRole' },
} as const satisfies Record<
  ResourceKind,
  { label: string; read: keyof OpsApiClient; remove: keyof OpsApiClient }
>;

const read = (client: OpsApiClient, kind: ResourceKind, id: string): Promise<Deletable> =>
  client[KINDS[kind].read](id);

/** The resource's state as the API reads it now. */
export async function readState(client: OpsApiClient, kind: ResourceKind, id: string): Promise<string> {
  return (await read(client, kind, id)).state;
}

/** A delete that is safe to repeat, under the step's operation key (see deleteIfExists). */
export function deleteKind(
  client: OpsApiClient,
  kind: ResourceKind,
  id: string,
  input: DeleteInput,
): Promise<DeleteResult> {
  const { label, remove } = KINDS[kind];
  return deleteIfExists(
    `${label} ${id}`,
    client,
    input.operationKey,
    () => read(client, kind, id),
    (params: DeleteParams) => client[remove](id, params),
    input.absentIsGone,
    input.resourceVersion,
  );
}
