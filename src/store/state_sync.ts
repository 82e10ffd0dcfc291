/**
 * Keeps the in-memory state table and usage counters in step with KV, off the request path.
 * Changes are written shortly after they happen (merged with what other processes wrote, under
 * a versionstamp check); every `syncIntervalMs` the shared state is re-read, because `watch()`
 * does not see another process's writes to a local file.
 * @module
 */
import { logger } from "../observability/log.ts";
import {
  emptyCounters,
  USAGE_FIELDS,
  type UsageBook,
  type UsageCounters,
} from "../observability/usage.ts";
import { type AccountState, mergeState, sameState } from "../pool/account_state.ts";
import type { StateTable } from "../pool/state_table.ts";
import type { StoredAccount } from "../providers/registry.ts";
import {
  ACCOUNTS_PREFIX,
  splitAccountId,
  STATE_PREFIX,
  stateKey,
  USAGE_PREFIX,
  usageKey,
} from "./keys.ts";
import { withKvRetry } from "./kv.ts";

/** The background sync between a state table and KV. */
export class StateSync {
  readonly #kv: Deno.Kv;
  readonly #table: StateTable;
  readonly #usage: UsageBook;
  readonly #dirty = new Set<string>();
  readonly #seen = new Map<string, string>();
  #flushTimer?: ReturnType<typeof setTimeout>;
  #pollTimer?: ReturnType<typeof setTimeout>;
  #flushing: Promise<void> = Promise.resolve();
  #unsubscribe?: () => void;
  #accountsStamp = "";
  #onAccounts?: (accounts: StoredAccount[]) => void;
  #started = false;
  #onTick?: () => Promise<void>;
  #ticking: Promise<void> = Promise.resolve();

