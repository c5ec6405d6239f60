import { paginate } from '../ops-api';
import type { ListUsersResponse, PageParams, User } from '../ops-api';
import type { ActivityDeps } from './deps';
import { deleteIfExists, heartbeat, type DeleteResult } from './util';

export function createUserActivities({ client }: ActivityDeps) {
  return {
    async listUsers(params: PageParams = {}): Promise<ListUsersResponse> {
      return client.listUsers(params);
    },
    async getUser(userId: string): Promise<User> {
      return client.getUser(userId);
    },

    /** Every user whose email matches (case-insensitively), across all pages. */
    async findUsersByEmail(email: string): Promise<User[]> {
      const wanted = email.trim().toLowerCase();
      const found: User[] = [];
      for await (const page of paginate(client, 'listUsers')) {
        heartbeat();
        found.push(...page.filter((u) => u.spec?.email?.toLowerCase() === wanted));
      }
      return found;
    },

    async deleteUserIfExists(input: { userId: string; operationKey: string }): Promise<DeleteResult> {
      return deleteIfExists(
        `user ${input.userId}`,
        client,
        input.operationKey,
        () => client.getUser(input.userId),
        (params) => client.deleteUser(input.userId, params),
      );
    },
  };
}
