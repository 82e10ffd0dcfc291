/**
 * In-memory table of every account's state, keyed by `provider/account`. The request path
 * reads and writes only this table; the KV store syncs it in the background. It outlives
 * config reloads, so a reload keeps cooldowns, rotation and sticky sessions.
 * @module
 */
import {
  type AccountRuntime,
  type AccountState,
  emptyRuntime,
  emptyState,
} from "./account_state.ts";

/** Per-provider memory that survives reloads: rotation position and sticky sessions. */
export interface PoolMemory {
  /** Next round-robin position. */
  cursor: number;
  /** Session id → account name and last use (epoch ms). */
  sticky: Map<string, { account: string; at: number }>;
  /** Smooth weighted round-robin credits by account name. */
  credits: Map<string, number>;
}

/** Called with the id of an account whose persisted state changed. */
export type StateListener = (id: string) => void;

/** The table. */
export class StateTable {
  readonly #states = new Map<string, AccountState>();
  readonly #runtime = new Map<string, AccountRuntime>();
  readonly #pools = new Map<string, PoolMemory>();
  readonly #listeners = new Set<StateListener>();

  /** The state of `id`, created empty on first use. */
  state(id: string): AccountState {
    let s = this.#states.get(id);
    if (!s) {
      s = emptyState();
      this.#states.set(id, s);
    }
    return s;
  }

  /** True when `id` has a state entry. */
  has(id: string): boolean {
    return this.#states.has(id);
  }

  /** Replaces the state of `id` (used when loading from KV); does not notify. */
  replace(id: string, state: AccountState): void {
    this.#states.set(id, state);
  }

  /** The process-local counters of `id`. */
  runtime(id: string): AccountRuntime {
    let r = this.#runtime.get(id);
    if (!r) {
      r = emptyRuntime();
      this.#runtime.set(id, r);
    }
    return r;
  }

  /** The memory of one provider's pool. */
  pool(provider: string): PoolMemory {
    let p = this.#pools.get(provider);
    if (!p) {
      p = { cursor: 0, sticky: new Map(), credits: new Map() };
      this.#pools.set(provider, p);
    }
    return p;
  }

  /** Every known id. */
  ids(): string[] {
    return [...this.#states.keys()];
  }

  /** Announces that the persisted state of `id` changed. */
  changed(id: string): void {
    for (const listener of this.#listeners) listener(id);
  }

  /** Subscribes to changes; returns the unsubscribe function. */
  onChange(listener: StateListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