  /**
   * Creates a sync between the table and usage book and `kv`; changes are tracked from now on.
   * @param kv An open KV.
   */
  constructor(kv: Deno.Kv, table: StateTable, usage: UsageBook) {
    this.#kv = kv;
    this.#table = table;
    this.#usage = usage;
    // Changes are tracked from the start, so one-shot CLI commands can flush() them.
    this.#unsubscribe = this.#table.onChange((id) => {
      this.#dirty.add(id);
      if (!this.#started) return;
      this.#flushTimer ??= setTimeout(() => {
        this.#flushTimer = undefined;
        this.flush();
      }, 20);
    });
  }

  /** Loads all state and usage into memory (call before serving). */
  async load(): Promise<void> {
    await this.#pullState(true);
    await this.#pullUsage();
  }

  /**
   * Starts writing changes and polling. `onAccounts` is called when the stored accounts change
   * (another process ran `ccgate accounts add`).
   */
  start(
    intervalMs: number,
    onAccounts?: (accounts: StoredAccount[]) => void,
    onTick?: () => Promise<void>,
  ): void {
    this.#onAccounts = onAccounts;
    this.#onTick = onTick;
    this.#started = true;
    const tick = async () => {
      if (!this.#started) return;
      try {
        await this.flush();
        await this.#pullState(false);
        await this.#pullUsage();
        await this.#pullAccounts();
        await this.#onTick?.();
      } catch (error) {
        logger.warn("state sync failed; will retry", { error: (error as Error).message });
      }
      if (this.#started) {
        this.#pollTimer = setTimeout(() => (this.#ticking = tick()), Math.max(intervalMs, 50));
      }
    };
    this.#pollTimer = setTimeout(() => (this.#ticking = tick()), Math.max(intervalMs, 50));
  }

  /** Stops the timers and writes everything pending. */
  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#started = false;
    clearTimeout(this.#flushTimer);
    clearTimeout(this.#pollTimer);
    this.#pollTimer = undefined;
    await this.#ticking;
    await this.flush();
  }

  /** Writes dirty states and pending usage now (serialised with any running flush). */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#flushOnce()).catch((error) => {
      logger.warn("state write failed; will retry", { error: (error as Error).message });
    });
    return this.#flushing;
  }

  async #flushOnce(): Promise<void> {
    const ids = [...this.#dirty];
    this.#dirty.clear();
    for (const id of ids) {
      try {
        await this.#writeState(id);
      } catch (error) {
        this.#dirty.add(id);
        throw error;
      }
    }
    const pending = this.#usage.takePending();
    if (pending.size === 0) return;
    try {
      await withKvRetry(async () => {
        const op = this.#kv.atomic();
        for (const [id, delta] of pending) {
          const [provider, account] = splitAccountId(id);
          for (const field of USAGE_FIELDS) {
            if (delta[field] > 0) op.sum(usageKey(provider, account, field), BigInt(delta[field]));
          }
        }
        await op.commit();
      });
    } catch (error) {
      this.#usage.restorePending(pending);
      throw error;
    }
  }

  async #writeState(id: string): Promise<void> {
    const [provider, account] = splitAccountId(id);
    const key = stateKey(provider, account);
    await withKvRetry(async () => {
      for (let i = 0; i < 10; i++) {
        const current = await this.#kv.get<AccountState>(key);
        const local = this.#table.state(id);
        const merged = current.value ? mergeState(local, current.value, Date.now()) : local;
        const res = await this.#kv.atomic().check(current).set(key, merged).commit();
        if (res.ok) {
          this.#table.replace(id, Object.assign(local, merged));
          this.#seen.set(id, res.versionstamp);
          return;
        }
      }
      throw new Error(`state of ${id} kept changing under us`);
    });
  }

  async #pullState(initial: boolean): Promise<void> {
    const now = Date.now();
    const entries = await withKvRetry(async () => {
      const out: Deno.KvEntry<AccountState>[] = [];
      for await (const e of this.#kv.list<AccountState>({ prefix: STATE_PREFIX })) out.push(e);
      return out;
    });
    for (const entry of entries) {
      const [, , provider, account] = entry.key as string[];
      const id = `${provider}/${account}`;
      if (this.#seen.get(id) === entry.versionstamp) continue;
      this.#seen.set(id, entry.versionstamp);
      if (initial || !this.#table.has(id)) {
        this.#table.replace(id, mergeState(entry.value, entry.value, now));
        continue;
      }
      const local = this.#table.state(id);
      const merged = mergeState(local, entry.value, now);
      if (!sameState(local, merged, now)) Object.assign(local, merged);
    }
  }

  async #pullUsage(): Promise<void> {
    const totals = new Map<string, UsageCounters>();
    await withKvRetry(async () => {
      for await (const e of this.#kv.list<Deno.KvU64>({ prefix: USAGE_PREFIX })) {
        const [, , provider, account, field] = e.key as string[];
        const id = `${provider}/${account}`;
        let c = totals.get(id);
        if (!c) totals.set(id, c = emptyCounters());
        if ((USAGE_FIELDS as readonly string[]).includes(field)) {
          c[field as keyof UsageCounters] = Number(e.value.value);
        }
      }
    });
    for (const [id, c] of totals) this.#usage.setTotals(id, c);
  }

  async #pullAccounts(): Promise<void> {
    if (!this.#onAccounts) return;
    const { accounts, stamp } = await this.#listAccounts();
    if (stamp === this.#accountsStamp) return;
    this.#accountsStamp = stamp;
    this.#onAccounts(accounts);
  }

  /** Records the current stored-accounts stamp so the first poll does not rebuild needlessly. */
  async primeAccounts(): Promise<StoredAccount[]> {
    const { accounts, stamp } = await this.#listAccounts();
    this.#accountsStamp = stamp;
    return accounts;
  }

  async #listAccounts(): Promise<{ accounts: StoredAccount[]; stamp: string }> {
    const entries = await withKvRetry(async () => {
      const out: Deno.KvEntry<StoredAccount>[] = [];
      for await (const e of this.#kv.list<StoredAccount>({ prefix: ACCOUNTS_PREFIX })) out.push(e);
      return out;
    });
    return {
      accounts: entries.map((e) => e.value),
      stamp: entries.map((e) => e.versionstamp).join(",") || "-",
    };
  }
}
