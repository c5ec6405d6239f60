// What a finished run says, for the events endpoint's status and the portal's pages: its failure (the
// reason inside, not "Workflow execution failed") and results with any secret-named field redacted.
import { WorkflowFailedError } from '@temporalio/client';

export interface RunFailure {
  message: string;
  type?: string;
  /** The failure's first detail (e.g. what a provisioning rolled back), secrets redacted. */
  details?: Record<string, unknown>;
}

/** The failure of a run that did not complete, from awaiting its result. */
export async function runFailure(result: () => Promise<unknown>): Promise<RunFailure> {
  try {
    await result();
    return { message: 'finished without a result' };
  } catch (err) {
    // WorkflowFailedError says only "Workflow execution failed"; the ApplicationFailure inside says why.
    const cause = err instanceof WorkflowFailedError && err.cause ? err.cause : err;
    const { type, details } = cause as { type?: unknown; details?: unknown };
    const first = Array.isArray(details) ? details[0] : undefined;
    return {
      message: cause instanceof Error ? cause.message : String(cause),
      ...(typeof type === 'string' ? { type } : {}),
      ...(first && typeof first === 'object'
        ? { details: withoutSecrets(first) as Record<string, unknown> }
        : {}),
    };
  }
}

const SECRET_KEYS = new Set(['token', 'secret', 'password', 'apikey', 'authorization']);

/** Results carry secret references, never secrets; this is a second line of defence. */
export function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        SECRET_KEYS.has(k.toLowerCase()) ? '[redacted]' : withoutSecrets(v),
      ]),
    );
  }
  return value;
}
