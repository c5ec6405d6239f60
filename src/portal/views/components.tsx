// Pieces every page uses. Rendering is Preact's: every string child and attribute is escaped, and nothing here
// writes raw HTML, so request data cannot become markup.
import type { ComponentChildren } from 'preact';
import { ACTION_LABELS, DEADLINE_LABELS, type DecisionAction, type PendingDecision } from '../decisions';
import type { TimelineEntry } from '../steps';

/** A moment, shown in the viewer's local time by the page's script (UTC until then, and without script). */
export function Time({ at }: { at: Date | string }) {
  const iso = typeof at === 'string' ? at : at.toISOString();
  return (
    <time datetime={iso} data-local="">
      {iso
        .replace('T', ' ')
        .replace(/\.\d+Z$/, ' UTC')
        .replace(/Z$/, ' UTC')}
    </time>
  );
}

/** "3 min", "2 h 5 min", "4 d": how long ago `since` was, to the precision a person needs. */
export function elapsed(since: Date, now: Date = new Date()): string {
  const s = Math.max(0, Math.round((now.getTime() - since.getTime()) / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  return `${Math.floor(h / 24)} d`;
}

const STATUS_WORDS: Record<string, string> = {
  RUNNING: 'Running',
  COMPLETED: 'Completed',
  FAILED: 'Failed',
  CANCELLED: 'Cancelled',
  TERMINATED: 'Terminated',
  TIMED_OUT: 'Timed out',
  CONTINUED_AS_NEW: 'Continued as new',
};

export function StatusBadge({ status }: { status: string }) {
  return (
    <span class={`badge badge-${status.toLowerCase()}`} data-status={status}>
      {STATUS_WORDS[status] ?? status}
    </span>
  );
}

const STATE_WORDS: Record<TimelineEntry['state'], string> = {
  done: 'done',
  current: 'in progress',
  upcoming: 'not yet',
  skipped: 'skipped',
  failed: 'failed here',
};

export function Timeline({ entries }: { entries: TimelineEntry[] }) {
  if (entries.length === 0) return <p class="muted">No steps reported yet.</p>;
  return (
    <ol class="timeline">
      {entries.map((e) => (
        <li class={`step step-${e.state}`} data-step={e.step} data-state={e.state}>
          <span class="step-label">{e.label}</span> <span class="step-state">({STATE_WORDS[e.state]})</span>
        </li>
      ))}
    </ol>
  );
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** camelCase → "camel case", for keys of results and statuses shown as they are. */
export function humanKey(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .replace(/\bapi\b/g, 'API')
    .replace(/\bgrpc\b/g, 'gRPC')
    .replace(/\bmtls\b/g, 'mTLS')
    .replace(/\bid\b/g, 'ID');
  // An acronym written with a small first letter (gRPC, mTLS) keeps it.
  if (/^[a-z]+[A-Z]/.test(words)) return words;
  return `${words[0]?.toUpperCase() ?? ''}${words.slice(1)}`;
}

/** Any JSON value as nested definition lists (depth-limited; long strings cut). */
export function Value({ value, depth = 0 }: { value: unknown; depth?: number }): preact.JSX.Element {
  if (value === undefined || value === null) return <span class="muted">—</span>;
  if (typeof value === 'boolean') return <span>{value ? 'yes' : 'no'}</span>;
  if (typeof value === 'number') return <span>{String(value)}</span>;
  if (typeof value === 'string') {
    if (/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(value)) return <Time at={value} />;
    return <span class="value">{value.length > 500 ? `${value.slice(0, 500)}…` : value}</span>;
  }
  if (depth >= 4) return <span class="muted">…</span>;
  if (Array.isArray(value)) {
    if (value.length === 0) return <span class="muted">none</span>;
    return (
      <ul class="values">
        {value.slice(0, 50).map((v) => (
          <li>
            <Value value={v} depth={depth + 1} />
          </li>
        ))}
        {value.length > 50 ? <li class="muted">… and {value.length - 50} more</li> : null}
      </ul>
    );
  }
  if (isPlainObject(value)) return <KeyValues data={value} depth={depth + 1} />;
  return <span>{String(value)}</span>;
}

export function KeyValues({
  data,
  depth = 0,
  omit = [],
}: {
  data: Record<string, unknown>;
  depth?: number;
  omit?: string[];
}) {
  const entries = Object.entries(data).filter(([k, v]) => !omit.includes(k) && v !== undefined);
  if (entries.length === 0) return <span class="muted">none</span>;
  return (
    <dl class="kv">
      {entries.map(([k, v]) => (
        <div class="kv-row" data-key={k}>
          <dt>{humanKey(k)}</dt>
          <dd>
            <Value value={v} depth={depth} />
          </dd>
        </div>
      ))}
    </dl>
  );
}

export function CsrfField({ token }: { token: string }) {
  return <input type="hidden" name="_csrf" value={token} />;
}

/** Approve / reject (or confirm cut-over / abort) with an optional comment; the server checks who may. */
export function DecisionForm({
  workflowId,
  runId,
  decision,
  csrf,
  refusal,
}: {
  workflowId: string;
  runId: string;
  decision: PendingDecision;
  csrf: string;
  /** Why this user may not decide; the buttons are then disabled and this is said. */
  refusal?: string;
}) {
  const id = `comment-${runId}`;
  return (
    <form method="post" action="/decisions" class="decision" data-decision-for={workflowId}>
      <CsrfField token={csrf} />
      <input type="hidden" name="workflowId" value={workflowId} />
      <input type="hidden" name="runId" value={runId} />
      {decision.deadline ? (
        <p class="muted">
          {DEADLINE_LABELS[decision.kind]} <Time at={decision.deadline} />.
        </p>
      ) : null}
      {refusal ? (
        <p class="note" role="note">
          You cannot decide: {refusal}.
        </p>
      ) : null}
      <label for={id}>Comment (optional)</label>
      <input id={id} name="comment" maxLength={500} disabled={Boolean(refusal)} />
      <div class="buttons">
        {decision.actions.map((action: DecisionAction, i) => (
          <button
            type="submit"
            name="action"
            value={action}
            class={i === 0 ? 'primary' : 'secondary'}
            disabled={Boolean(refusal)}
          >
            {ACTION_LABELS[action]}
          </button>
        ))}
      </div>
    </form>
  );
}

export function ErrorList({ messages }: { messages: string[] | undefined }) {
  if (!messages?.length) return null;
  return (
    <ul class="field-errors">
      {messages.map((m) => (
        <li>{m}</li>
      ))}
    </ul>
  );
}

export function Section({
  title,
  children,
  id,
}: {
  title: string;
  children: ComponentChildren;
  id?: string;
}) {
  return (
    <section aria-labelledby={id ? `${id}-title` : undefined} id={id}>
      <h2 id={id ? `${id}-title` : undefined}>{title}</h2>
      {children}
    </section>
  );
}

/** A table that becomes cards on narrow screens (each cell names its column in `data-label`). */
export function CardTable({
  caption,
  columns,
  class: extra,
  children,
}: {
  caption: string;
  columns: readonly string[];
  class?: string;
  children: ComponentChildren;
}) {
  return (
    <div class="table-wrap">
      <table class={extra ? `runs ${extra}` : 'runs'}>
        <caption class="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th scope="col">{c}</th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

/** The portal's path of a run's page. */
export function runPath(workflowId: string, runId?: string): string {
  return `/runs/${encodeURIComponent(workflowId)}${runId ? `?run=${encodeURIComponent(runId)}` : ''}`;
}
