/**
 * A provider's pool of accounts and the strategies that order them for one request.
 * @module
 */
import { quotaPressure } from "../auth/unified_quota.ts";
import type { Strategy } from "../config/schema.ts";
import type { Account, Unavailable } from "./account.ts";
import type { PoolMemory } from "./state_table.ts";

/** What a strategy may look at. */
export interface PickContext {
  /** Claude Code session id, for sticky sessions. */
  sessionId?: string;
}

/** One account that cannot serve, with why. */
export interface Blocked {
  /** The account. */
  account: Account;
  /** Why. */
  reason: Unavailable;
}

/** A pool: accounts, strategy and the memory that survives reloads. */
export class Pool {
  /** Provider name. */
  readonly provider: string;
  /** Strategy. */
  readonly strategy: Strategy;
  /** Accounts in config order. */
  readonly accounts: readonly Account[];
  readonly #memory: PoolMemory;
  readonly #stickyTtlMs: number;
  readonly #softLimit: number | false;

  /** Builds a pool over `accounts`. */
  constructor(
    provider: string,
    strategy: Strategy,
    accounts: Account[],
    memory: PoolMemory,
    stickyTtlMs: number,
    softLimit: number | false = false,
  ) {
    this.provider = provider;
    this.strategy = strategy;
    this.accounts = accounts;
    this.#memory = memory;
    this.#stickyTtlMs = stickyTtlMs;
    this.#softLimit = softLimit;
  }

  /** The account called `name`, if in this pool. */
  get(name: string): Account | undefined {
    return this.accounts.find((a) => a.name === name);
  }

  /**
   * Accounts that can serve `model` now, best first by the pool's strategy, and the ones
   * that cannot with their reasons (for waits and error messages).
   */
  candidates(
    model: string,
    ctx: PickContext,
    now: number,
  ): { ready: Account[]; blocked: Blocked[] } {
    const ready: Account[] = [];
    const blocked: Blocked[] = [];
    for (const account of this.accounts) {
      const reason = account.unavailable(model, now);
      if (reason) blocked.push({ account, reason });
      else ready.push(account);
    }
    if (ready.length > 1) this.#order(ready, ctx, now);
    else if (ready.length === 1 && this.strategy === "round-robin") this.#memory.cursor++;
    return { ready: this.#softLimited(ready, now), blocked };
  }

  /**
   * Moves subscription accounts at or above the soft limit of a quota window behind the others,
   * least used first: they still serve, but only when no account with room can.
   */
  #softLimited(ready: Account[], now: number): Account[] {
    if (this.#softLimit === false) return ready;
    const limit = this.#softLimit;
    let over: { account: Account; pressure: number }[] | undefined;
    const under: Account[] = [];
    for (const account of ready) {
      const pressure = account.state.quota
        ? quotaPressure(account.state.quota, now).maxUtilization
        : 0;
      if (pressure >= limit) (over ??= []).push({ account, pressure });
      else under.push(account);
    }
    if (!over) return ready;
    over.sort((a, b) => a.pressure - b.pressure);
    return [...under, ...over.map((o) => o.account)];
  }

  /** Records that `account` served the session, so sticky routing keeps it there. */
  bind(ctx: PickContext, account: Account, now: number): void {
    if (this.strategy !== "sticky" || !ctx.sessionId) return;
    const sticky = this.#memory.sticky;
    sticky.set(ctx.sessionId, { account: account.name, at: now });
    // Bounded: drop idle sessions once the map grows.
    if (sticky.size > 10_000) {
      for (const [id, entry] of sticky) if (now - entry.at > this.#stickyTtlMs) sticky.delete(id);
    }
  }

  /** The account the next request would get (status "next account"). */
  peekNext(now: number): Account | undefined {
    const ready = this.accounts.filter((a) => !a.unavailable("*", now));
    if (ready.length === 0) return undefined;
    if (this.strategy === "round-robin") return ready[this.#memory.cursor % ready.length];
    const copy = [...ready];
    this.#order(copy, {}, now, true);
    return copy[0];
  }

  #order(ready: Account[], ctx: PickContext, now: number, peek = false): void {
    switch (this.strategy) {
      case "round-robin": {
        const start = this.#memory.cursor % ready.length;
        if (!peek) this.#memory.cursor = (this.#memory.cursor + 1) % 1_000_000_007;
        rotate(ready, start);
        return;
      }
      case "sticky": {
        const start = this.#memory.cursor % ready.length;
        const session = ctx.sessionId ? this.#memory.sticky.get(ctx.sessionId) : undefined;
        const bound = session && now - session.at <= this.#stickyTtlMs
          ? ready.findIndex((a) => a.name === session.account)
          : -1;
        if (bound >= 0) {
          const [account] = ready.splice(bound, 1);
          rotate(ready, start % Math.max(ready.length, 1));
          ready.unshift(account);
        } else {
          // New session: spread sessions round-robin.
          if (!peek) this.#memory.cursor = (this.#memory.cursor + 1) % 1_000_000_007;
          rotate(ready, start);
        }
        return;
      }
      case "least-used":
        ready.sort((a, b) =>
          a.runtime.inFlight - b.runtime.inFlight || a.runtime.served - b.runtime.served ||
          a.runtime.lastUsedAt - b.runtime.lastUsedAt
        );
        return;
      case "priority": {
        const top = Math.min(...ready.map((a) => a.spec.priority));
        const group = ready.filter((a) => a.spec.priority === top);
        const first = peek
          ? peekWeighted(group, this.#memory.credits)
          : pickWeighted(group, this.#memory.credits);
        ready.sort((a, b) =>
          a.spec.priority - b.spec.priority ||
          (a === first ? -1 : b === first ? 1 : b.spec.weight - a.spec.weight)
        );
        return;
      }
    }
  }
}

function rotate<T>(items: T[], start: number): void {
  if (start > 0) items.push(...items.splice(0, start));
}

// Smooth weighted round-robin (as in nginx): deterministic, spreads picks by weight.
function pickWeighted(group: Account[], credits: Map<string, number>): Account {
  let total = 0;
  let best: Account = group[0];
  let bestCredit = -Infinity;
  for (const a of group) {
    const credit = (credits.get(a.name) ?? 0) + a.spec.weight;
    credits.set(a.name, credit);
    total += a.spec.weight;
    if (credit > bestCredit) {
      best = a;
      bestCredit = credit;
    }
  }
  credits.set(best.name, bestCredit - total);
  return best;
}

function peekWeighted(group: Account[], credits: Map<string, number>): Account {
  let best = group[0];
  let bestCredit = -Infinity;
  for (const a of group) {
    const credit = (credits.get(a.name) ?? 0) + a.spec.weight;
    if (credit > bestCredit) {
      best = a;
      bestCredit = credit;
    }
  }
  return best;
}
