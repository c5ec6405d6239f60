// Bounded concurrency without a library: workflow-safe (plain promises), so workflows and servers share it.

/** Runs `fn` over `items` with at most `limit` at a time. `fn` should not throw: one failure stops nothing. */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}
