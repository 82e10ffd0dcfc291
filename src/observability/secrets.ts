/**
 * The credentials this gateway holds, so that no text it writes (a log line, an error message
 * for a client) repeats one, even when an upstream echoes a key back in its error message, as
 * some OpenAI- and Anthropic-compatible upstreams do in their 401s. Patterns catch the usual
 * key shapes; this catches every credential the gateway actually has, whatever its shape.
 * @module
 */

const byOwner = new Map<string, readonly string[]>();
/** Every known secret, longest first (so one that contains another is masked whole). */
let known: readonly string[] = [];

// Shorter values are not credentials and would mask ordinary words.
const MIN_LENGTH = 8;

/**
 * Records the secrets `owner` holds now, replacing what it held before (a reload's account
 * list, an OAuth account's current token pair). An empty list forgets the owner.
 */
export function rememberSecrets(owner: string, values: readonly (string | undefined)[]): void {
  const kept = values.filter((v): v is string => typeof v === "string" && v.length >= MIN_LENGTH);
  if (kept.length) byOwner.set(owner, kept);
  else byOwner.delete(owner);
  known = [...new Set([...byOwner.values()].flat())].sort((a, b) => b.length - a.length);
}

/** Masks every known secret in `text` as its first four characters and an ellipsis. */
export function maskKnownSecrets(text: string): string {
  let out = text;
  for (const secret of known) {
    if (out.includes(secret)) out = out.replaceAll(secret, `${secret.slice(0, 4)}…`);
  }
  return out;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/**
 * `bytes` with every known secret masked; the same array when none occurs. For upstream error
 * bodies passed on to a client (small, and only on error paths).
 */
export function maskKnownSecretsInBytes(bytes: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  if (known.length === 0 || bytes.length === 0) return bytes;
  const text = decoder.decode(bytes);
  const masked = maskKnownSecrets(text);
  return masked === text ? bytes : encoder.encode(masked);
}
