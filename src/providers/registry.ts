/**
 * Builds providers and their pools from config plus the accounts stored in KV. Rebuilt on every
 * config reload; account state lives in the state table, so a rebuild keeps it.
 * @module
 */
import type { Config, ProviderConfig } from "../config/schema.ts";
import { logger } from "../observability/log.ts";
import { rememberSecrets } from "../observability/secrets.ts";
import { Account, type AccountSpec } from "../pool/account.ts";
import { emptyState } from "../pool/account_state.ts";
import { Pool } from "../pool/pool.ts";
import type { StateTable } from "../pool/state_table.ts";
import { SignatureBook } from "../translate/thinking_hygiene.ts";
import { fingerprint } from "../util/secret.ts";
import { AnthropicWireProvider } from "./anthropic/provider.ts";
import { createAnthropicCompatibleProvider } from "./anthropic_compatible/provider.ts";
import { applyPreset, PRESETS } from "./anthropic_compatible/presets.ts";
import { OpenAICompatibleProvider } from "./openai_compatible/provider.ts";
import { ClaudeOAuthProvider } from "./claude_oauth/provider.ts";
import type { RefreshManager } from "../auth/refresh_manager.ts";
import type { Provider, ProviderContext } from "./provider.ts";

/** An API-key account stored in KV by `ccgate accounts add`. */
export interface StoredAccount {
  /** Provider name (a configured provider, `anthropic`, or a preset name). */
  provider: string;
  /** Account name. */
  name: string;
  /** The credential. */
  apiKey: string;
  /** Priority-strategy weight. */
  weight?: number;
  /** Priority (lower first). */
  priority?: number;
  /** When it was added (epoch ms). */
  addedAt: number;
}

/** Provider types this build can serve; the others arrive with later features. */
const IMPLEMENTED = new Set([
  "anthropic",
  "anthropic-compatible",
  "openai-compatible",
  "claude-oauth",
]);

/** Subscription accounts to build, with the manager holding their tokens. */
export interface OAuthAccounts {
  /** Holds and refreshes the tokens. */
  manager: RefreshManager;
  /** The accounts (from the OAuth store). */
  accounts: { provider: string; name: string; label?: string }[];
}
const warned = new Set<string>();

/** Providers by name, in config order. */
export type ProviderMap = Map<string, Provider>;

function implicitProvider(name: string): ProviderConfig | undefined {
  const base = {
    strategy: "round-robin" as const,
    accounts: [],
    models: {},
    modelList: [],
    headers: {},
    enabled: true,
  };
  if (name === "anthropic") return { ...base, name, type: "anthropic" };
  if (name in PRESETS) {
    return {
      ...base,
      name,
      type: "anthropic-compatible",
      preset: name as ProviderConfig["preset"],
    };
  }
  return undefined;
}

/** Builds every enabled, implemented provider. */
export function buildProviders(
  config: Config,
  stored: StoredAccount[],
  table: StateTable,
  signatures: SignatureBook = new SignatureBook(),
  oauth?: OAuthAccounts,
): ProviderMap {
  const ctx: ProviderContext = {
    timeouts: config.timeouts,
    customHeaders: config.customHeaders,
    tokens: config.tokens,
    signatures,
    mixedFamilies: false,
  };
  const configs = [...config.providers];
  for (const s of stored) {
    if (!configs.some((p) => p.name === s.provider)) {
      const implicit = implicitProvider(s.provider);
      if (implicit) configs.push(implicit);
    }
  }
  for (const a of oauth?.accounts ?? []) {
    if (!configs.some((p) => p.name === a.provider)) {
      configs.push({ ...implicitProvider("anthropic")!, name: a.provider, type: "claude-oauth" });
    }
  }
  const providers: ProviderMap = new Map();
  const credentials: string[] = [...config.auth.clientKeys];
  for (const raw of configs) {
    if (!raw.enabled) continue;
    if (!IMPLEMENTED.has(raw.type)) {
      if (!warned.has(raw.name)) {
        warned.add(raw.name);
        logger.warn("provider type not available in this version; skipped", {
          provider: raw.name,
          type: raw.type,
        });
      }
      continue;
    }
    const pc = applyPreset(raw);
    const specs: AccountSpec[] = pc.accounts.filter((a) => a.apiKey).map((a) => ({
      provider: pc.name,
      name: a.name,
      credential: a.apiKey!,
      weight: a.weight,
      priority: a.priority,
      enabled: a.enabled,
      source: "config",
    }));
    for (const s of stored) {
      if (s.provider !== pc.name || specs.some((a) => a.name === s.name)) continue;
      specs.push({
        provider: pc.name,
        name: s.name,
        credential: s.apiKey,
        // Stored values come from outside the schema: only sane numbers are used.
        weight: Number.isInteger(s.weight) && s.weight! > 0 ? s.weight! : 1,
        priority: Number.isInteger(s.priority) ? s.priority! : 0,
        enabled: true,
        source: "kv",
      });
    }
    if (pc.type === "claude-oauth") {
      for (const a of oauth?.accounts ?? []) {
        if (a.provider !== pc.name || specs.some((x) => x.name === a.name)) continue;
        const configured = pc.accounts.find((x) => x.name === a.name);
        specs.push({
          provider: pc.name,
          name: a.name,
          // The real credential is the manager's current access token, fetched per attempt.
          credential: `oauth:${a.provider}/${a.name}`,
          weight: configured?.weight ?? 1,
          priority: configured?.priority ?? 0,
          enabled: configured?.enabled ?? true,
          source: "kv",
          label: a.label,
        });
      }
    }
    for (const spec of specs) {
      // OAuth accounts hold a placeholder here; their tokens are remembered by the manager.
      if (!spec.credential.startsWith("oauth:")) credentials.push(spec.credential);
    }
    const accounts = specs.map((spec) => {
      const account = new Account(spec, table, config.circuit);
      // State belongs to a credential: a new key under an old name starts clean.
      const fp = fingerprint(spec.credential);
      const state = account.state;
      if (state.fingerprint !== fp) {
        if (state.fingerprint !== undefined) {
          table.replace(account.id, { ...emptyState(), fingerprint: fp });
        } else state.fingerprint = fp;
      }
      return account;
    });
    const pool = new Pool(
      pc.name,
      pc.strategy,
      accounts,
      table.pool(pc.name),
      config.failover.stickyTtlMs,
      pc.type === "claude-oauth" ? config.quota.softLimit : false,
    );
    if (pc.type === "claude-oauth" && !oauth) continue;
    const provider = pc.type === "anthropic"
      ? new AnthropicWireProvider(pc, pool, ctx)
      : pc.type === "claude-oauth"
      ? new ClaudeOAuthProvider(pc, pool, ctx, oauth!.manager)
      : pc.type === "openai-compatible"
      ? new OpenAICompatibleProvider(pc, pool, ctx)
      : createAnthropicCompatibleProvider(pc, pool, ctx);
    providers.set(pc.name, provider);
  }
  // Logs and error messages never repeat a credential, even one an upstream echoes back.
  rememberSecrets("accounts", credentials);
  const families = new Set([...providers.values()].map((p) => p.signatureFamily ?? "unsigned"));
  ctx.mixedFamilies = families.size > 1;
  return providers;
}
