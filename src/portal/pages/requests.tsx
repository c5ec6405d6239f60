// Requests: what the signed-in user may see, whatever started it, newest first, filterable, with step and source.
import type { FastifyInstance } from 'fastify';
import { REQUEST_KINDS } from '../../catalog';
import { csrfToken, sendPage, userOf, type PortalContext } from '../context';
import { STATUS_FILTERS, type RunSummary, type StatusFilter } from '../runs';
import { kindTitle, stepLabel } from '../steps';
import { elapsed, runPath, RunsTableFrame, StatusBadge, Time } from '../views/components';
import { Layout } from '../views/layout';
import { RequesterText } from '../views/requester';

const KINDS = Object.values(REQUEST_KINDS).map((k) => k.workflowType);

/** The part of a workflow id after its kind's prefix: the business key a person recognises. */
export function businessKey(workflowId: string): string {
  const slash = workflowId.indexOf('/');
  return slash > 0 ? workflowId.slice(slash + 1) : workflowId;
}

/** A run as its kind and business key, the key marked as an id that may break anywhere. */
export function RunName({ type, workflowId }: { type: string; workflowId: string }) {
  return (
    <>
      <span class="kind">{kindTitle(type)}</span> <span class="id">{businessKey(workflowId)}</span>
    </>
  );
}

export function registerRequestsPage(app: FastifyInstance, ctx: PortalContext): void {
  app.get<{ Querystring: { kind?: string; status?: string } }>('/', async (req, reply) => {
    const user = userOf(req);
    const kind = KINDS.includes(req.query.kind ?? '') ? req.query.kind : undefined;
    const status = (STATUS_FILTERS as readonly string[]).includes(req.query.status ?? '')
      ? (req.query.status as StatusFilter)
      : undefined;
    const filter = { ...(kind ? { workflowType: kind } : {}), ...(status ? { status } : {}) };
    const runs = await ctx.runs.list(filter, user.id);
    return sendPage(
      reply,
      <Layout title="Requests" user={user.id} csrf={csrfToken(req, reply)} current="requests">
        <h1>Requests</h1>
        <Filters kind={kind} status={status} />
        {runs.length === 0 ? (
          <p class="empty">
            No requests{kind || status ? ' match this filter' : ' yet'}.{' '}
            <a href="/new/namespace">Request a namespace</a>.
          </p>
        ) : (
          <RunsTable runs={runs} now={new Date()} />
        )}
        <p class="muted">
          You see the requests you made and those you may decide on, whether they came from this portal, a
          signed event, a starter in a terminal or a schedule.
        </p>
      </Layout>,
    );
  });
}

function Filters({ kind, status }: { kind: string | undefined; status: StatusFilter | undefined }) {
  return (
    <form method="get" action="/" class="filters" aria-label="Filter requests">
      <label for="kind">Kind</label>
      <select id="kind" name="kind">
        <option value="">All kinds</option>
        {KINDS.map((k) => (
          <option value={k} selected={k === kind}>
            {kindTitle(k)}
          </option>
        ))}
      </select>
      <label for="status">Status</label>
      <select id="status" name="status">
        <option value="">Any status</option>
        {STATUS_FILTERS.map((s) => (
          <option value={s} selected={s === status}>
            {s.replace(/([a-z])([A-Z])/g, '$1 $2')}
          </option>
        ))}
      </select>
      <button type="submit">Filter</button>
    </form>
  );
}

const COLUMNS = ['Request', 'Status', 'Step', 'Requested by', 'Started', 'Temporal'];

function RunsTable({ runs, now }: { runs: RunSummary[]; now: Date }) {
  return (
    <RunsTableFrame caption="Requests, newest first" columns={COLUMNS}>
      {runs.map((r) => (
        <RunRow run={r} now={now} />
      ))}
    </RunsTableFrame>
  );
}

const Nothing = () => <span class="muted">—</span>;

function RunRow({ run: r, now }: { run: RunSummary; now: Date }) {
  return (
    <tr data-workflow-id={r.workflowId} data-source={r.source ?? ''}>
      <td data-label="Request">
        <a href={runPath(r.workflowId, r.runId)}>
          <RunName type={r.type} workflowId={r.workflowId} />
        </a>
      </td>
      <td data-label="Status">
        <StatusBadge status={r.status} />
      </td>
      <td data-label="Step">
        <StepCell run={r} now={now} />
      </td>
      <td data-label="Requested by">
        <RequesterText run={r} />
      </td>
      <td data-label="Started">
        <Time at={r.startTime} />
      </td>
      <td data-label="Temporal">
        {r.uiUrl ? (
          <a href={r.uiUrl} rel="noopener noreferrer">
            Temporal UI
          </a>
        ) : (
          <Nothing />
        )}
      </td>
    </tr>
  );
}

function StepCell({ run: r, now }: { run: RunSummary; now: Date }) {
  if (r.step) {
    return (
      <>
        {stepLabel(r.type, r.step)}
        {r.stepSince ? <span class="muted"> for {elapsed(r.stepSince, now)}</span> : null}
      </>
    );
  }
  if (r.status === 'RUNNING') return <span class="muted">not answering</span>;
  return (
    <span class="muted">
      ended <Time at={r.closeTime ?? r.startTime} />
    </span>
  );
}
