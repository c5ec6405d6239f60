// Who asked for a run, and through what (portal, signed event, terminal, schedule, another workflow).
import type { RunSummary } from '../runs';

interface Requester {
  /** A person's name, or what started the run when no person is known. */
  who: string;
  /** Whether `who` is a person. */
  person: boolean;
  /** Through what, when a person asked other than in the portal. */
  via?: string;
}

export function requesterOf(run: RunSummary): Requester {
  const person = run.requestedBy ?? (run.source === 'events' ? undefined : run.approval?.requestedBy);
  switch (run.source) {
    case 'portal':
      return person ? { who: person, person: true } : { who: 'someone in the portal', person: false };
    case 'events':
      return { who: 'a signed event', person: false };
    case 'cli':
      return person
        ? { who: person, person: true, via: 'from a terminal' }
        : { who: 'someone at a terminal', person: false };
    case 'schedule':
      return { who: 'a schedule', person: false };
    case 'workflow':
      return { who: `workflow ${run.parentWorkflowId ?? '?'}`, person: false };
    default:
      return person
        ? { who: person, person: true, via: 'outside the portal' }
        : { who: 'someone outside the portal', person: false };
  }
}

export function RequesterText({ run }: { run: RunSummary }) {
  const r = requesterOf(run);
  if (!r.person) return <span class="muted">{r.who}</span>;
  return (
    <>
      {r.who}
      {r.via ? <span class="muted"> ({r.via})</span> : null}
    </>
  );
}
