/**
 * KV key layout, in one place.
 * @module
 */

/** Root of every ccgate key. */
export const ROOT = "ccgate";

/** Key of an account's persisted state. */
export const stateKey = (
  provider: string,
  account: string,
): Deno.KvKey => [ROOT, "state", provider, account];
/** Prefix of every account state. */
export const STATE_PREFIX: Deno.KvKey = [ROOT, "state"];
/** Key of one usage counter. */
export const usageKey = (provider: string, account: string, field: string): Deno.KvKey => [
  ROOT,
  "usage",
  provider,
  account,
  field,
];
/** Prefix of every usage counter. */
export const USAGE_PREFIX: Deno.KvKey = [ROOT, "usage"];
/** Key of an account added with `ccgate accounts add`. */
export const storedAccountKey = (
  provider: string,
  name: string,
): Deno.KvKey => [ROOT, "accounts", provider, name];
/** Prefix of every stored account. */
export const ACCOUNTS_PREFIX: Deno.KvKey = [ROOT, "accounts"];

/** Splits an account id `provider/name`. */
export function splitAccountId(id: string): [string, string] {
  const i = id.indexOf("/");
  return [id.slice(0, i), id.slice(i + 1)];
}
