/**
 * The state of one upstream account: what is persisted (manual disable, auth errors,
 * per-model cooldowns, circuit) and what is only counted in this process.
 * @module
 */

import type { UnifiedQuota } from "../auth/unified_quota.ts";

/** A cooldown on one (account, model) pair; `model` "*" covers every model. */
export interface Cooldown {
  /** Epoch ms at which the account serves this model again. */
  until: number;
  /** Why, for status output (e.g. "429 retry-after 30s"). */
  reason: string;
  /** When it was set (epoch ms). */
  at: number;
}

/** Persisted state of one account; the unit written to KV. */
export interface AccountState {
  /** Disabled by hand (CLI or status API). */
  disabled: boolean;
  /** When `disabled` last changed (epoch ms); newer wins when processes merge. */
  disabledAt: number;
  /** Set on 401/403 from the upstream; cleared by enable or a later success. */
  authError: string | null;
  /** When `authError` last changed (epoch ms). */
  authErrorAt: number;
  /** Cooldowns by model ("*" = all). Expired ones are ignored and pruned. */
  cooldowns: Record<string, Cooldown>;
  /** Circuit breaker: consecutive failures and when an open circuit allows a probe. */
  circuit: { failures: number; openUntil: number; at: number };
  /** Cooldowns set before this time (epoch ms) were cleared by a manual enable. */
  resetAt: number;
  /** Subscription quota from the last `anthropic-ratelimit-unified-*` headers (OAuth accounts). */
  quota?: UnifiedQuota;
  /** Fingerprint of the credential this state belongs to. */
  fingerprint?: string;
}

/** Counters kept in this process only. */
export interface AccountRuntime {
  /** Requests currently in flight. */
  inFlight: number;
  /** A half-open circuit probe is in flight. */
  probing: boolean;
  /** Last time this account was chosen (epoch ms). */
  lastUsedAt: number;
  /** Requests sent since start. */
  served: number;
}

/** The statuses shown in status output and logs. */
export type AccountStatus =
  | "available"
  | "rate_limited"
  | "auth_error"
  | "disabled"
  | "circuit_open";

/** A fresh state. */
export function emptyState(): AccountState {
  return {
    disabled: false,
    disabledAt: 0,
    authError: null,
    authErrorAt: 0,
    cooldowns: {},
    circuit: { failures: 0, openUntil: 0, at: 0 },
    resetAt: 0,
  };
}

/** A fresh runtime record. */
export function emptyRuntime(): AccountRuntime {
  return { inFlight: 0, probing: false, lastUsedAt: 0, served: 0 };
}

/** The cooldown that applies to `model` now, if any (the later of the model's and "*"). */
export function activeCooldown(
  state: AccountState,
  model: string,
  now: number,
): Cooldown | undefined {
  const specific = state.cooldowns[model];
  const global = state.cooldowns["*"];
  let best: Cooldown | undefined;
  if (specific && specific.until > now) best = specific;
  if (global && global.until > now && (!best || global.until > best.until)) best = global;
  return best;
}

/** Drops expired cooldowns; returns true when something was removed. */
export function pruneCooldowns(state: AccountState, now: number): boolean {
  let changed = false;
  for (const [model, c] of Object.entries(state.cooldowns)) {
    if (c.until <= now) {
      delete state.cooldowns[model];
      changed = true;
    }
  }
  return changed;
}

/**
 * Merges the state another process wrote into ours. Newer manual and auth decisions win, the
 * circuit with the newer change wins, cooldowns are united (later end wins) minus those a
 * manual enable cleared, and expired ones are dropped.
 */
export function mergeState(local: AccountState, remote: AccountState, now: number): AccountState {
  const resetAt = Math.max(local.resetAt ?? 0, remote.resetAt ?? 0);
  const cooldowns: Record<string, Cooldown> = {};
  for (const source of [local.cooldowns, remote.cooldowns]) {
    for (const [model, c] of Object.entries(source ?? {})) {
      if (c.until <= now || c.at < resetAt) continue;
      if (!cooldowns[model] || cooldowns[model].until < c.until) cooldowns[model] = c;
    }
  }
  const disabledSide = (remote.disabledAt ?? 0) > local.disabledAt ? remote : local;
  const authSide = (remote.authErrorAt ?? 0) > local.authErrorAt ? remote : local;
  const circuit = (remote.circuit?.at ?? 0) > local.circuit.at ? remote.circuit : local.circuit;
  return {
    disabled: disabledSide.disabled,
    disabledAt: disabledSide.disabledAt,
    authError: authSide.authError,
    authErrorAt: authSide.authErrorAt,
    cooldowns,
    circuit: { ...circuit },
    resetAt,
    quota: (remote.quota?.updatedAt ?? 0) > (local.quota?.updatedAt ?? 0)
      ? remote.quota
      : local.quota,
    fingerprint: local.fingerprint ?? remote.fingerprint,
  };
}

/** True when two states would behave the same (ignores expired cooldowns). */
export function sameState(a: AccountState, b: AccountState, now: number): boolean {
  const live = (s: AccountState) =>
    JSON.stringify(Object.entries(s.cooldowns).filter(([, c]) => c.until > now).sort());
  return a.disabled === b.disabled && a.authError === b.authError &&
    a.disabledAt === b.disabledAt &&
    a.authErrorAt === b.authErrorAt && a.circuit.failures === b.circuit.failures &&
    a.circuit.openUntil === b.circuit.openUntil && a.resetAt === b.resetAt && live(a) === live(b) &&
    a.quota?.updatedAt === b.quota?.updatedAt;
}
