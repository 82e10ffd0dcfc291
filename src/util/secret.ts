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

/**
 * Compares two strings in time that depends only on their lengths, so a wrong client key
 * cannot be guessed byte by byte from response timing. Compares UTF-16 code units (equal
 * strings have equal units), with no encoding per call: it runs on every request.
 */
export function timingSafeEqual(a: string, b: string): boolean {
  const length = Math.max(a.length, b.length);
  let diff = a.length ^ b.length;
  // Past the end charCodeAt gives NaN, which `^` reads as 0.
  for (let i = 0; i < length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
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
