/**
 * Usage counters per account: requests, errors and tokens. Counted in memory on the request
 * path and added to KV in the background (see store/state_sync.ts), so counts from several
 * processes add up.
 * @module
 */
import type { Usage } from "../routing/call.ts";

/** Counter names. */
export const USAGE_FIELDS = [
  "requests",
  "errors",
  "input_tokens",
  "output_tokens",
  "cache_read_input_tokens",
  "cache_creation_input_tokens",
] as const;

/** One account's counters. */
export type UsageCounters = Record<(typeof USAGE_FIELDS)[number], number>;

/** A zeroed counter set. */
export function emptyCounters(): UsageCounters {
  return Object.fromEntries(USAGE_FIELDS.map((f) => [f, 0])) as UsageCounters;
}

/** Totals (as last read from KV plus what this process added) and unflushed deltas. */
export class UsageBook {
  readonly #totals = new Map<string, UsageCounters>();
  #pending = new Map<string, UsageCounters>();

  /** Adds one finished request to `accountId`'s counters. */
  record(accountId: string, usage: Usage, error: boolean): void {
    const delta: Partial<UsageCounters> = {
      requests: 1,
      errors: error ? 1 : 0,
      input_tokens: usage.input_tokens ?? 0,
      output_tokens: usage.output_tokens ?? 0,
      cache_read_input_tokens: usage.cache_read_input_tokens ?? 0,
      cache_creation_input_tokens: usage.cache_creation_input_tokens ?? 0,
    };
    for (const map of [this.#totals, this.#pending]) {
      let c = map.get(accountId);
      if (!c) map.set(accountId, c = emptyCounters());
      for (const f of USAGE_FIELDS) c[f] += delta[f] ?? 0;
    }
  }

  /** The counters of one account. */
  get(accountId: string): UsageCounters {
    return this.#totals.get(accountId) ?? emptyCounters();
  }

  /** Takes the deltas not yet written (the caller writes them or gives them back). */
  takePending(): Map<string, UsageCounters> {
    const out = this.#pending;
    this.#pending = new Map();
    return out;
  }

  /** Returns deltas whose write failed, to be retried with the next flush. */
  restorePending(pending: Map<string, UsageCounters>): void {
    for (const [id, delta] of pending) {
      let c = this.#pending.get(id);
      if (!c) this.#pending.set(id, c = emptyCounters());
      for (const f of USAGE_FIELDS) c[f] += delta[f];
    }
  }

  /** Sets totals read from the store (plus anything still pending locally). */
  setTotals(accountId: string, stored: UsageCounters): void {
    const pending = this.#pending.get(accountId);
    const total = { ...stored };
    if (pending) { for (const f of USAGE_FIELDS) total[f] += pending[f]; }
    this.#totals.set(accountId, total);
  }
}
