// How `npm run apply` shows an apply as it goes: the plan (again when it changes), the approval it waits for, each
// change, and how it ended.
import { describeChange, formatPlan } from '../desired-state/format';
import type { LoadedState } from '../desired-state/load';
import type { AppliedChange, ReconcileResult, ReconcileStatus } from '../workflows/reconcile';
import type { Output } from './cli';
import { shellArg } from './desired-state';

/** `npm run apply -- -f <the file> <more>`, to copy and paste. */
export const applyAgain = (loaded: LoadedState, ...more: string[]) =>
  ['npm run apply -- -f', shellArg(loaded.file), ...more].join(' ');

export class Progress {
  private readonly t0 = Date.now();
  private step?: string;
  private lastError?: string;
  private planShown?: string;
  private approvalShown?: string;
  private appliedShown = 0;

  constructor(
    private readonly loaded: LoadedState,
    private readonly out: Output,
  ) {}

  status(s: ReconcileStatus): void {
    const elapsed = `${((Date.now() - this.t0) / 1000).toFixed(1)}s`;
    if (s.step !== this.step) this.out.say(`[${elapsed}] ${s.step}`);
    this.step = s.step;
    if (s.plan && s.step !== 'planning') this.plan(s.plan);
    if (s.step === 'awaiting-approval' && s.awaitingApproval) this.approval(s.awaitingApproval);
    this.applied(s.applied);
    if (s.lastError && s.lastError !== this.lastError)
      this.out.say(`[${elapsed}] last error: ${s.lastError}`);
    this.lastError = s.lastError;
  }

  finish(result: ReconcileResult): void {
    this.plan(result.plan);
    this.applied(result.applied);
    const count = (o: AppliedChange['outcome']) => result.applied.filter((a) => a.outcome === o).length;
    const by = result.approval ? ` by ${result.approval.by} at ${result.approval.at}` : '';
    const lines: Record<ReconcileResult['outcome'], string> = {
      applied:
        `Apply complete: ${count('done')} done, ${count('skipped')} skipped, ${count('failed')} failed.` +
        (result.approval ? ` Destructive changes approved${by}.` : ''),
      // The plan shown above already says "No changes" when there are none.
      'no-changes':
        count('skipped') > 0
          ? 'Nothing that can be applied: the changes above cannot be made through this Ops API.'
          : '',
      rejected: `Rejected${by}${result.approval?.comment ? ` (${result.approval.comment})` : ''}: nothing was changed.`,
      'approval-timed-out': 'No decision before the deadline: nothing was changed. Apply again to ask again.',
      planned: 'Planned only.',
    };
    if (lines[result.outcome]) this.out.show(lines[result.outcome]);
  }

  private plan(plan: NonNullable<ReconcileStatus['plan']>): void {
    if (plan.fingerprint === this.planShown) return;
    const heading = this.planShown
      ? 'The account changed while the apply waited; it planned again:'
      : `Plan for ${this.loaded.name} (${this.loaded.file}):`;
    this.planShown = plan.fingerprint;
    this.out.show(`${heading}\n\n${formatPlan(plan)}\n`);
  }

  private approval(waiting: NonNullable<ReconcileStatus['awaitingApproval']>): void {
    if (waiting.fingerprint === this.approvalShown) return;
    this.approvalShown = waiting.fingerprint;
    const n = waiting.destructive.length;
    this.out.show(
      [
        `Waiting for approval (until ${waiting.deadline}) of ${n} destructive change${n === 1 ? '' : 's'}${waiting.requestedBy ? ` requested by ${waiting.requestedBy}` : ''}:`,
        ...waiting.destructive.map((d) => `    ${d}`),
        `  Approve exactly this plan: ${applyAgain(this.loaded, '--approve --approver <name>')}`,
        `  Or reject it:              ${applyAgain(this.loaded, '--reject --reason "..."')}`,
        '  (Ctrl-C stops waiting here; the apply keeps waiting for a decision.)',
        '',
      ].join('\n'),
    );
  }

  private applied(applied: AppliedChange[]): void {
    for (const a of applied.slice(this.appliedShown)) {
      const mark = a.outcome === 'done' ? '✔' : a.outcome === 'failed' ? '✘' : '-';
      const what = a.outcome === 'skipped' ? `skipped ${describeChange(a)}` : describeChange(a);
      this.out.show(`  ${mark} ${what}${a.detail ? `: ${a.detail}` : ''}`);
    }
    this.appliedShown = Math.max(this.appliedShown, applied.length);
  }
}
