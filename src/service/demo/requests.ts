// The demo's side of the events endpoint, as any sender's: a signed event, then the status link until the run is done.
import { webhookSignatureHeaders } from '../../secrets/webhook-signature';
import type { RequestType } from '../../catalog';

export interface Accepted {
  workflowId: string;
  runId: string;
  statusUrl: string;
  uiUrl?: string;
}

interface RequestStatus {
  status: string;
  done: boolean;
  progress?: { step?: string };
  result?: Record<string, unknown>;
  error?: { message: string };
}

/** Signs and sends one event; returns the endpoint's answer. */
export async function sendEvent(
  eventsUrl: string,
  secret: string,
  event: { id: string; type: RequestType; data: unknown },
): Promise<{ status: number; body: Record<string, unknown> }> {
  const body = JSON.stringify(event);
  const res = await fetch(`${eventsUrl}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...webhookSignatureHeaders(body, secret) },
    body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Polls a status URL until the run is done, reporting each new step. */
export async function waitForRequest(
  statusUrl: string,
  onStep: (step: string) => void = () => undefined,
  timeoutMs = 120_000,
): Promise<RequestStatus> {
  const deadline = Date.now() + timeoutMs;
  let lastStep = '';
  while (Date.now() < deadline) {
    const res = await fetch(statusUrl);
    if (res.ok) {
      const status = (await res.json()) as RequestStatus;
      const step = status.progress?.step;
      if (step && step !== lastStep) onStep((lastStep = step));
      if (status.done) return status;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${statusUrl} not done after ${timeoutMs / 1000} s`);
}
