import { inspect } from 'node:util';

/** The error `fn` throws, which must be a `type`; the test fails when `fn` throws nothing or something else. */
export function thrown<E extends Error>(fn: () => unknown, type: abstract new (...args: never[]) => E): E {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(type);
    return error as E;
  }
  throw new Error(`expected a ${type.name}`);
}

/** The error `promise` rejects with, which must be a `type`; the test fails when it resolves or rejects otherwise. */
export async function rejection<E extends Error>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
): Promise<E> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(type);
  return error as E;
}

/** Everything a value (an error, a result) could carry into logs or Temporal failure details, as one text. */
export function everything(value: unknown): string {
  return [String(value), inspect(value, { depth: 10, showHidden: true }), JSON.stringify(value)].join('\n');
}
