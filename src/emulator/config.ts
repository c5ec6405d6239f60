import { z } from 'zod';
import { isMutation, type AnyOperationId } from '../ops-api/types';
import type { RateLimitConfig } from './rate-limit';
import {
  realismParamsSchema,
  realismSettingsSchema,
  type RealismParamsUpdate,
  type RealismSwitch,
} from './realism';
import type { Timing } from './store';

// The operations that start an async operation; their operationId is the operation's operationType.
export { isMutation, MUTATION_IDS as MUTATIONS, type MutationId } from '../ops-api/types';

/** Namespaces take longer in the real service too. */
export function defaultDurationMs(operationType: string): number {
  return /Namespace$/.test(operationType) ? 5000 : 1000;
}

export type DurationSetting = number | Partial<Record<string, number>>;

export interface RuntimeConfigInput {
  asyncOperationDurationMs?: DurationSetting;
  checkDurationMs?: number;
  /** `null` turns the limiter off (only reachable through configure / the admin endpoint). */
  rateLimit?: RateLimitConfig | null;
  /**
   * The clock-skew fault: the emulator's clock runs this many ms ahead (negative: behind) of the
   * clock it was given, so every timestamp it reports (createdTime, startedTime, ...) is off by that.
   */
  clockSkewMs?: number;
  /**
   * What a mutation repeated under an async operation id it already used gets: `replay` (default) the
   * first answer again; `refuse` a 409 `already_exists` naming `asyncOperationId` — how a server without
   * replay would behave (the real API's choice is not documented), so clients are tested against both.
   */
  operationIdReuse?: 'replay' | 'refuse';
  /** Realism switches (see realism.ts): `true`/`false` on both dialects, `null` back to the default. */
  realism?: Partial<Record<RealismSwitch, boolean | null>>;
  /** Parameters of the realism switches, per switch (partial). */
  realismParams?: RealismParamsUpdate;
}

const ms = z.number().min(0);
export const runtimeConfigSchema = z.strictObject({
  asyncOperationDurationMs: z
    .union([
      ms,
      z.record(
        z.string().refine((k) => k === '*' || isMutation(k), {
          message: "keys must be '*' or the operationId of a mutation (e.g. createNamespace)",
        }),
        ms,
      ),
    ])
    .optional(),
  checkDurationMs: ms.optional(),
  rateLimit: z
    .strictObject({ requestsPerSecond: z.number().positive(), burst: z.number().int().min(1).optional() })
    .nullable()
    .optional(),
  clockSkewMs: z.number().int().min(-86_400_000).max(86_400_000).optional(),
  operationIdReuse: z.enum(['replay', 'refuse']).optional(),
  realism: realismSettingsSchema.optional(),
  realismParams: realismParamsSchema.optional(),
});

export function parseRuntimeConfig(input: unknown): RuntimeConfigInput {
  const result = runtimeConfigSchema.safeParse(input);
  if (result.success) return result.data as RuntimeConfigInput;
  const issue = result.error.issues[0];
  const field = issue?.path.map(String).join('.') || 'config';
  throw Object.assign(new Error(`${field}: ${issue?.message ?? 'invalid configuration'}`), { field });
}

export class RuntimeConfig {
  durations: DurationSetting | undefined;
  checkDurationMs = 1000;
  clockSkewMs = 0;
  operationIdReuse: 'replay' | 'refuse' = 'replay';
  timing(operationType: AnyOperationId): Timing {
    return { durationMs: this.durationMs(operationType), checkDurationMs: this.checkDurationMs };
  }

  durationMs(operationType: string): number {
    const d = this.durations;
    if (typeof d === 'number') return d;
    return d?.[operationType] ?? d?.['*'] ?? defaultDurationMs(operationType);
  }
}
