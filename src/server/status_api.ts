/**
 * The status API: pool totals, per-account state (secrets masked), manual enable/disable and
 * `/account-limits` as JSON or a text table.
 * @module
 */
import { Hono } from "hono";
import type { Gateway } from "../gateway.ts";
import { renderTable, shortDuration } from "../observability/table.ts";
import type { Account } from "../pool/account.ts";
import { anthropicError } from "../protocol/anthropic_error.ts";
import { describeKv } from "../store/kv.ts";
import { maskSecret } from "../util/secret.ts";
import { quotaPressure, type UnifiedQuota } from "../auth/unified_quota.ts";
import { VERSION } from "../version.ts";
import type { AccountStatus } from "../pool/account_state.ts";
import type { UsageCounters } from "../observability/usage.ts";
import type { ProviderConfig, Strategy } from "../config/schema.ts";

/** Subscription quota for display: utilisation per window with its reset. */
export function quotaView(quota: UnifiedQuota | undefined, now: number):
  | {
    status: string | undefined;
    representative_claim: string | undefined;
    windows: Record<
      string,
      { utilization?: number; status?: string; resets_at?: string; stale: boolean }
    >;
    pressure: number;
    updated_at: string;
  }
  | undefined {
  if (!quota) return undefined;
  const windows: Record<
    string,
    { utilization?: number; status?: string; resets_at?: string; stale: boolean }
  > = {};
  for (const [name, w] of Object.entries(quota.windows)) {
    windows[name] = {
      utilization: w.utilization,
      status: w.status,
      resets_at: w.reset ? new Date(w.reset).toISOString() : undefined,
      stale: w.reset !== undefined && w.reset <= now,
    };
  }
  return {
    status: quota.status,
    representative_claim: quota.representativeClaim,
    windows,
    pressure: quotaPressure(quota, now).maxUtilization,
    updated_at: new Date(quota.updatedAt).toISOString(),
  };
}

/** One account as the status API shows it. */
export function accountView(gateway: Gateway, account: Account, now = Date.now()): {
  id: string;
  provider: string;
  name: string;
  status: AccountStatus;
  source: "config" | "env" | "kv";
  key: string;
  token_expires_at: string | undefined;
  quota: ReturnType<typeof quotaView>;
  weight: number;
  priority: number;
  cooldowns: { model: string; until: string; seconds_left: number; reason: string }[];
  auth_error: string | null;
  circuit: { failures: number; open_until: string | null };
  in_flight: number;
  usage: UsageCounters;
} {
  const s = account.state;
  const cooldowns = Object.entries(s.cooldowns)
    .filter(([, c]) => c.until > now)
    .map(([model, c]) => ({
      model,
      until: new Date(c.until).toISOString(),
      seconds_left: Math.ceil((c.until - now) / 1000),
      reason: c.reason,
    }));
  const usage = gateway.usage.get(account.id);
  const token = gateway.oauth?.entry(account.id)?.tokens;
  return {
    id: account.id,
    provider: account.spec.provider,
    name: account.name,
    status: account.status(now),
    source: account.spec.source,
    key: account.spec.label ?? maskSecret(account.spec.credential),
    token_expires_at: token ? new Date(token.expiresAt).toISOString() : undefined,
    quota: quotaView(account.state.quota, now),
    weight: account.spec.weight,
    priority: account.spec.priority,
    cooldowns,
    auth_error: s.authError,
    circuit: {
      failures: s.circuit.failures,
      open_until: s.circuit.openUntil > now ? new Date(s.circuit.openUntil).toISOString() : null,
    },
    in_flight: account.runtime.inFlight,
    usage,
  };
}

/** Accounts, and how many are in each status. */
type StatusCounts = { accounts: number } & Record<AccountStatus, number>;

function emptyCounts(): StatusCounts {
  return {
    accounts: 0,
    available: 0,
    rate_limited: 0,
    auth_error: 0,
    disabled: 0,
    circuit_open: 0,
  };
}

