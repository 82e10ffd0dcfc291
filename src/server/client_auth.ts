/**
 * Client authentication: the key a client sends as `x-api-key` or `Authorization: Bearer`,
 * compared in constant time against the configured client keys.
 * @module
 */
import { timingSafeEqual } from "../util/secret.ts";

/** The key a request presents, if any. */
export function presentedKey(headers: Headers): string | undefined {
  const apiKey = headers.get("x-api-key");
  if (apiKey) return apiKey.trim();
  const auth = headers.get("authorization");
  const m = auth?.match(/^Bearer\s+(.+)$/i);
  return m ? m[1].trim() : undefined;
}

/** True when `presented` equals one of `keys` (all compared, so timing reveals nothing). */
export function keyMatches(presented: string | undefined, keys: readonly string[]): boolean {
  if (presented === undefined) return false;
  let ok = false;
  for (const key of keys) ok = timingSafeEqual(presented, key) || ok;
  return ok;
}

/** True when no client keys are configured or the request presents one of them. */
export function clientKeyAccepted(headers: Headers, keys: readonly string[]): boolean {
  return keys.length === 0 || keyMatches(presentedKey(headers), keys);
}
