// What the HTTP layer shares with the programmatic handle, and what it knows of each request in flight.
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { DialectName } from '../cloud-api';
import type { AnyOperationId } from '../ops-api/types';
import type { Clock } from './clock';
import type { RuntimeConfig } from './config';
import type { WireDialect } from './dialects';
import type { FaultEngine } from './faults';
import type { PageLimits } from './pagination';
import type { TokenBucket } from './rate-limit';
import type { EdgeAnswer } from './real-answers';
import type { Realism } from './realism';
import type { RealismRules } from './realism-rules';
import type { Store } from './store';
import type { SchemaValidators } from './validator';

export interface RequestLogEntry {
  method: string;
  path: string;
  operationId: string | undefined;
  /** `openapi` for /api/v1 (and everything else), `cloud` for /cloud. */
  dialect: DialectName;
  /** The `temporal-cloud-api-version` header of a /cloud request, as sent. */
  apiVersion?: string;
  /** HTTP status; 0 when nobody was answered (a commit-then-drop, or a late commit whose client left). */
  status: number;
  /** The fault that shaped this request's outcome, when one did so the client never heard. */
  fault?: 'commit-then-drop' | 'late-commit';
  /** Answered by the edge in front of the API (realism switch `edgeAnswers`), and which answer. */
  edge?: EdgeAnswer['name'];
  /** The emulator clock's ms when the request arrived. */
  time: number;
  /** Wall-clock ms when the request arrived. */
  wallTime: number;
}

/** Everything the HTTP layer shares with the programmatic handle. */
export interface Runtime {
  store: Store;
  faults: FaultEngine;
  config: RuntimeConfig;
  clock: Clock;
  logger: Logger;
  limits: PageLimits;
  apiKey: string;
  requestLog: RequestLogEntry[];
  bucket: TokenBucket | undefined;
  validators: SchemaValidators;
  /** Which of the real service's behaviours are on (realism.ts), and what they saw. */
  realism: Realism;
  /** Seed of the edge's draws (realism switch `edgeAnswers`): the emulator's `faultSeed`. */
  edgeSeed: number;
  /** Persists the state if a statePath was given. */
  persist(): Promise<void>;
  /** Aborted when the emulator closes: fault delays end then instead of outliving it. */
  closing: AbortSignal;
  /** What the lifecycle switches refuse before a handler runs (realism-rules.ts). */
  realismRules: RealismRules;
}

export interface RequestContext {
  now: number;
  wallTime: number;
  started: number;
  operationId: AnyOperationId | undefined;
  dialect: WireDialect;
  apiVersion: string | undefined;
  admin: boolean;
  recorded: boolean;
  /** The edge's answer this request gets instead of the API's (after the change, for an after-commit one). */
  edge: EdgeAnswer | undefined;
}

const contexts = new WeakMap<FastifyRequest, RequestContext>();

export const setContext = (req: FastifyRequest, ctx: RequestContext): void => {
  contexts.set(req, ctx);
};
/** The context, when the request got as far as having one (a body Fastify refused may not have). */
export const contextIfAny = (req: FastifyRequest): RequestContext | undefined => contexts.get(req);

export function contextOf(req: FastifyRequest): RequestContext {
  const ctx = contexts.get(req);
  if (!ctx) throw new Error('request context missing');
  return ctx;
}

export const pathOf = (url: string): string => url.split('?', 1)[0] ?? url;

/** Reads the clock (it may be slow: it is awaited), never letting the emulator's time run backwards. */
export const readClock = async (rt: Runtime): Promise<number> => rt.store.advanceTo(await rt.clock.now());
