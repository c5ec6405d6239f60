import { Context } from '@temporalio/activity';

/** Heartbeats when running as an activity; a no-op when called directly (tests, scripts). */
export function heartbeat(details?: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    // Not inside an activity.
  }
}

/** ISO timestamps from two sources compared as instants; undefined sorts as "long ago". */
export function isAtOrAfter(isoTime: string | undefined, epochMs: number): boolean {
  return isoTime !== undefined && Date.parse(isoTime) >= epochMs;
}
