/**
 * Keeps Claude subscription access tokens fresh. Refresh tokens are single-use: two refreshes
 * of one account race to brick it. So a refresh is single-flight inside a process (one promise
 * per account) and across processes sharing the KV (a lease key taken with a versionstamp
 * check; the holder re-reads the record first, in case another process already rotated it, and
 * commits the new pair before anyone uses it). `invalid_grant` marks the account auth_error
 * instead of retrying forever.
 * @module
 */
import { logger } from "../observability/log.ts";
import { rememberSecrets } from "../observability/secrets.ts";
import { withKvRetry } from "../store/kv.ts";
import { ROOT } from "../store/keys.ts";
import type { OAuthEntry, OAuthStore, OAuthTokens } from "./oauth_store.ts";
import { OAuthError, refreshTokens } from "./token_client.ts";

/** Settings. */
export interface RefreshSettings {
  /** Refresh tokens expiring within this (ms) — the cron job's horizon. */
  bufferMs: number;
  /** Token endpoint override (tests, self-hosting). */
  tokenUrl?: string;
  /** How long a lease is held at most (ms). */
  leaseMs?: number;
  /** How often a process waiting on another's lease re-reads the record (ms). */
  pollMs?: number;
}

/** A token this close to expiry is refreshed before use. */
const USE_MARGIN_MS = 60_000;

interface Lease {
  owner: string;
  until: number;
}

const leaseKey = (id: string): Deno.KvKey => [ROOT, "lease", "oauth-refresh", id];
const processId = crypto.randomUUID();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The manager for every OAuth account of one gateway. */
export class RefreshManager {
  readonly #kv: Deno.Kv;
  readonly #store: OAuthStore;
  readonly #settings: Required<Omit<RefreshSettings, "tokenUrl">> & { tokenUrl?: string };
  readonly #entries = new Map<string, OAuthEntry>();
  readonly #inflight = new Map<string, Promise<OAuthTokens>>();
  readonly #onAuthError: (id: string, message: string) => void;
  /** Refreshes performed by this process (for status and tests). */
  refreshes = 0;

  /**
   * Creates a manager; lease and poll timings default to 30 s and 100 ms.
   * @param onAuthError Called when an account's refresh token is rejected for good.
   */
  constructor(
    kv: Deno.Kv,
    store: OAuthStore,
    settings: RefreshSettings,
    onAuthError: (id: string, message: string) => void,
  ) {
    this.#kv = kv;
    this.#store = store;
    this.#settings = { leaseMs: 30_000, pollMs: 100, ...settings };
    this.#onAuthError = onAuthError;
  }

  /** Replaces the known entries (from the store), keeping newer ones already in memory. */
  setEntries(entries: OAuthEntry[]): void {
    const seen = new Set<string>();
    for (const e of entries) {
      const id = `${e.record.provider}/${e.record.name}`;
      seen.add(id);
      const current = this.#entries.get(id);
      if (!current || current.versionstamp < e.versionstamp) this.#put(id, e);
    }
    for (const id of [...this.#entries.keys()]) if (!seen.has(id)) this.#drop(id);
  }

  #put(id: string, entry: OAuthEntry): void {
    this.#entries.set(id, entry);
    // Logs and error messages never repeat a token, even one an upstream echoes back.
    rememberSecrets(`oauth:${id}`, [entry.tokens.accessToken, entry.tokens.refreshToken]);
  }

  #drop(id: string): void {
    this.#entries.delete(id);
    rememberSecrets(`oauth:${id}`, []);
  }

  /** The entry of `id`, if known. */
  entry(id: string): OAuthEntry | undefined {
    return this.#entries.get(id);
  }

  /** Every known account id. */
  ids(): string[] {
    return [...this.#entries.keys()];
  }

  /** A usable access token for `id`, refreshing first when it is (nearly) expired. */
  async accessToken(id: string): Promise<string> {
    const entry = this.#entries.get(id);
    if (!entry) throw new Error(`no stored credentials for ${id}`);
    if (entry.tokens.expiresAt - Date.now() > USE_MARGIN_MS) return entry.tokens.accessToken;
    return (await this.refresh(id)).accessToken;
  }

  /** Refreshes `id` (single-flight); `force` refreshes even a fresh token. */
  refresh(id: string, options: { force?: boolean } = {}): Promise<OAuthTokens> {
    let running = this.#inflight.get(id);
    if (!running) {
      running = this.#refreshShared(id, options.force ?? false).finally(() =>
        this.#inflight.delete(id)
      );
      this.#inflight.set(id, running);
    }
    return running;
  }

