/**
 * Which accounts a call may still turn to between failover rounds: a rate-limit reset to wait
 * for, or an open circuit to probe when nothing else is left.
 * @module
 */
import type { Account } from "../pool/account.ts";
import type { MessagesCall } from "./call.ts";
import type { Chain, Target } from "./router.ts";

/** The key under which an account's failure for a target's model is remembered in a call. */
export function failedKey(account: Account, target: Target): string {
  return `${account.id}\n${target.model}`;
}

/** Every account a call may use for each of its targets (pinning and endpoint respected). */
export function* eligible(chains: Chain[], call: MessagesCall): Generator<[Target, Account]> {
  for (const chain of chains) {
    for (const target of chain.targets) {
      if (!target.provider.supports(call.endpoint)) continue;
      for (const account of target.provider.pool.accounts) {
        if (call.pinnedAccount && account.name !== call.pinnedAccount) continue;
        yield [target, account];
      }
    }
  }
}

/**
 * When the next round could start: now if an account not yet failed in this call became
 * available (a reset passed during the round), else the soonest rate-limit reset. Open circuits
 * are not waited for (see {@link lastResort}).
 */
export function soonestReset(
  chains: Chain[],
  call: MessagesCall,
  failed: Set<string>,
  now: number,
): number | undefined {
  let soonest: number | undefined;
  for (const [target, account] of eligible(chains, call)) {
    if (failed.has(failedKey(account, target))) continue;
    const blocked = account.unavailable(target.model, now);
    if (!blocked) return now;
    if (blocked.status === "rate_limited" && blocked.until !== undefined) {
      soonest = Math.min(soonest ?? Infinity, blocked.until);
    }
  }
  return soonest;
}

/** The circuit-open account (not yet failed in this call) whose circuit opened first. */
export function lastResort(
  chains: Chain[],
  call: MessagesCall,
  failed: Set<string>,
  now: number,
): { target: Target; account: Account } | undefined {
  let best: { target: Target; account: Account } | undefined;
  for (const [target, account] of eligible(chains, call)) {
    if (failed.has(failedKey(account, target))) continue;
    if (account.unavailable(target.model, now)?.status !== "circuit_open") continue;
    if (
      !best || account.state.circuit.openUntil < best.account.state.circuit.openUntil
    ) best = { target, account };
  }
  return best;
}
