/**
 * Helpers that keep credentials out of logs and status output.
 * @module
 */

/**
 * Masks a secret for display: a short recognisable prefix and the last four characters, never
 * more than a third of the secret in all.
 */
export function maskSecret(secret: string | undefined | null): string {
  if (!secret) return "";
  if (secret.length < 16) return "****";
  const dash = secret.startsWith("sk-") ? secret.indexOf("-", 3) + 1 : 0;
  const prefixEnd = Math.min(dash > 0 ? dash : 3, Math.floor(secret.length / 3) - 4, 10);
  return `${secret.slice(0, Math.max(prefixEnd, 0))}…${secret.slice(-4)}`;
}

const encoder = new TextEncoder();

/**
 * Compares two strings in time that depends only on their lengths, so a wrong client key
 * cannot be guessed byte by byte from response timing.
 */
export function timingSafeEqual(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  const length = Math.max(x.length, y.length);
  let diff = x.length ^ y.length;
  for (let i = 0; i < length; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/**
 * A short stable fingerprint of a credential (FNV-1a, 32 bits), so persisted state follows a
 * key rather than its position in a list. Too short to help anyone guess the key.
 */
export function fingerprint(secret: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < secret.length; i++) {
    hash ^= secret.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}
