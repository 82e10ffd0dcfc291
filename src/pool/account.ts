/**
 * One upstream account as the request path sees it: its credential, its place in the pool
 * and the state transitions that follow an upstream outcome.
 * @module
 */
import {
  type AccountRuntime,
  type AccountState,
  type AccountStatus,
  activeCooldown,
} from "./account_state.ts";
import type { StateTable } from "./state_table.ts";
import type { UnifiedQuota } from "../auth/unified_quota.ts";

/** Circuit breaker settings. */
export interface CircuitOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** How long an open circuit refuses traffic before a half-open probe. */
  openMs: number;
}

/** What an account needs from config. */
export interface AccountSpec {
  /** Provider name. */
  provider: string;
  /** Account name, unique within the provider. */
  name: string;
  /** The upstream credential (never logged). */
  credential: string;
  /** Weight under the priority strategy. */
  weight: number;
  /** Priority (lower first). */
  priority: number;
  /** False when config disables it. */
  enabled: boolean;
  /** Where it was defined. */
  source: "config" | "env" | "kv";
  /** What to show instead of a masked key (a subscription's e-mail and plan). */
  label?: string;
}

/** Why an account cannot take a request now. */
export interface Unavailable {
  /** The status that blocks it. */
  status: Exclude<AccountStatus, "available">;
  /** When it becomes available by itself (epoch ms), if it will. */
  until?: number;
}

/** An account bound to its shared state. */
export class Account {
  /** `provider/name`. */
  readonly id: string;
  /** Config facts. */
  readonly spec: AccountSpec;
  readonly #table: StateTable;
  readonly #circuit: CircuitOptions;

  /**
   * Binds the account's config to its entry in the shared state.
   * @param table The shared state table.
   */
  constructor(spec: AccountSpec, table: StateTable, circuit: CircuitOptions) {
    this.spec = spec;
    this.id = `${spec.provider}/${spec.name}`;
    this.#table = table;
    this.#circuit = circuit;
  }

  /** The account name. */
  get name(): string {
    return this.spec.name;
  }

  /** Persisted state (shared object). */
  get state(): AccountState {
    return this.#table.state(this.id);
  }

  /** Process-local counters. */
  get runtime(): AccountRuntime {
    return this.#table.runtime(this.id);
  }

  /** Why this account cannot serve `model` now, or undefined when it can. */
  unavailable(model: string, now: number): Unavailable | undefined {
    const s = this.state;
    if (!this.spec.enabled || s.disabled) return { status: "disabled" };
    if (s.authError) return { status: "auth_error" };
    const cooldown = activeCooldown(s, model, now);
    if (cooldown) return { status: "rate_limited", until: cooldown.until };
    if (s.circuit.failures >= this.#circuit.failureThreshold) {
      if (now < s.circuit.openUntil) return { status: "circuit_open", until: s.circuit.openUntil };
      // Half-open: exactly one probe at a time.
      if (this.runtime.probing) return { status: "circuit_open", until: now + 1000 };
    }
    return undefined;
  }

  /** The status for display, ignoring model-specific cooldowns unless `model` is given. */
  status(now: number, model = "*"): AccountStatus {
    const blocked = this.unavailable(model, now);
    if (blocked) return blocked.status;
    if (model === "*" && Object.values(this.state.cooldowns).some((c) => c.until > now)) {
      return "rate_limited";
    }
    return "available";
  }

  /** True while the circuit is half-open (the next request is a probe). */
  isHalfOpen(now: number): boolean {
    const c = this.state.circuit;
    return c.failures >= this.#circuit.failureThreshold && now >= c.openUntil;
  }

  /** Marks the start of a request; returns the function that marks its end. */
  begin(now: number): () => void {
    const rt = this.runtime;
    rt.inFlight++;
    rt.served++;
    rt.lastUsedAt = now;
    const probe = this.isHalfOpen(now);
    if (probe) rt.probing = true;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      rt.inFlight--;
      if (probe) rt.probing = false;
    };
  }

  /** The upstream served the request: close the circuit, clear a stale auth error. */
  succeeded(): void {
    const s = this.state;
    let changed = false;
    if (s.circuit.failures !== 0) {
      s.circuit = { failures: 0, openUntil: 0, at: Date.now() };
      changed = true;
    }
    if (s.authError) {
      s.authError = null;
      s.authErrorAt = Date.now();
      changed = true;
    }
    if (changed) this.#table.changed(this.id);
  }

  /** A 429: cool `model` (or "*") down until `until`. */
  rateLimited(model: string, until: number, reason: string): void {
    const s = this.state;
    const current = s.cooldowns[model];
    if (current && current.until >= until) return;
    s.cooldowns[model] = { until, reason, at: Date.now() };
    this.#table.changed(this.id);
  }

  /** A 5xx, 529, timeout or connection error: count toward opening the circuit. */
  failed(now: number): void {
    const c = this.state.circuit;
    const failures = c.failures + 1;
    const openUntil = failures >= this.#circuit.failureThreshold ? now + this.#circuit.openMs : 0;
    this.state.circuit = { failures, openUntil, at: now };
    this.#table.changed(this.id);
  }

  /** A 401/403: the credential is bad until someone fixes or re-enables it. */
  authFailed(message: string): void {
    const s = this.state;
    s.authError = message.slice(0, 300);
    s.authErrorAt = Date.now();
    this.#table.changed(this.id);
  }

  /**
   * Records subscription quota from a response. Every response carries it, so the shared state
   * is only marked changed when something meaningful moved (status, a point of utilisation,
   * a reset) or it is 30 s old: a KV write per request would be waste.
   */
  setQuota(quota: UnifiedQuota): void {
    const s = this.state;
    const before = s.quota;
    s.quota = quota;
    const moved = !before || before.status !== quota.status ||
      quota.updatedAt - before.updatedAt > 30_000 ||
      Object.entries(quota.windows).some(([name, w]) => {
        const old = before.windows[name];
        return !old || old.status !== w.status || old.reset !== w.reset ||
          Math.abs((old.utilization ?? 0) - (w.utilization ?? 0)) >= 0.01;
      });
    if (moved) this.#table.changed(this.id);
    else s.quota = { ...quota, updatedAt: before.updatedAt };
  }

  /** Manual enable (clears auth error, cooldowns and circuit) or disable. */
  setEnabled(enabled: boolean): void {
    const s = this.state;
    const now = Date.now();
    s.disabled = !enabled;
    s.disabledAt = now;
    if (enabled) {
      s.authError = null;
      s.authErrorAt = now;
      s.cooldowns = {};
      s.resetAt = now;
      s.circuit = { failures: 0, openUntil: 0, at: now };
    }
    this.#table.changed(this.id);
  }
}