  /** The cron job: refreshes every token expiring within the buffer. Never throws. */
  async refreshExpiring(now = Date.now()): Promise<{ refreshed: string[]; failed: string[] }> {
    const refreshed: string[] = [];
    const failed: string[] = [];
    for (const [id, entry] of this.#entries) {
      if (!entry.record.refresh || entry.tokens.expiresAt - now > this.#settings.bufferMs) continue;
      try {
        await this.refresh(id);
        refreshed.push(id);
      } catch (error) {
        failed.push(id);
        logger.warn("token refresh failed", { account: id, error: (error as Error).message });
      }
    }
    return { refreshed, failed };
  }

  async #refreshShared(id: string, force: boolean): Promise<OAuthTokens> {
    const [provider, name] = [id.slice(0, id.indexOf("/")), id.slice(id.indexOf("/") + 1)];
    const known = this.#entries.get(id)?.tokens.expiresAt ?? 0;
    const deadline = Date.now() + this.#settings.leaseMs * 2;
    while (Date.now() < deadline) {
      if (await this.#takeLease(id)) {
        try {
          const fresh = await this.#store.load(provider, name);
          if (!fresh) throw new Error(`no stored credentials for ${id}`);
          this.#put(id, fresh);
          // Another process rotated it while we waited: use theirs, never refresh twice.
          const rotated = fresh.tokens.expiresAt !== known;
          if (
            !force && (rotated || fresh.tokens.expiresAt - Date.now() > this.#settings.bufferMs)
          ) {
            if (fresh.tokens.expiresAt - Date.now() > USE_MARGIN_MS) return fresh.tokens;
          }
          return await this.#refreshHeld(id, fresh);
        } finally {
          await this.#releaseLease(id);
        }
      }
      // Someone else holds the lease: wait for their rotated pair.
      await sleep(this.#settings.pollMs);
      const latest = await this.#store.load(provider, name);
      if (
        latest && latest.tokens.expiresAt !== known &&
        latest.tokens.expiresAt - Date.now() > USE_MARGIN_MS
      ) {
        this.#put(id, latest);
        return latest.tokens;
      }
    }
    throw new Error(`timed out waiting for another process to refresh ${id}`);
  }

  async #refreshHeld(id: string, entry: OAuthEntry): Promise<OAuthTokens> {
    if (!entry.tokens.refreshToken) {
      throw new Error(`${id} has no refresh token (setup token): sign in again`);
    }
    let set;
    try {
      set = await refreshTokens({
        tokenUrl: this.#settings.tokenUrl,
        refreshToken: entry.tokens.refreshToken,
      });
    } catch (error) {
      if (error instanceof OAuthError && error.kind === "invalid_grant") {
        const message =
          "refresh token rejected (invalid_grant): sign in again with `ccgate login claude`";
        this.#onAuthError(id, message);
        logger.warn("account needs a new login", { account: id, reason: "invalid_grant" });
      }
      throw error;
    }
    this.refreshes++;
    const tokens: OAuthTokens = {
      accessToken: set.accessToken,
      refreshToken: set.refreshToken,
      expiresAt: set.expiresAt,
    };
    // Commit the rotated pair before anyone uses it: the old refresh token is already dead.
    const versionstamp = await this.#store.commitRefreshed(entry, tokens);
    if (!versionstamp) {
      logger.warn("refreshed tokens lost a commit race; keeping them in memory", { account: id });
      this.#put(id, { ...entry, tokens });
      return tokens;
    }
    this.#put(id, {
      ...entry,
      tokens,
      record: { ...entry.record, expiresAt: tokens.expiresAt },
      versionstamp,
    });
    logger.info("token refreshed", {
      account: id,
      expires_in_s: Math.round((tokens.expiresAt - Date.now()) / 1000),
    });
    return tokens;
  }

  async #takeLease(id: string): Promise<boolean> {
    const key = leaseKey(id);
    return await withKvRetry(async () => {
      const current = await this.#kv.get<Lease>(key);
      if (current.value && current.value.until > Date.now() && current.value.owner !== processId) {
        return false;
      }
      const lease: Lease = { owner: processId, until: Date.now() + this.#settings.leaseMs };
      const res = await this.#kv.atomic().check(current).set(key, lease, {
        expireIn: this.#settings.leaseMs,
      }).commit();
      return res.ok;
    });
  }

  async #releaseLease(id: string): Promise<void> {
    const key = leaseKey(id);
    try {
      await withKvRetry(async () => {
        const current = await this.#kv.get<Lease>(key);
        if (current.value?.owner === processId) {
          await this.#kv.atomic().check(current).delete(key).commit();
        }
      });
    } catch (error) {
      logger.warn("could not release refresh lease; it expires by itself", {
        account: id,
        error: (error as Error).message,
      });
    }
  }
}
