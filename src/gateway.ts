/**
 * The running gateway's state: config generation (providers + router), the account state
 * table, usage, and the KV sync. A reload swaps the generation and keeps the table, so
 * rotation, sticky sessions and cooldowns survive config edits.
 * @module
 */
import type { Config } from "./config/schema.ts";
import { logger } from "./observability/log.ts";
import { UsageBook } from "./observability/usage.ts";
import type { Account } from "./pool/account.ts";
import { StateTable } from "./pool/state_table.ts";
import { buildProviders, type ProviderMap, type StoredAccount } from "./providers/registry.ts";
import type { DispatchContext } from "./routing/dispatch.ts";
import { Router } from "./routing/router.ts";
import { StateSync } from "./store/state_sync.ts";
import { type OAuthStore, openOAuthStore } from "./auth/oauth_store.ts";
import { RefreshManager } from "./auth/refresh_manager.ts";
import { oauthKeyFileFor } from "./auth/oauth_login.ts";
import { SignatureBook } from "./translate/thinking_hygiene.ts";

/** One config generation. */
export interface Generation extends DispatchContext {
  /** Providers by name. */
  providers: ProviderMap;
}

/** The gateway runtime. */
export class Gateway {
  /** Account states (outlive generations). */
  readonly table = new StateTable();
  /** Usage counters. */
  readonly usage = new UsageBook();
  /** Thinking-signature provenance (outlives generations). */
  readonly signatures = new SignatureBook();
  /** The KV (undefined in pure in-memory use). */
  readonly kv?: Deno.Kv;
  /** Background KV sync. */
  readonly sync?: StateSync;
  /** When the gateway started (epoch ms). */
  readonly startedAt: number = Date.now();
  /** Sealed store of subscription credentials (with a KV). */
  oauthStore?: OAuthStore;
  /** Refreshes subscription tokens (with a KV). */
  oauth?: RefreshManager;
  #generation: Generation;
  #stored: StoredAccount[] = [];
  #oauthAccounts: { provider: string; name: string; label?: string }[] = [];
  #oauthStamp = "";

  /**
   * Builds the first generation from `config`; with a KV, also sets up the state sync.
   * @param kv Open KV; state is loaded by {@link Gateway.start}.
   */
  constructor(config: Config, kv?: Deno.Kv) {
    this.kv = kv;
    if (kv) this.sync = new StateSync(kv, this.table, this.usage);
    this.#generation = this.#build(config);
  }

  /** Loads persisted state and stored accounts, then (unless `sync` is false) starts syncing. */
  async start(sync = true): Promise<void> {
    if (!this.sync || !this.kv) return;
    await this.sync.load();
    this.#stored = await this.sync.primeAccounts();
    await this.#openOAuth();
    this.#generation = this.#build(this.#generation.config);
    if (!sync) return;
    this.sync.start(this.#generation.config.state.syncIntervalMs, (accounts) => {
      this.#stored = accounts;
      this.#generation = this.#build(this.#generation.config);
      logger.info("stored accounts changed; pools rebuilt", { accounts: accounts.length });
    }, () => this.#pullOAuth());
  }

  async #openOAuth(): Promise<void> {
    const config = this.#generation.config;
    // The key file sits beside a local KV file; a shared remote KV needs CCGATE_SECRET.
    const keyFile = oauthKeyFileFor(config.kv);
    const { store, warning } = await openOAuthStore(this.kv!, { keyFile });
    if (warning) logger.warn(warning);
    this.oauthStore = store;
    this.oauth = new RefreshManager(this.kv!, store, {
      bufferMs: config.oauth.refreshBufferMs,
      tokenUrl: config.oauth.tokenUrl,
    }, (id, message) => this.findAccount(id)?.authFailed(message));
    await this.#pullOAuth(true);
  }

  /** Re-reads subscription accounts when their records changed (another process, the CLI). */
  async #pullOAuth(initial = false): Promise<void> {
    if (!this.oauthStore || !this.oauth) return;
    const records = await this.oauthStore.records();
    const stamp = records.map((r) => r.versionstamp).join(",");
    if (stamp === this.#oauthStamp) return;
    this.#oauthStamp = stamp;
    const { entries, unreadable } = await this.oauthStore.list(records);
    for (const id of unreadable) {
      logger.warn("cannot decrypt stored credentials (different CCGATE_SECRET or key file?)", {
        account: id,
      });
    }
    this.oauth.setEntries(entries);
    const accounts: { provider: string; name: string; label?: string }[] = entries.map((e) => ({
      provider: e.record.provider,
      name: e.record.name,
      label: ["oauth", e.record.subscriptionType, e.record.email].filter(Boolean).join(" "),
    }));
    const key = (list: typeof accounts) =>
      JSON.stringify(list.map((a) => [a.provider, a.name, a.label]).sort());
    if (key(accounts) === key(this.#oauthAccounts)) return;
    this.#oauthAccounts = accounts;
    if (!initial) {
      this.#generation = this.#build(this.#generation.config);
      logger.info("subscription accounts changed; pools rebuilt", { accounts: accounts.length });
    }
  }

  /** The cron job: refreshes tokens that expire within the buffer. Never throws. */
  async refreshExpiring(): Promise<{ refreshed: string[]; failed: string[] }> {
    if (!this.oauth) return { refreshed: [], failed: [] };
    await this.#pullOAuth();
    return await this.oauth.refreshExpiring();
  }

  /** Stops syncing and writes pending state. */
  async stop(): Promise<void> {
    await this.sync?.stop();
  }

  /** Stored accounts (added with `ccgate accounts add`). */
  get storedAccounts(): readonly StoredAccount[] {
    return this.#stored;
  }

  /** The current generation. */
  get generation(): Generation {
    return this.#generation;
  }

  /** The current config. */
  get config(): Config {
    return this.#generation.config;
  }

  /** Applies a new config, keeping account state. */
  reload(config: Config): void {
    this.#generation = this.#build(config);
  }

  /** Every account of every provider. */
  accounts(): Account[] {
    return [...this.#generation.providers.values()].flatMap((p) => [...p.pool.accounts]);
  }

  /** Finds an account by `name` or `provider/name`. */
  findAccount(ref: string): Account | undefined {
    const all = this.accounts();
    return all.find((a) => a.id === ref) ?? all.find((a) => a.name === ref);
  }

  #build(config: Config): Generation {
    const providers = buildProviders(
      config,
      this.#stored,
      this.table,
      this.signatures,
      this.oauth ? { manager: this.oauth, accounts: this.#oauthAccounts } : undefined,
    );
    return {
      config,
      providers,
      router: new Router(config, providers),
      usage: this.usage,
      signatures: this.signatures,
    };
  }
}
