// While temporary access is granted: a durable timer to its end, extensions (each approved again, by someone other
// than who asked for it) and an early revocation (grantTemporaryAccess, ./grant-temporary-access.ts).
import { condition } from '@temporalio/workflow';
import { parseDurationMs, validate } from '../shared/validation';
import { accessDuration } from '../shared/temporary-access';
import type { Decision, DecisionGate } from './approvals';

/** An extension asked for while the access is granted. */
export interface ExtensionRequest {
  /** How much longer, from the current end. */
  duration: string;
  reason?: string;
  requestedBy: string;
  requestedAt: string;
}

export interface ExtensionRecord extends ExtensionRequest {
  outcome: 'approved' | 'rejected' | 'approval-timed-out' | 'withdrawn';
  decidedBy?: string;
  /** The new end, when approved. */
  endsAt?: string;
}

/** What of a run the hold reads and writes. */
export interface HoldingRun {
  status: {
    step: string;
    endsAt?: string;
    extension?: ExtensionRequest;
    awaitingApproval?: boolean;
    extensions: ExtensionRecord[];
    revokeRequested?: unknown;
  };
  gate: DecisionGate;
  approvalNeeded: boolean;
  input: { approvalTimeout: string };
  endsAtMs: number;
}

/** Extensions a run takes, decided or not: bounds its history. */
export const MAX_EXTENSIONS = 10;

/** Why an `extend` signal is refused, or undefined when it is taken. */
export function extensionRefusal(
  run: HoldingRun,
  req: { by?: string; duration?: unknown } | undefined,
): string | undefined {
  const { status } = run;
  if (!req?.by?.trim()) return 'an extension must name who asks for it';
  if (status.step !== 'granted' || status.revokeRequested)
    return 'only access that is granted can be extended';
  if (status.extension) return 'an extension is already waiting for a decision';
  if (status.extensions.length >= MAX_EXTENSIONS) return `at most ${MAX_EXTENSIONS} extensions per request`;
  const checked = validate(accessDuration, req.duration);
  return checked.ok ? undefined : `duration ${checked.problems.map((p) => p.message).join('; ')}`;
}

/** Until the access ends: its time is up, or `revokeNow` came; extensions are decided as they come. */
export async function holdUntilEnd(run: HoldingRun): Promise<void> {
  const { status } = run;
  for (;;) {
    const left = run.endsAtMs - Date.now();
    if (status.revokeRequested || left <= 0) return;
    const woken = await condition(
      () => status.revokeRequested !== undefined || status.extension !== undefined,
      left,
    );
    if (!woken) return;
    if (status.extension && !status.revokeRequested) await decideExtension(run, status.extension);
  }
}

/** Waits for an approval of the extension at most until the access ends; an approved one moves the end. */
async function decideExtension(run: HoldingRun, ext: ExtensionRequest): Promise<void> {
  const { status, gate } = run;
  let decision: Decision | undefined;
  const timeoutMs = Math.min(parseDurationMs(run.input.approvalTimeout)!, run.endsAtMs - Date.now());
  if (run.approvalNeeded && timeoutMs > 0) {
    status.awaitingApproval = true;
    const answer = await gate.wait(timeoutMs, {
      until: () => status.revokeRequested !== undefined,
      askedBy: ext.requestedBy,
    });
    delete status.awaitingApproval;
    decision = answer?.decision;
  } else if (!run.approvalNeeded) {
    decision = { decision: 'approved', by: 'no approval needed (policy)', at: new Date().toISOString() };
  }
  const outcome = decision?.decision ?? (status.revokeRequested ? 'withdrawn' : 'approval-timed-out');
  if (outcome === 'approved') {
    run.endsAtMs += parseDurationMs(ext.duration)!;
    status.endsAt = new Date(run.endsAtMs).toISOString();
  }
  status.extensions.push({
    ...ext,
    outcome,
    ...(decision ? { decidedBy: decision.by } : {}),
    ...(outcome === 'approved' ? { endsAt: status.endsAt! } : {}),
  });
  delete status.extension;
}
