/**
 * Claude subscription credentials in KV, sealed with the {@link SecretBox}: one record per
 * account under `["ccgate", "oauth", provider, name]`. Tokens are only ever in memory and in KV
 * encrypted; a rotated pair is committed under a versionstamp check, so two processes that both
 * refreshed cannot silently overwrite each other.
 * @module
 */
import { withKvRetry } from "../store/kv.ts";
import { ROOT } from "../store/keys.ts";
import { dataDir } from "../util/paths.ts";
import { SecretBox } from "./secret_box.ts";
import type { TokenSet } from "./token_client.ts";

/** Where an OAuth account came from. */
export type OAuthSource = "login" | "import" | "file";

/** The stored record (tokens sealed). */
export interface OAuthRecord {
  /** Provider name (a claude-oauth provider; "claude" by default). */
  provider: string;
  /** Account name. */
  name: string;
  /** Sealed access token. */
  access: string;
  /** Sealed refresh token (absent for setup tokens). */
  refresh?: string;
  /** Access token expiry (epoch ms). */
  expiresAt: number;
  /** Granted scopes. */
  scopes?: string[];
  /** "pro", "max", … when known. */
  subscriptionType?: string;
  /** Account e-mail when known (shown in status). */
  email?: string;
  /** How it was added. */
  source: OAuthSource;
  /** When it was added (epoch ms). */
  addedAt: number;
  /** When the tokens were last rotated (epoch ms). */
  refreshedAt?: number;
}

/** Tokens in the clear (memory only). */
export interface OAuthTokens {
  /** Access token. */
  accessToken: string;
  /** Refresh token. */
  refreshToken?: string;
  /** Expiry (epoch ms). */
  expiresAt: number;
}

/** A record with its tokens opened and its versionstamp. */
export interface OAuthEntry {
  /** The record. */
  record: OAuthRecord;
  /** Its tokens. */
  tokens: OAuthTokens;
  /** KV versionstamp (for checked commits). */
  versionstamp: string;
}

/** The KV prefix of OAuth records. */
export const OAUTH_PREFIX: Deno.KvKey = [ROOT, "oauth"];
/** The key of one record. */
export const oauthKey = (
  provider: string,
  name: string,
): Deno.KvKey => [ROOT, "oauth", provider, name];

/** Sealed OAuth credentials in KV. */
export class OAuthStore {
  readonly #kv: Deno.Kv;
  readonly #box: SecretBox;

  /**
   * Stores records in `kv`, sealing every token with `box`.
   * @param box Seals tokens at rest.
   */
  constructor(kv: Deno.Kv, box: SecretBox) {
    this.#kv = kv;
    this.#box = box;
  }

  async #open(record: OAuthRecord): Promise<OAuthTokens> {
    return {
      accessToken: await this.#box.open(record.access),
      refreshToken: record.refresh ? await this.#box.open(record.refresh) : undefined,
      expiresAt: record.expiresAt,
    };
  }

  /** Adds or replaces an account's credentials. */
  async save(
    provider: string,
    name: string,
    tokens: TokenSet | OAuthTokens,
    meta: { source: OAuthSource; scopes?: string[]; subscriptionType?: string; email?: string },
  ): Promise<OAuthRecord> {
    const record: OAuthRecord = {
      provider,
      name,
      access: await this.#box.seal(tokens.accessToken),
      refresh: tokens.refreshToken ? await this.#box.seal(tokens.refreshToken) : undefined,
      expiresAt: tokens.expiresAt,
      scopes: meta.scopes ?? ("scopes" in tokens ? tokens.scopes : undefined),
      subscriptionType: meta.subscriptionType ??
        ("subscriptionType" in tokens ? tokens.subscriptionType : undefined),
      email: meta.email ?? ("email" in tokens ? tokens.email : undefined),
      source: meta.source,
      addedAt: Date.now(),
    };
    await withKvRetry(() => this.#kv.set(oauthKey(provider, name), record));
    return record;
  }

  /** One account's record and tokens, if stored. */
  async load(provider: string, name: string): Promise<OAuthEntry | undefined> {
    const entry = await withKvRetry(() => this.#kv.get<OAuthRecord>(oauthKey(provider, name)));
    if (!entry.value || !entry.versionstamp) return undefined;
    return {
      record: entry.value,
      tokens: await this.#open(entry.value),
      versionstamp: entry.versionstamp,
    };
  }

  /** Every record (tokens still sealed). */
  async records(): Promise<Deno.KvEntry<OAuthRecord>[]> {
    return await withKvRetry(async () => {
      const out: Deno.KvEntry<OAuthRecord>[] = [];
      for await (const e of this.#kv.list<OAuthRecord>({ prefix: OAUTH_PREFIX })) out.push(e);
      return out;
    });
  }

  /**
   * Every account with its tokens opened (of `records` when already read); records that cannot
   * be opened are reported, not thrown.
   */
  async list(
    records?: Deno.KvEntry<OAuthRecord>[],
  ): Promise<{ entries: OAuthEntry[]; unreadable: string[] }> {
    const entries: OAuthEntry[] = [];
    const unreadable: string[] = [];
    for (const e of records ?? await this.records()) {
      try {
        entries.push({
          record: e.value,
          tokens: await this.#open(e.value),
          versionstamp: e.versionstamp,
        });
      } catch {
        unreadable.push(`${e.value.provider}/${e.value.name}`);
      }
    }
    return { entries, unreadable };
  }

  /** Removes an account. */
  async remove(provider: string, name: string): Promise<boolean> {
    const key = oauthKey(provider, name);
    const current = await withKvRetry(() => this.#kv.get(key));
    if (!current.versionstamp) return false;
    await withKvRetry(() => this.#kv.delete(key));
    return true;
  }

  /**
   * Commits a rotated token pair if the record is still the one refreshed (`versionstamp`).
   * Returns the new versionstamp, or undefined when someone else changed it first.
   */
  async commitRefreshed(entry: OAuthEntry, tokens: OAuthTokens): Promise<string | undefined> {
    const record: OAuthRecord = {
      ...entry.record,
      access: await this.#box.seal(tokens.accessToken),
      refresh: tokens.refreshToken
        ? await this.#box.seal(tokens.refreshToken)
        : entry.record.refresh,
      expiresAt: tokens.expiresAt,
      refreshedAt: Date.now(),
    };
    const key = oauthKey(entry.record.provider, entry.record.name);
    const res = await withKvRetry(() =>
      this.#kv.atomic().check({ key, versionstamp: entry.versionstamp }).set(key, record).commit()
    );
    return res.ok ? res.versionstamp : undefined;
  }
}

/** The key file used when `CCGATE_SECRET` is not set. */
export function defaultKeyFile(): string {
  return `${dataDir()}/secret.key`;
}

/**
 * The store over `kv`, sealing with `CCGATE_SECRET` when set (needed when several hosts share a
 * remote KV) or a generated 0600 key file in the data directory.
 */
export async function openOAuthStore(
  kv: Deno.Kv,
  options: { secret?: string; keyFile?: string } = {},
): Promise<{ store: OAuthStore; warning?: string }> {
  const box = await SecretBox.fromEnvOrFile({
    secret: options.secret ?? Deno.env.get("CCGATE_SECRET"),
    keyFile: options.keyFile ?? defaultKeyFile(),
  });
  return { store: new OAuthStore(kv, box), warning: box.warning };
}
