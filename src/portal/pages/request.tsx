// One request: its steps as a timeline from the `status` query, kept current by the page's script (it fetches the
// live part again every few seconds until the run is done), the result when it completed (ids, endpoints, where
// the token went — never the token) or the error and what was rolled back when it failed, and the decision it
// waits for, if any.
import type { FastifyInstance } from 'fastify';
import type { ComponentChildren } from 'preact';
import { workflowIdProblem } from '../../shared/workflow-ids';
import { csrfToken, sendFragment, sendPage, userOf, type PortalContext } from '../context';
import { ACTION_LABELS, refusal, type DecisionAction } from '../decisions';
import type { RunDetail } from '../runs';
import { kindTitle, stepLabel, timeline } from '../steps';
import {
  DecisionForm,
  elapsed,
  KeyValues,
  runPath,
  Section,
  StatusBadge,
  Time,
  Timeline,
} from '../views/components';
import { Layout } from '../views/layout';
import { RequesterText } from '../views/requester';
import { notFoundPage } from './errors';
import { businessKey, RunName } from './requests';

/** How often the page's script asks again while the run is going (milliseconds, read by the script). */
export const LIVE_INTERVAL_MS = 1_500;

const DONE_WORDS: Record<string, string> = {
  approve: 'Approved',
  reject: 'Rejected',
  'confirm-cutover': 'Cut-over confirmed',
  abort: 'Abort requested',
};

function Result({ run }: { run: RunDetail }) {
  const result = (run.result ?? {}) as Record<string, unknown>;
  const secretRef = typeof result.secretRef === 'string' ? result.secretRef : undefined;
  return (
    <Section title="Result" id="result">
      {secretRef ? (
        <p class="secret-ref">
          The API key's token was handed to the secret sink as <code>{secretRef}</code>; it is never shown
          here.
        </p>
      ) : null}
      {run.result && typeof run.result === 'object' ? (
        <KeyValues data={result} />
      ) : (
        <p class="muted">No result.</p>
      )}
    </Section>
  );
}

function Failure({ run }: { run: RunDetail }) {
  const failure = run.failure!;
  const details = failure.details ?? {};
  const rolledBack = (details.rolledBack ?? run.progress?.rolledBack) as unknown;
  return (
    <Section title="What went wrong" id="failure">
      <p class="error-message" data-failure-type={failure.type ?? ''}>
        {failure.message}
      </p>
      {Array.isArray(rolledBack) ? (
        <p>
          Rolled back:{' '}
          {rolledBack.length ? (
            <span data-rolled-back="">{rolledBack.join(', ')}</span>
          ) : (
            <span class="muted">nothing</span>
          )}
        </p>
      ) : null}
      {failure.type ? <p class="muted">Failure type: {failure.type}</p> : null}
      {Object.keys(details).length ? (
        <details>
          <summary>Details</summary>
          <KeyValues data={details} />
        </details>
      ) : null}
    </Section>
  );
}

interface Viewer {
  csrf: string;
  /** Why this viewer may not decide on this run, if they may not. */
  refusal: string | undefined;
}

/** The part of the page that changes while the run goes on, the decision it waits for included. */
export function Live({ run, viewer, now = new Date() }: { run: RunDetail; viewer: Viewer; now?: Date }) {
  const done = run.status !== 'RUNNING';
  const failedStep = run.failure?.details?.failedStep ?? run.failure?.details?.step;
  const entries = timeline({
    workflowType: run.type,
    status: run.status,
    ...(run.step ? { step: run.step } : {}),
    ...(run.result !== undefined ? { result: run.result } : {}),
    ...(typeof failedStep === 'string' ? { failedStep } : {}),
  });
  const { step: _step, ...details } = run.progress ?? {};
  return (
    <div
      id="live"
      aria-live="polite"
      data-live-url={`${runPath(run.workflowId, run.runId)}&part=live`}
      data-live-interval={String(LIVE_INTERVAL_MS)}
      data-done={done ? 'true' : 'false'}
      data-status={run.status}
    >
      <p class="status-line">
        <StatusBadge status={run.status} />{' '}
        {run.status === 'RUNNING' && run.step ? (
          <span>
            {stepLabel(run.type, run.step)}
            {run.stepSince ? <span class="muted"> for {elapsed(run.stepSince, now)}</span> : null}
          </span>
        ) : null}
        {run.closeTime ? (
          <span class="muted">
            {' '}
            ended <Time at={run.closeTime} />
          </span>
        ) : null}
      </p>
      {run.decision ? (
        <Section title="Waiting for a decision" id="decision">
          <DecisionForm
            workflowId={run.workflowId}
            runId={run.runId}
            decision={run.decision}
            csrf={viewer.csrf}
            {...(viewer.refusal ? { refusal: viewer.refusal } : {})}
          />
        </Section>
      ) : null}
      <Section title="Steps" id="steps">
        <Timeline entries={entries} />
      </Section>
      {run.status === 'COMPLETED' ? <Result run={run} /> : null}
      {run.failure ? <Failure run={run} /> : null}
      {Object.keys(details).length ? (
        <details class="progress" open={!done}>
          <summary>Progress reported by the run</summary>
          <KeyValues data={details} />
        </details>
      ) : null}
    </div>
  );
}

export function registerRequestPage(app: FastifyInstance, ctx: PortalContext): void {
  app.get<{
    Params: { '*': string };
    Querystring: { run?: string; part?: string; decided?: string; note?: string };
  }>('/runs/*', async (req, reply) => {
    const user = userOf(req);
    const workflowId = req.params['*'];
    if (!workflowId || workflowIdProblem(workflowId)) return notFoundPage(req, reply, workflowId);
    const runId = req.query.run && /^[0-9a-f-]{36}$/i.test(req.query.run) ? req.query.run : undefined;
    // A run this user may not see answers as one that does not exist.
    const run = await ctx.runs.get(workflowId, runId, user.id);
    if (!run) return notFoundPage(req, reply, workflowId);
    const viewer = { csrf: csrfToken(req, reply), refusal: refusal(ctx.rules, user.id, run) };
    if (req.query.part === 'live') return sendFragment(reply, <Live run={run} viewer={viewer} />);

    const decided = req.query.decided as DecisionAction | undefined;
    const flash =
      decided && Object.hasOwn(ACTION_LABELS, decided)
        ? `${DONE_WORDS[decided]}.`
        : req.query.note === 'attached'
          ? 'The same request was already there; this is it.'
          : undefined;
    return sendPage(
      reply,
      <Layout
        title={`${kindTitle(run.type)} ${businessKey(run.workflowId)}`}
        user={user.id}
        csrf={viewer.csrf}
        current="requests"
        {...(flash ? { flash } : {})}
      >
        <h1>
          <RunName type={run.type} workflowId={run.workflowId} />
        </h1>
        <Summary run={run} />
        <Live run={run} viewer={viewer} />
      </Layout>,
    );
  });
}

function Summary({ run }: { run: RunDetail }) {
  const row = (label: string, value: ComponentChildren) => (
    <div class="kv-row">
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
  return (
    <dl class="kv summary">
      {row('Workflow', <code>{run.workflowId}</code>)}
      {row('Requested by', <RequesterText run={run} />)}
      {row('Started', <Time at={run.startTime} />)}
      {run.uiUrl
        ? row(
            'History',
            <a href={run.uiUrl} rel="noopener noreferrer">
              Open in the Temporal UI
            </a>,
          )
        : null}
    </dl>
  );
}
