// The four kinds of resource activities read, wait for and delete, each through its own get and delete operation.
import type { DeleteParams, OpsApiClient } from '../ops-api';
import { deleteIfExists, type DeleteInput, type DeleteResult, type Deletable } from './util';

export type ResourceKind = 'namespace' | 'user' | 'serviceAccount' | 'apiKey';

interface KindOps {
  label: string;
  read(client: OpsApiClient, id: string): Promise<Deletable>;
  remove(client: OpsApiClient, id: string, params: DeleteParams): ReturnType<OpsApiClient['deleteNamespace']>;
}

const KINDS: Record<ResourceKind, KindOps> = {
  namespace: {
    label: 'namespace',
    read: (client, id) => client.getNamespace(id),
    remove: (client, id, params) => client.deleteNamespace(id, params),
  },
  user: {
    label: 'user',
    read: (client, id) => client.getUser(id),
    remove: (client, id, params) => client.deleteUser(id, params),
  },
  serviceAccount: {
    label: 'service account',
    read: (client, id) => client.getServiceAccount(id),
    remove: (client, id, params) => client.deleteServiceAccount(id, params),
  },
  apiKey: {
    label: 'API key',
    read: (client, id) => client.getApiKey(id),
    remove: (client, id, params) => client.deleteApiKey(id, params),
  },
};

/** The resource's state as the API reads it now. */
export async function readState(client: OpsApiClient, kind: ResourceKind, id: string): Promise<string> {
  return (await KINDS[kind].read(client, id)).state;
}

/** A delete that is safe to repeat, under the step's operation key (see deleteIfExists). */
export function deleteKind(
  client: OpsApiClient,
  kind: ResourceKind,
  id: string,
  input: DeleteInput,
): Promise<DeleteResult> {
  const ops = KINDS[kind];
  return deleteIfExists(
    `${ops.label} ${id}`,
    client,
    input.operationKey,
    () => ops.read(client, id),
    (params) => ops.remove(client, id, params),
    input.absentIsGone,
  );
}