/** Status totals. */
export function statusSummary(gateway: Gateway, now = Date.now()): {
  status: string;
  version: string;
  uptime_s: number;
  kv: string;
  totals: StatusCounts;
  providers: (StatusCounts & {
    name: string;
    type: ProviderConfig["type"];
    strategy: Strategy;
    next_account: string | null;
  })[];
} {
  const gen = gateway.generation;
  const totals = emptyCounts();
  const providers = [...gen.providers.values()].map((p) => {
    const counts = emptyCounts();
    for (const a of p.pool.accounts) {
      const status = a.status(now);
      counts[status]++;
      totals[status]++;
    }
    counts.accounts = p.pool.accounts.length;
    totals.accounts += counts.accounts;
    return {
      name: p.name,
      type: p.config.type,
      strategy: p.pool.strategy,
      ...counts,
      next_account: p.pool.peekNext(now)?.name ?? null,
    };
  });
  return {
    status: totals.available > 0 ? "ok" : totals.accounts === 0 ? "no_accounts" : "degraded",
    version: VERSION,
    uptime_s: Math.round((now - gateway.startedAt) / 1000),
    kv: gateway.config.kv.url || gateway.config.kv.path ? describeKv(gateway.config.kv) : "default",
    totals,
    providers,
  };
}

function percent(u: number | undefined): string {
  return u === undefined ? "-" : `${Math.round(u * 100)}%`;
}

function limitsTable(views: ReturnType<typeof accountView>[]): string {
  return renderTable(
    ["ACCOUNT", "STATUS", "KEY", "5H", "7D", "COOLDOWN", "RESETS", "REQUESTS", "IN", "OUT"],
    views.map((v) => {
      const c = v.cooldowns.sort((a, b) => b.seconds_left - a.seconds_left)[0];
      const w = v.quota?.windows ?? {};
      return [
        v.id,
        v.status,
        v.key,
        percent(w["5h"]?.stale ? undefined : w["5h"]?.utilization),
        percent(w["7d"]?.stale ? undefined : w["7d"]?.utilization),
        c ? `${c.model} ${shortDuration(c.seconds_left)}` : "-",
        c ? c.until.slice(11, 19) + "Z" : "-",
        v.usage.requests,
        v.usage.input_tokens,
        v.usage.output_tokens,
      ];
    }),
  );
}

/** The status routes (auth is applied by the caller). */
export function statusRoutes(gateway: Gateway): Hono {
  const app = new Hono();
  const find = (ref: string) => gateway.findAccount(decodeURIComponent(ref));
  const missing = (ref: string) => anthropicError(404, `no account named "${ref}"`);

  app.get("/status", (c) => c.json(statusSummary(gateway)));
  app.get(
    "/status/accounts",
    (c) => c.json({ accounts: gateway.accounts().map((a) => accountView(gateway, a)) }),
  );
  app.get("/status/accounts/:name", (c) => {
    const account = find(c.req.param("name"));
    return account ? c.json(accountView(gateway, account)) : missing(c.req.param("name"));
  });
  for (const action of ["enable", "disable"] as const) {
    app.post(`/status/accounts/:name/${action}`, (c) => {
      const account = find(c.req.param("name"));
      if (!account) return missing(c.req.param("name"));
      account.setEnabled(action === "enable");
      return c.json(accountView(gateway, account));
    });
  }
  app.post("/status/accounts/:name/refresh", async (c) => {
    const account = find(c.req.param("name"));
    if (!account) return missing(c.req.param("name"));
    if (!gateway.oauth?.entry(account.id)) {
      return anthropicError(
        400,
        `${account.id} is not a stored subscription account; nothing to refresh`,
      );
    }
    try {
      const tokens = await gateway.oauth.refresh(account.id, { force: true });
      return c.json({
        ok: true,
        account: account.id,
        token_expires_at: new Date(tokens.expiresAt).toISOString(),
      });
    } catch (error) {
      return anthropicError(502, `refresh of ${account.id} failed: ${(error as Error).message}`);
    }
  });
  app.get("/account-limits", (c) => {
    const views = gateway.accounts().map((a) => accountView(gateway, a));
    if (c.req.query("format") === "table") return c.text(limitsTable(views));
    return c.json({ accounts: views });
  });
  return app;
}
