import { sleep } from '@temporalio/workflow';

/** Returns workflow time around a 30-day timer, so the test can tell workflow time from wall time. */
export async function sleepThirtyDays(): Promise<{ startedAt: number; finishedAt: number }> {
  const startedAt = Date.now();
  await sleep('30 days');
  return { startedAt, finishedAt: Date.now() };
}

export async function greet(name: string): Promise<string> {
  return `hello, ${name}`;
}
