// What a store answered may quote what it was sent; before such text goes into an error, every secret the
// call carried is cut out of it.
const REDACTED = '[redacted]';

/** `text` with each of `secrets` replaced, cut to `maxLength` characters. */
export function redact(text: string, secrets: readonly (string | undefined)[], maxLength = 300): string {
  let result = text;
  for (const secret of secrets) {
    // A one- or two-character "secret" would cut ordinary words apart and hides nothing worth hiding.
    if (secret && secret.length >= 3) result = result.split(secret).join(REDACTED);
  }
  return result.length > maxLength ? `${result.slice(0, maxLength)}…` : result;
}
