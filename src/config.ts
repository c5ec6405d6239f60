import { z } from 'zod';
import { DEFAULT_CLOUD_API_VERSION, DIALECTS } from './shared/dialects';
import { DEFAULT_TASK_QUEUE } from './shared/workflow-ids';

/** A configuration problem, reported at start-up as "VARIABLE: what is wrong" instead of a stack trace. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const positiveNumber = z.coerce.number().positive();

/** Where the Ops API is: required by the worker, given by the stack when it runs the emulator itself. */
const opsApiLocation = {
  OPS_API_URL: z.url({ error: 'must be a URL, e.g. https://saas-api.tmprl.cloud' }),
  OPS_API_KEY: z.string({ error: 'is required (the Ops API key, sent as a Bearer token)' }).min(1, {
    error: 'must not be empty',
  }),
};

const workerFields = {
  /** `openapi` (the given document) or `cloud` (the real API); default from the URL's host. */
  OPS_API_DIALECT: z.enum(DIALECTS, { error: `must be one of ${DIALECTS.join(', ')}` }).optional(),
  /** The real API's version header; pinned, so automation never floats on "latest". */
  OPS_API_VERSION: z
    .string()
    .regex(/^v\d+\.\d+\.\d+$/, { error: 'must look like v0.17.0' })
    .default(DEFAULT_CLOUD_API_VERSION),
  /** Cap on this worker's async operations in flight; 0 turns it off. Default: 10 for the real API. */
  OPS_API_MAX_CONCURRENT_MUTATIONS: z.coerce.number().int().min(0).optional(),
  OPS_API_TIMEOUT_MS: positiveNumber.default(20_000),
  /** Cap on this worker's Ops API requests per second. */
  OPS_API_RATE_LIMIT: positiveNumber.optional(),
  /** Cap on activity starts per second across the whole task queue, enforced by the Temporal server. */
  OPS_API_TASK_QUEUE_RATE_LIMIT: positiveNumber.optional(),
  /** Cap on Ops API requests per second across every worker of the task queue; 0 turns it off. */
  OPS_API_FLEET_RATE_LIMIT: z.coerce.number().int({ error: 'must be a whole number' }).min(0).optional(),
  /** Cap on async operations in flight across every worker of the task queue; 0 turns it off. */
  OPS_API_FLEET_MAX_CONCURRENT_MUTATIONS: z.coerce.number().int().min(0).optional(),
  /** How long a worker's fleet slots outlive it when it dies; default: see fleetLeaseSeconds. */
  OPS_API_FLEET_LEASE_SECONDS: positiveNumber.optional(),
  TASK_QUEUE: z.string().min(1).default(DEFAULT_TASK_QUEUE),
  MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().positive().default(100),
  /** Where scheduled plans post a signed drift summary; off when unset. */
  DRIFT_WEBHOOK_URL: z.url({ error: 'must be a URL' }).optional(),
  DRIFT_WEBHOOK_HMAC_SECRET: z.string().min(16, { error: 'must be at least 16 characters' }).optional(),
  /** A workflow bundle made by `npm run bundle-workflows`: the worker starts without bundling (seconds of CPU). */
  WORKFLOW_BUNDLE: z.string().min(1).optional(),
  /** Where the expiry watch posts signed warnings; off when unset. */
  EXPIRY_WEBHOOK_URL: z.url({ error: 'must be a URL' }).optional(),
  EXPIRY_WEBHOOK_HMAC_SECRET: z.string().min(16, { error: 'must be at least 16 characters' }).optional(),
};

/** The rules across variables, for the worker's schema and the stack's alike. */
function crossChecks(
  c: Partial<Record<`${'DRIFT' | 'EXPIRY'}_WEBHOOK_${'URL' | 'HMAC_SECRET'}`, string>> & {
    OPS_API_TIMEOUT_MS: number;
    OPS_API_FLEET_LEASE_SECONDS?: number | undefined;
  },
  ctx: z.RefinementCtx,
): void {
  for (const hook of ['DRIFT', 'EXPIRY'] as const) {
    if (c[`${hook}_WEBHOOK_URL`] && !c[`${hook}_WEBHOOK_HMAC_SECRET`])
      ctx.addIssue({
        code: 'custom',
        message: `is required with ${hook}_WEBHOOK_URL (the receiver checks the signature)`,
        path: [`${hook}_WEBHOOK_HMAC_SECRET`],
      });
  }
  // A request and its rate window must fit in the half of a lease left when it is renewed (src/fleet/request-slots.ts).
  if ((c.OPS_API_FLEET_LEASE_SECONDS ?? Infinity) < minFleetLeaseSeconds(c.OPS_API_TIMEOUT_MS))
    ctx.addIssue({
      code: 'custom',
      message:
        'must be at least 2 × (OPS_API_TIMEOUT_MS + 1 s), so a request and its rate window fit in half a lease',
      path: ['OPS_API_FLEET_LEASE_SECONDS'],
    });
}

const workerEnv = z.object({ ...opsApiLocation, ...workerFields }).superRefine(crossChecks);
const workerSettingsEnv = z
  .object({ ...workerFields, OPS_API_URL: opsApiLocation.OPS_API_URL.optional() })
  .extend({ OPS_API_KEY: opsApiLocation.OPS_API_KEY.optional() })
  .superRefine(crossChecks);

export function minFleetLeaseSeconds(timeoutMs: number): number {
  return 2 * (timeoutMs / 1000 + 1.05);
}

/** The fleet lease: as configured, else 60 s, or the least a longer OPS_API_TIMEOUT_MS allows. */
export function fleetLeaseSeconds(
  c: Pick<WorkerConfig, 'OPS_API_FLEET_LEASE_SECONDS' | 'OPS_API_TIMEOUT_MS'>,
): number {
  return c.OPS_API_FLEET_LEASE_SECONDS ?? Math.max(60, Math.ceil(minFleetLeaseSeconds(c.OPS_API_TIMEOUT_MS)));
}

export type WorkerConfig = z.output<typeof workerEnv>;
/** The worker's configuration before the Ops API's location is known (the stack may start the emulator first). */
export type WorkerSettings = z.output<typeof workerSettingsEnv>;

type Env = Record<string, string | undefined>;

/** The worker's variables (`npm run worker`): every problem named by its variable, as a ConfigError. */
export function loadWorkerConfig(env: Env = process.env): WorkerConfig {
  return parseEnv(workerEnv, env);
}

/** The same variables, where OPS_API_URL and OPS_API_KEY may be left out (`npm start` runs the emulator then). */
export function loadWorkerSettings(env: Env = process.env): WorkerSettings {
  return parseEnv(workerSettingsEnv, env);
}

/** Parses the set variables (empty ones count as unset, as shells often export them so) with `schema`. */
export function parseEnv<T extends z.ZodType>(schema: T, env: Env): z.output<T> {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return parsed.data;
}
