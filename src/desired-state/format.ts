// A plan as people read it (terraform-like symbols), and as one line.
import { planSummary, type Change, type Plan } from './plan';

const SYMBOL: Record<Change['action'], string> = { create: '+', update: '~', delete: '-', rotate: '↻' };
const KIND: Record<Change['kind'], string> = {
  namespace: 'namespace',
  serviceAccount: 'service account',
  apiKey: 'API key',
  user: 'user',
  userGroup: 'user group',
  customRole: 'custom role',
};

/** `create namespace payments`, `delete API key payments-ci/old`. */
export const describeChange = (c: Pick<Change, 'kind' | 'action' | 'name'>): string =>
  `${c.action} ${KIND[c.kind]} ${c.name}`;

const show = (value: unknown): string =>
  value === null || value === undefined ? 'none' : typeof value === 'string' ? value : JSON.stringify(value);

export function formatChange(change: Change): string[] {
  const flags = [
    change.destructive && !change.blocked ? 'needs approval' : '',
    change.blocked ? `cannot apply: ${change.blocked}` : '',
  ].filter(Boolean);
  const head = `  ${SYMBOL[change.action]} ${KIND[change.kind]} ${change.name}${change.reason ? ` (${change.reason})` : ''}${flags.length ? `  [${flags.join('; ')}]` : ''}`;
  const lines = [head];
  for (const f of change.fields) {
    const via = f.pattern ? `  (from ${f.pattern})` : '';
    lines.push(
      change.action === 'create'
        ? `      ${f.field}: ${show(f.to)}${via}`
        : `      ${f.field}: ${show(f.from)} → ${show(f.to)}${via}`,
    );
  }
  return lines;
}

export function summaryLine(plan: Plan): string {
  const s = planSummary(plan);
  if (plan.changes.length === 0) return 'No changes: the account matches the file.';
  const parts = [
    s.create ? `${s.create} to create` : '',
    s.update ? `${s.update} to update` : '',
    s.rotate ? `${s.rotate} to rotate` : '',
    s.delete ? `${s.delete} to delete` : '',
    s.blocked ? `${s.blocked} that cannot be applied` : '',
  ].filter(Boolean);
  return `Plan: ${parts.join(', ')}${s.destructive ? ` (${s.destructive} destructive: applied only once approved)` : ''}.`;
}

export function formatPlan(plan: Plan): string {
  const lines: string[] = [];
  for (const change of plan.changes) lines.push(...formatChange(change));
  if (plan.unchanged.length > 0) lines.push(`  = ${plan.unchanged.length} unchanged`);
  if (plan.unmanaged.length > 0) {
    lines.push(
      `  ? unmanaged, left alone (not in the file; prune does not own them): ${plan.unmanaged.map((u) => `${KIND[u.kind]} ${u.name}`).join(', ')}`,
    );
  }
  for (const problem of plan.problems) lines.push(`  ! ${problem}`);
  // Older runs' plans (a status read from history) have no notes.
  for (const note of plan.notes ?? []) lines.push(`  · ${note}`);
  lines.push('', summaryLine(plan));
  return lines.join('\n');
}
