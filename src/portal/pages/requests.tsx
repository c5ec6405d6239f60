// Requests: the runs the portal and the events endpoint started, newest first, filterable by kind and status, each
// with its current step and how long it has been there.
import type { FastifyInstance } from 'fastify';
import { REQUEST_KINDS } from '../../catalog';
import { csrfToken, sendPage, userOf, type PortalContext } from '../context';
import { STATUS_FILTERS, type StatusFilter } from '../runs';
import { kindTitle, stepLabel } from '../steps';
import { elapsed, runPath, StatusBadge, Time } from '../views/components';
import { Layout } from '../views/layout';

const KINDS = Object.values(REQUEST_KINDS).map((k) => k.workflowType);

/** The part of a workflow id after its kind's prefix: the business key a person recognises. */
export function businessKey(workflowId: string): string {
  const slash = workflowId.indexOf('/');
  return slash > 0 ? workflowId.slice(slash + 1) : workflowId;
}

export function registerRequestsPage(app: FastifyInstance, ctx: PortalContext): void {
  app.get<{ Querystring: { kind?: string; status?: string } }>('/', async (req, reply) => {
    const user = userOf(req);
    const kind = KINDS.includes(req.query.kind ?? '') ? req.query.kind : undefined;
    const status = (STATUS_FILTERS as readonly string[]).includes(req.query.status ?? '')
      ? (req.query.status as StatusFilter)
      : undefined;
    const runs = await ctx.runs.list({
      ...(kind ? { workflowType: kind } : {}),
      ...(status ? { status } : {}),
    });
    const now = new Date();
    return sendPage(
      reply,
      <Layout title="Requests" user={user.id} csrf={csrfToken(req, reply)} current="requests">
        <h1>Requests</h1>
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
        {runs.length === 0 ? (
          <p class="empty">
            No requests{kind || status ? ' match this filter' : ' yet'}.{' '}
            <a href="/new/namespace">Request a namespace</a>.
          </p>
        ) : (
          <div class="table-wrap">
            <table class="runs">
              <caption class="visually-hidden">Requests, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Request</th>
                  <th scope="col">Status</th>
                  <th scope="col">Step</th>
                  <th scope="col">Requested by</th>
                  <th scope="col">Started</th>
                  <th scope="col">Temporal</th>
                </tr>
              </thead>
              <tbody>
                {runs.map((r) => (
                  <tr data-workflow-id={r.workflowId}>
                    <td data-label="Request">
                      <a href={runPath(r.workflowId, r.runId)}>
                        <span class="kind">{kindTitle(r.type)}</span> {businessKey(r.workflowId)}
                      </a>
                    </td>
                    <td data-label="Status">
                      <StatusBadge status={r.status} />
                    </td>
                    <td data-label="Step">
                      {r.step ? (
                        <>
                          {stepLabel(r.type, r.step)}
                          {r.stepSince ? <span class="muted"> for {elapsed(r.stepSince, now)}</span> : null}
                        </>
                      ) : r.status === 'RUNNING' ? (
                        <span class="muted">not answering</span>
                      ) : (
                        <span class="muted">
                          ended <Time at={r.closeTime ?? r.startTime} />
                        </span>
                      )}
                    </td>
                    <td data-label="Requested by">
                      {r.requestedBy ?? (
                        <span class="muted">{r.source === 'events' ? 'signed event' : '—'}</span>
                      )}
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
                        <span class="muted">—</span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Layout>,
    );
  });
}
