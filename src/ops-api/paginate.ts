import type { OpsApiClient } from './client';
import type {
  ApiKey,
  CustomRole,
  ListApiKeysParams,
  ListUserGroupsParams,
  Namespace,
  PageParams,
  ServiceAccount,
  User,
  UserGroup,
  UserGroupMember,
} from './types';

interface ListOperations {
  listNamespaces: { params: PageParams; item: Namespace };
  listUsers: { params: PageParams; item: User };
  listServiceAccounts: { params: PageParams; item: ServiceAccount };
  listApiKeys: { params: ListApiKeysParams; item: ApiKey };
  listUserGroups: { params: ListUserGroupsParams; item: UserGroup };
  listUserGroupMembers: { params: PageParams & { groupId: string }; item: UserGroupMember };
  listCustomRoles: { params: PageParams; item: CustomRole };
}
export type ListOperationId = keyof ListOperations;
export type ListItem<Op extends ListOperationId> = ListOperations[Op]['item'];

const ITEMS_FIELD = {
  listNamespaces: 'namespaces',
  listUsers: 'users',
  listServiceAccounts: 'serviceAccounts',
  listApiKeys: 'apiKeys',
  listUserGroups: 'groups',
  listUserGroupMembers: 'members',
  listCustomRoles: 'customRoles',
} as const satisfies Record<ListOperationId, string>;

/** The largest page the API serves (the real API's and the emulator's maximum): fewest calls per list. */
export const MAX_PAGE_SIZE = 1000;

/**
 * Walks `pageToken`/`nextPageToken` of a list operation, one page per iteration, so callers can
 * heartbeat or stop between pages; pages of MAX_PAGE_SIZE unless asked otherwise. A server that repeats
 * a token is an error, not an endless loop.
 */
export async function* paginate<Op extends ListOperationId>(
  client: OpsApiClient,
  operationId: Op,
  params: ListOperations[Op]['params'] = {} as ListOperations[Op]['params'],
): AsyncGenerator<ListItem<Op>[]> {
  const seen = new Set<string>();
  let pageToken = params.pageToken;
  const pageSize = params.pageSize ?? MAX_PAGE_SIZE;
  for (;;) {
    const request = { ...params, pageSize, pageToken } as never;
    const page = (await client[operationId](request)) as Record<string, unknown>;
    yield (page[ITEMS_FIELD[operationId]] as ListItem<Op>[] | undefined) ?? [];
    const next = page.nextPageToken as string | undefined;
    if (!next) return;
    if (seen.has(next)) throw new Error(`${operationId}: server returned page token ${next} twice`);
    seen.add(next);
    pageToken = next;
  }
}

/** Every item of a list operation, across all pages. */
export async function listAll<Op extends ListOperationId>(
  client: OpsApiClient,
  operationId: Op,
  params?: ListOperations[Op]['params'],
): Promise<ListItem<Op>[]> {
  const items: ListItem<Op>[] = [];
  for await (const page of paginate(client, operationId, params)) items.push(...page);
  return items;
}
