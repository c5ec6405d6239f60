// seed(): resources inserted already active (no async operation), each item validated with the very schema
// its create operation uses over HTTP (where the given document has one) and the same rules, in the order
// namespaces → custom roles → users → service accounts → user groups → API keys, all or nothing. Groups are
// seeded with any type (SCIM and Google groups come from the identity provider, not the API) and members.
import type { ValidateFunction } from 'ajv/dist/2020';
import type { OperationId } from '../ops-api/types';
import { ApiError } from './errors';
import type { SeedInput, SeedResult } from './options';
import { readClock, type Runtime } from './runtime';
import type { OperationRoute } from './spec-loader';
import {
  seedApiKey,
  seedCustomRole,
  seedNamespace,
  seedServiceAccount,
  seedUser,
  seedUserGroup,
} from './store';
import { seedUnmodelled } from './unmodelled-fields';
import { validationError } from './validator';

type SeedList = keyof SeedInput;

/** Each list: the operation whose request schema its items meet, how one is stored, and where its id goes. */
const SEED_LISTS = [
  { list: 'namespaces', operationId: 'createNamespace', seed: seedNamespace, into: 'namespaceIds' },
  { list: 'customRoles', seed: seedCustomRole, into: 'customRoleIds' },
  { list: 'users', operationId: 'createUser', seed: seedUser, into: 'userIds' },
  {
    list: 'serviceAccounts',
    operationId: 'createServiceAccount',
    seed: seedServiceAccount,
    into: 'serviceAccountIds',
  },
  { list: 'userGroups', seed: seedUserGroup, into: 'userGroupIds' },
  { list: 'apiKeys', operationId: 'createApiKey', seed: seedApiKey, into: 'apiKeys' },
] as const satisfies ReadonlyArray<{
  list: SeedList;
  /** The create whose /api/v1 body schema the items meet (none: the given document lacks the resource). */
  operationId?: OperationId;
  seed: unknown;
  into: keyof SeedResult;
}>;

/** The emulator's seed(): `routes` give each create's body schema. */
export function seeder(rt: Runtime, routes: readonly OperationRoute[]) {
  const validators = new Map<OperationId, ValidateFunction>();
  for (const route of routes) {
    if (route.schema.body)
      validators.set(route.operationId, rt.validators.compile(route.schema.body, 'body'));
  }
  return async (input: unknown): Promise<SeedResult> => {
    if (typeof input !== 'object' || input === null)
      throw new ApiError('invalid_argument', 'seed input must be an object', 'seed');
    const now = await readClock(rt);
    rt.store.settle(now);
    const result: SeedResult = {
      namespaceIds: [],
      userIds: [],
      serviceAccountIds: [],
      apiKeys: [],
      customRoleIds: [],
      userGroupIds: [],
    };
    rt.store.transaction(() => {
      for (const entry of SEED_LISTS) {
        const { list, seed, into } = entry;
        const validate = 'operationId' in entry ? validators.get(entry.operationId) : undefined;
        const items: unknown = (input as Record<string, unknown>)[list];
        if (items === undefined) continue;
        if (!Array.isArray(items)) throw new ApiError('invalid_argument', `${list} must be an array`, list);
        items.forEach((item: unknown, i) => {
          try {
            // A spec may carry `preserved`: real-API fields the domain does not model (unmodelled-fields.ts).
            const { spec, unmodelled: kept } = seedUnmodelled(list, item);
            if (validate && !validate({ spec })) throw validationError(validate.errors ?? [], 'body');
            (result[into] as unknown[]).push(seed(rt.store, spec as never, now, kept));
          } catch (error) {
            throw named(error, list, i);
          }
        });
      }
    });
    await rt.persist();
    return result;
  };
}

/** An item's error names the item: `users.1.spec.email`. */
function named(error: unknown, list: SeedList, i: number): unknown {
  if (!(error instanceof ApiError)) return error;
  const field = `${list}.${i}${error.field ? `.${error.field}` : ''}`;
  return new ApiError(error.code, `seed ${list}[${i}]: ${error.message}`, field, error.status);
}
