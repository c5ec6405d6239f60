import { paginate } from '../ops-api';
import type { Access, User } from '../ops-api';
import type { ActivityDeps } from './deps';
import { deleteKind } from './resource-kinds';
import { createOrAdopt, heartbeat, type DeleteInput, type DeleteResult, clientCalls } from './util';
import { isLive } from '../shared/resources';

export interface EnsureUserInput {
  email: string;
  access: Access;
  /** This step's operation key: the proof that a user is its own (see ensureNamespace). */
  operationKey: string;
}

export interface EnsureUserResult {
  userId: string;
  asyncOperationId?: string;
  outcome: 'created' | 'adopted';
}

export function createUserActivities({ client }: ActivityDeps) {
  return {
    ...clientCalls(client, 'listUsers', 'getUser'),

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

    /**
     * Create-or-adopt by email (emails are unique), like ensureServiceAccount. An adopted user keeps the
     * access they have: a desired-state plan shows what differs, and the next apply changes it.
     */
    async ensureUser(input: EnsureUserInput): Promise<EnsureUserResult> {
      const wanted = input.email.toLowerCase();
      return createOrAdopt<User, EnsureUserResult>(client, input.operationKey, {
        create: async (asyncOperationId) => ({
          ...(await client.createUser({
            spec: { email: input.email, access: input.access },
            asyncOperationId,
          })),
          outcome: 'created',
        }),
        find: async () => {
          for await (const page of paginate(client, 'listUsers')) {
            heartbeat();
            const found = page.find((u) => u.spec.email.toLowerCase() === wanted && isLive(u));
            if (found) return found;
          }
          return undefined;
        },
        ours: (existing: User, asyncOperationId) => ({
          userId: existing.id,
          asyncOperationId,
          outcome: 'created',
        }),
        adopt: (existing: User) => ({ userId: existing.id, outcome: 'adopted' }),
      });
    },

    async deleteUserIfExists(input: { userId: string } & DeleteInput): Promise<DeleteResult> {
      return deleteKind(client, 'user', input.userId, input);
    },
  };
}
