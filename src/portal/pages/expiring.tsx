// Expiring soon: what the expiry watch found inside its warning window at its latest run — API keys and accepted CA
// certificates, days left, owner, and what the product does about each. Approvers see the whole account; anyone
// else the keys they own.
import type { FastifyInstance } from 'fastify';
import { watchExpiryKind } from '../../catalog';
import { daysLeft, describeAction, type ExpiringItem } from '../../shared/expiry';
import type { WatchExpiryResult } from '../../workflows/watch-expiry';
import { isApprover } from '../access';
import { csrfToken, sendPage, userOf, type PortalContext } from '../context';
import { CardTable, runPath, Time } from '../views/components';
import { Layout } from '../views/layout';

const KIND_LABEL: Record<ExpiringItem['kind'], string> = {
  'api-key': 'API key',
  'ca-certificate': 'CA certificate',
};

const COLUMNS = ['Days left', 'Expires', 'What', 'Name', 'Owner', 'What happens'];

/** A user's own keys: owned by the user whose email they signed in with. */
const owns = (user: string) => (item: ExpiringItem) =>
  item.owner.type === 'user' && item.owner.name.trim().toLowerCase() === user.trim().toLowerCase();

export function registerExpiringPage(app: FastifyInstance, ctx: PortalContext): void {
  app.get('/expiring', async (req, reply) => {
    const user = userOf(req);
    const latest = await ctx.runs.latest(watchExpiryKind.workflowType);
    const watch = latest?.result as WatchExpiryResult | undefined;
    const everything = isApprover(ctx.rules, user.id);
    const items = watch ? (everything ? watch.items : watch.items.filter(owns(user.id))) : [];
    const now = Date.now();
    return sendPage(
      reply,
      <Layout title="Expiring soon" user={user.id} csrf={csrfToken(req, reply)} current="expiring">
        <h1>Expiring soon</h1>
        {!latest || !watch ? (
          <p class="empty">
            The expiry watch has not run yet: <code>npm run schedule-expiry-watch</code> schedules it.
          </p>
        ) : (
          <>
            <p class="muted">
              API keys and accepted CA certificates expiring within {watch.windowDays} days, as the{' '}
              <a href={runPath(latest.run.workflowId, latest.run.runId)}>expiry watch</a> found them at{' '}
              <Time at={watch.asOf} />. Each one to report is reported once per threshold (
              {watch.thresholds.join(', ')} days, and when it expires).
              {everything ? '' : ' You see the keys you own; approvers see the whole account.'}
            </p>
            {items.length === 0 ? (
              <p class="empty">Nothing {everything ? '' : 'of yours '}expires within the window.</p>
            ) : (
              <ItemsTable items={items} watch={watch} now={now} />
            )}
            {everything ? <Notes watch={watch} /> : null}
          </>
        )}
      </Layout>,
    );
  });
}

function ItemsTable({ items, watch, now }: { items: ExpiringItem[]; watch: WatchExpiryResult; now: number }) {
  return (
    <CardTable caption="Expiring soon, soonest first" columns={COLUMNS}>
      {items.map((item) => {
        const left = daysLeft(Date.parse(item.expiresAt), now);
        return (
          <tr data-id={item.id} data-action={item.action}>
            <td data-label="Days left">{left < 0 ? 'expired' : left}</td>
            <td data-label="Expires">
              <Time at={item.expiresAt} />
            </td>
            <td data-label="What">{KIND_LABEL[item.kind]}</td>
            <td data-label="Name">
              {item.name} <span class="muted id">{item.id}</span>
            </td>
            <td data-label="Owner">
              {item.owner.type} {item.owner.name}
            </td>
            <td data-label="What happens">{describeAction(item, watch.policy)}</td>
          </tr>
        );
      })}
    </CardTable>
  );
}

/** What the run did and could not see. */
function Notes({ watch }: { watch: WatchExpiryResult }) {
  const notes = [
    watch.rotation
      ? `It rotated ${watch.rotation.rotated} key(s)${watch.rotation.failed ? `; ${watch.rotation.failed} rotation(s) failed` : ''}${watch.rotation.error ? `; its rotation failed: ${watch.rotation.error}` : ''}.`
      : 'It rotates no key on its own.',
    ...(watch.omitted
      ? [`${watch.omitted} more item(s) are inside the window (the soonest are shown).`]
      : []),
    ...watch.unreadable.map(
      (u) => `Namespace ${u.namespace}: its CA bundle could not be read (${u.reason}).`,
    ),
    ...(watch.notified === 'failed'
      ? [`Its webhook post failed (${watch.notifyError}); the next run tries again.`]
      : []),
  ];
  return (
    <ul class="muted">
      {notes.map((n) => (
        <li>{n}</li>
      ))}
    </ul>
  );
}
