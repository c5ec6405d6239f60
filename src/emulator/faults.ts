import { z } from 'zod';
import { ALL_OPERATION_IDS } from '../ops-api/types';

export type FaultRule = {
  /** Omitted or '*' = every spec operation (never the /_emulator admin endpoints). */
  operationId?: string;
  /** Apply to the next N matching requests, then the rule is spent; omitted = unlimited. */
  count?: number;
  /** 0..1 share of matching requests, drawn from a seeded PRNG so runs are reproducible. */
  probability?: number;
  /** PRNG seed for this rule; default derived from the emulator's `faultSeed` and the rule's id. */
  seed?: number;
} & (
  | { kind: 'latency'; ms: number }
  | { kind: 'error'; status: 500 | 503 }
  | { kind: 'rate-limit'; retryAfterSeconds: number }
  | { kind: 'commit-then-drop' }
  /** The server keeps working after the client gave up: the mutation commits `ms` after it arrived. */
  | { kind: 'late-commit'; ms: number }
  | { kind: 'async-fail'; reason: string }
);

export type FaultKind = FaultRule['kind'];
export type ListedFaultRule = FaultRule & { id: string };

const base = {
  operationId: z
    .string()
    .refine((id) => id === '*' || (ALL_OPERATION_IDS as readonly string[]).includes(id), {
      message: "must be '*' or an operationId of the spec",
    })
    .optional(),
  count: z.number().int().positive().optional(),
  probability: z.number().min(0).max(1).optional(),
  seed: z.number().int().optional(),
};

export const faultRuleSchema = z.discriminatedUnion('kind', [
  z.strictObject({ ...base, kind: z.literal('latency'), ms: z.number().int().min(0).max(600_000) }),
  z.strictObject({ ...base, kind: z.literal('error'), status: z.union([z.literal(500), z.literal(503)]) }),
  z.strictObject({ ...base, kind: z.literal('rate-limit'), retryAfterSeconds: z.number().int().min(0) }),
  z.strictObject({ ...base, kind: z.literal('commit-then-drop') }),
  z.strictObject({ ...base, kind: z.literal('late-commit'), ms: z.number().int().min(1).max(600_000) }),
  z.strictObject({ ...base, kind: z.literal('async-fail'), reason: z.string().min(1) }),
]);

// Compile-time proof that the runtime schema accepts exactly the documented type.
type Parsed = z.infer<typeof faultRuleSchema>;
const _sameShape: [Parsed extends FaultRule ? true : false, FaultRule extends Parsed ? true : false] = [
  true,
  true,
];
void _sameShape;

export class FaultRuleError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'FaultRuleError';
  }
}

export function parseFaultRule(input: unknown): FaultRule {
  const result = faultRuleSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.map(String).join('.') || 'rule';
  throw new FaultRuleError(`${field}: ${issue?.message ?? 'invalid fault rule'}`, field);
}

/** mulberry32: tiny, fast and good enough to make "30% of requests" reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface ActiveRule {
  id: string;
  rule: FaultRule;
  remaining: number | undefined;
  random: () => number;
}

export interface PreHandlerFaults {
  latencyMs: number;
  /** The first matching error / rate-limit rule that fired, if any. */
  terminal?: Extract<FaultRule, { kind: 'error' } | { kind: 'rate-limit' }>;
}

/**
 * The fault rules in force. A rule is "spent" (its count decremented) only when it actually fires:
 * a probability miss costs nothing, and commit-then-drop / async-fail fire only on a request that
 * succeeded / a mutation that was accepted.
 */
export class FaultEngine {
  private rules: ActiveRule[] = [];
  private nextId = 1;

  constructor(private readonly seed: number = 1) {}

  add(input: FaultRule): string {
    const rule = parseFaultRule(input);
    const n = this.nextId++;
    const id = `fault-${n}`;
    const seed = rule.seed ?? (this.seed * 7919 + n) | 0;
    this.rules.push({ id, rule, remaining: rule.count, random: prng(seed) });
    return id;
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length !== before;
  }

  clear(): void {
    this.rules = [];
  }

  /** The rules in force, `count` showing what is left of it. */
  list(): ListedFaultRule[] {
    return this.rules.map((r) => ({
      ...structuredClone(r.rule),
      ...(r.remaining === undefined ? {} : { count: r.remaining }),
      id: r.id,
    }));
  }

  private fires(active: ActiveRule, operationId: string): boolean {
    const target = active.rule.operationId;
    if (target !== undefined && target !== '*' && target !== operationId) return false;
    if (active.rule.probability !== undefined && active.random() >= active.rule.probability) return false;
    if (active.remaining !== undefined) {
      active.remaining -= 1;
      if (active.remaining <= 0) this.rules = this.rules.filter((r) => r !== active);
    }
    return true;
  }

  /** Latency (all matching rules add up) and at most one error / rate-limit, before the handler runs. */
  beforeHandler(operationId: string): PreHandlerFaults {
    const out: PreHandlerFaults = { latencyMs: 0 };
    for (const active of [...this.rules]) {
      const { rule } = active;
      if (rule.kind === 'latency') {
        if (this.fires(active, operationId)) out.latencyMs += rule.ms;
      } else if ((rule.kind === 'error' || rule.kind === 'rate-limit') && !out.terminal) {
        if (this.fires(active, operationId)) out.terminal = rule;
      }
    }
    return out;
  }

  /** Whether to drop the connection after this (successful, committed) request. */
  dropAfterCommit(operationId: string): boolean {
    return this.rules.some((r) => r.rule.kind === 'commit-then-drop' && this.fires(r, operationId));
  }

  /** How long a mutation waits before it commits (late-commit rules add up); 0 for at once. */
  commitDelayMs(operationId: string): number {
    let ms = 0;
    for (const active of [...this.rules]) {
      if (active.rule.kind === 'late-commit' && this.fires(active, operationId)) ms += active.rule.ms;
    }
    return ms;
  }

  /** The failure reason for the async operation a mutation is about to start, if a rule says so. */
  asyncFailure(operationId: string): string | undefined {
    for (const active of [...this.rules]) {
      if (active.rule.kind === 'async-fail' && this.fires(active, operationId)) return active.rule.reason;
    }
    return undefined;
  }
}
