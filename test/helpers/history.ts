// Workflow history as searchable text: payload bytes are decoded, so a secret that reached history in
// any payload (input, result, failure details, heartbeat) shows up in the string.
/** Any value (history, logs) as one string to search for leaked secrets. */
export function searchableText(history: unknown): string {
  const parts: string[] = [];
  // Walk own fields rather than JSON.stringify: protobuf messages' toJSON would base64 the bytes first.
  const visit = (value: unknown): void => {
    if (value == null) return;
    if (value instanceof Uint8Array) parts.push(Buffer.from(value).toString('utf8'));
    else if (Array.isArray(value)) value.forEach(visit);
    else if (typeof value === 'object') Object.values(value).forEach(visit);
    else parts.push(String(value));
  };
  visit(history);
  return parts.join('\n');
}

export function historyEventCount(history: { events?: unknown[] | null }): number {
  return history.events?.length ?? 0;
}

export const historyText = searchableText;
