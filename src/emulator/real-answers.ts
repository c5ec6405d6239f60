// Answers the real service gives that no API document describes: the edge's (load balancer, gateway) in
// front of the API, and other codes for a conflict. Switched by realism.ts (edgeAnswers,
// undocumentedConflictCodes).
import { ApiError } from './errors';
import { prng } from './faults';
import type { RealismParams } from './realism';

/** An answer from in front of the API: not a google.rpc.Status, not the given document's Error. */
export interface EdgeAnswer {
  name: 'html-503' | 'plain-429' | 'empty-502' | 'html-504';
  status: 429 | 502 | 503 | 504;
  contentType?: string;
  body: string;
  retryAfterSeconds?: number;
  /** On a mutation: answered after the mutation was applied (it committed; the client never hears so). */
  afterCommit: boolean;
}

const page = (title: string) =>
  `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n</body>\r\n</html>\r\n`;

const HTML_503: EdgeAnswer = {
  name: 'html-503',
  status: 503,
  contentType: 'text/html',
  body: page('503 Service Temporarily Unavailable'),
  retryAfterSeconds: 1,
  afterCommit: false,
};
const PLAIN_429: EdgeAnswer = {
  name: 'plain-429',
  status: 429,
  contentType: 'text/plain; charset=utf-8',
  body: 'Too Many Requests\n',
  afterCommit: false,
};
const EMPTY_502: EdgeAnswer = { name: 'empty-502', status: 502, body: '', afterCommit: true };
const HTML_504: EdgeAnswer = {
  name: 'html-504',
  status: 504,
  contentType: 'text/html',
  body: page('504 Gateway Time-out'),
  afterCommit: true,
};

// A mutation gets the after-commit answers more often: a lost answer is what a client must resolve.
const FOR_READS = [HTML_503, PLAIN_429, EMPTY_502, HTML_504] as const;
const FOR_MUTATIONS = [EMPTY_502, HTML_503, HTML_504, PLAIN_429] as const;

/**
 * About one Ops API request in `every` is the edge's, drawn from a seeded PRNG (so a run is reproducible and
 * no fixed pattern can starve a client that makes a few requests per attempt); which answer it gets cycles.
 */
export class EdgeSchedule {
  readonly #random: () => number;
  #reads = 0;
  #mutations = 0;

  constructor(seed: number) {
    this.#random = prng(seed);
  }

  next(every: number, mutation: boolean): EdgeAnswer | undefined {
    if (this.#random() * every >= 1) return undefined;
    return mutation
      ? FOR_MUTATIONS[this.#mutations++ % FOR_MUTATIONS.length]
      : FOR_READS[this.#reads++ % FOR_READS.length];
  }
}

/**
 * A conflict as the real service may word it: a taken name, a refused reuse of an async operation id and a
 * stale resourceVersion with the codes the switch's parameters name (message and field unchanged).
 */
export function recodeConflict(error: ApiError, codes: RealismParams['undocumentedConflictCodes']): ApiError {
  let code: ApiError['code'] | undefined;
  if (error.code === 'resource_version_mismatch') code = codes.staleVersion;
  else if (error.code === 'already_exists')
    code = error.field === 'asyncOperationId' ? codes.reusedOperationId : codes.takenName;
  return code === undefined || code === error.code ? error : new ApiError(code, error.message, error.field);
}
