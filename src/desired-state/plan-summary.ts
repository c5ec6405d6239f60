// What a plan amounts to: its fingerprint (the identity an approval refers to), its counts, whether it changes
// anything. Pure, like the plan.
import type { Action, Change, Plan } from './plan-types';

/** FNV-1a over the changes: a short, stable identity of "these changes" (not a security boundary). */
export function fingerprintOf(changes: Change[], problems: string[]): string {
  const text = JSON.stringify({ changes, problems });
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x5bd1e995) >>> 0;
  }
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
}

/** Counts for a one-line summary. */
export function planSummary(plan: Plan): Record<Action, number> & { blocked: number; destructive: number } {
  const count = (p: (c: Change) => boolean) => plan.changes.filter(p).length;
  return {
    create: count((c) => c.action === 'create' && !c.blocked),
    update: count((c) => c.action === 'update' && !c.blocked),
    rotate: count((c) => c.action === 'rotate'),
    delete: count((c) => c.action === 'delete'),
    blocked: count((c) => c.blocked !== undefined),
    destructive: count((c) => c.destructive && !c.blocked),
  };
}

/** Whether applying would change anything (blocked changes cannot be applied). */
export const hasChanges = (plan: Plan): boolean => plan.changes.some((c) => !c.blocked);
