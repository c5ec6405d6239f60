// Errors logged under `error` (the SDK's key) keep their type, message and causes; pino alone wrote {}.
import { ApplicationFailure } from '@temporalio/common';
import { createLogger } from '../src/logger';

function logged(fields: Record<string, unknown>): Record<string, unknown> {
  const lines: string[] = [];
  const logger = createLogger({ name: 't', format: 'json' }, { write: (l: string) => lines.push(l) });
  logger.warn(fields, 'Workflow failed');
  return JSON.parse(lines[0]!) as Record<string, unknown>;
}

test('an error under `error` is logged with its type, message and cause chain, without stack or details', () => {
  const failure = ApplicationFailure.create({
    type: 'OpsApiNotFound',
    message: 'no user with email jo@example.com',
    details: [{ token: 'tmprl_secret' }],
    cause: new TypeError('fetch failed', { cause: new Error('ECONNREFUSED') }),
  });
  expect(logged({ error: failure, durationMs: 3 })).toMatchObject({
    error: {
      type: 'OpsApiNotFound',
      message: 'no user with email jo@example.com',
      cause: {
        type: 'TypeError',
        message: 'fetch failed',
        cause: { type: 'Error', message: 'ECONNREFUSED' },
      },
    },
    durationMs: 3,
  });
  expect(JSON.stringify(logged({ error: failure }))).not.toMatch(/tmprl_|at Function/);
});

test('an error cloned out of the workflow thread keeps the class name its stack starts with', () => {
  // What the SDK's log sink hands over: a plain Error, the failure's name and type gone.
  const cloned = structuredClone(ApplicationFailure.create({ type: 'OpsApiNotFound', message: 'boom' }));
  expect([cloned.name, (cloned as { type?: string }).type]).toEqual(['Error', undefined]);
  expect(logged({ error: cloned }).error).toEqual({ type: 'ApplicationFailure', message: 'boom' });
});
