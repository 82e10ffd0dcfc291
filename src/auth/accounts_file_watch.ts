/**
 * Keeps the OAuth store in step with seed 000's `accounts.json` (`CCPROXY_ACCOUNTS_PATH`): on
 * start and on every change of the file, its accounts are upserted with source "file" and
 * file accounts that left the file are removed. Accounts added by login or import are never
 * touched. A broken or missing file is logged and ignored, so a half-written save never
 * empties the pool.
 * @module
 */
import { logger } from "../observability/log.ts";
import { watchFile } from "../util/watch_file.ts";
import { type ImportedAccount, ImportError, parseCredentialsFile } from "./credentials_import.ts";
import { DEFAULT_OAUTH_PROVIDER } from "./oauth_login.ts";
import type { OAuthRecord, OAuthStore } from "./oauth_store.ts";

/** What one pass over the file did (account names, no secrets). */
export interface AccountsFileSummary {
  /** The watched file. */
  path: string;
  /** The provider its accounts belong to. */
  provider: string;
  /** New accounts stored. */
  added: string[];
  /** Accounts whose tokens in the file changed, stored again. */
  updated: string[];
  /** File accounts no longer in the file, removed. */
  removed: string[];
  /** Accounts already up to date (or holding newer, refreshed tokens than the file). */
  unchanged: string[];
  /** Names in the file that belong to a login/import account, left alone. */
  skipped: string[];
  /** Set when the file was missing or invalid; nothing was changed then. */
  error?: string;
}

/** Options for {@link watchAccountsFile}. */
export interface WatchAccountsFileOptions {
  /** Provider of the accounts (default "claude"). */
  provider?: string;
  /** Called after a pass that changed something or failed (e.g. to rebuild pools). */
  onChange?: (summary: AccountsFileSummary) => void;
  /** Quiet time after the last file event before a pass (default 200 ms: editors write in bursts). */
  debounceMs?: number;
}

/** A running watcher. */
export interface AccountsFileWatcher {
  /** Stops watching (a pass already running finishes). */
  close(): void;
  /** Runs a pass now (after any running one) and returns what it did. */
  sync(): Promise<AccountsFileSummary>;
}

/**
 * Starts syncing `path` into `store`: one pass right away, then one per burst of changes.
 * The directory is watched rather than the file, so editors that save by writing a temporary
 * file and renaming it over the original are followed too.
 */
export function watchAccountsFile(
  path: string,
  store: OAuthStore,
  options: WatchAccountsFileOptions = {},
): AccountsFileWatcher {
  const provider = options.provider ?? DEFAULT_OAUTH_PROVIDER;
  const debounceMs = options.debounceMs ?? 200;
  let chain: Promise<unknown> = Promise.resolve();

  const sync = (): Promise<AccountsFileSummary> => {
    // Passes run one at a time: two overlapping passes could both add, or re-add a removal.
    const run = chain.then(() => syncAccountsFile(path, store, provider)).then((summary) => {
      report(summary);
      if (summary.error || changed(summary)) options.onChange?.(summary);
      return summary;
    });
    chain = run.catch(() => {});
    return run;
  };
  const background = () => {
    sync().catch((error) =>
      logger.error("accounts file sync failed", { path, error: (error as Error).message })
    );
  };

  const watch = watchFile(path, "accounts file", debounceMs, background);
  background();

  return {
    close() {
      watch.close();
    },
    sync,
  };
}

/** One pass: reads and parses the file, then upserts and removes. Exported for tests and one-shot use. */
export async function syncAccountsFile(
  path: string,
  store: OAuthStore,
  provider: string = DEFAULT_OAUTH_PROVIDER,
): Promise<AccountsFileSummary> {
  const summary: AccountsFileSummary = {
    path,
    provider,
    added: [],
    updated: [],
    removed: [],
    unchanged: [],
    skipped: [],
  };
  let accounts: ImportedAccount[];
  try {
    accounts = parseCredentialsFile(await Deno.readTextFile(path), path);
  } catch (error) {
    if (error instanceof ImportError) summary.error = error.message;
    else if (error instanceof Deno.errors.NotFound) summary.error = `${path}: file not found`;
    else if (error instanceof Deno.errors.PermissionDenied) {
      summary.error = `${path}: permission denied`;
    } else throw error;
    return summary;
  }

  const stored = new Map<string, OAuthRecord>();
  for (const e of await store.records()) {
    if (e.value.provider === provider) stored.set(e.value.name, e.value);
  }
  for (const account of accounts) {
    const record = stored.get(account.name);
    if (record && record.source !== "file") {
      summary.skipped.push(account.name);
      continue;
    }
    if (record && await upToDate(store, provider, account)) {
      summary.unchanged.push(account.name);
      continue;
    }
    await store.save(provider, account.name, account, {
      source: "file",
      scopes: account.scopes,
      subscriptionType: account.subscriptionType,
    });
    (record ? summary.updated : summary.added).push(account.name);
  }
  const inFile = new Set(accounts.map((a) => a.name));
  for (const [name, record] of stored) {
    if (record.source === "file" && !inFile.has(name)) {
      await store.remove(provider, name);
      summary.removed.push(name);
    }
  }
  return summary;
}

/**
 * True when the store already holds the file's tokens — or newer ones: after the gateway has
 * refreshed an account, its refresh token in the file is spent, and writing the file's copy
 * back would brick the account. A refreshed record expiring later than the file's is kept.
 */
async function upToDate(
  store: OAuthStore,
  provider: string,
  account: ImportedAccount,
): Promise<boolean> {
  let entry;
  try {
    entry = await store.load(provider, account.name);
  } catch {
    return false; // unreadable (key changed): the file's copy repairs it
  }
  if (!entry) return false;
  const t = entry.tokens;
  if (
    t.accessToken === account.accessToken && t.refreshToken === account.refreshToken &&
    t.expiresAt === account.expiresAt
  ) return true;
  return entry.record.refreshedAt !== undefined && t.expiresAt > account.expiresAt;
}

function changed(s: AccountsFileSummary): boolean {
  return s.added.length + s.updated.length + s.removed.length > 0;
}

function report(s: AccountsFileSummary): void {
  if (s.error) {
    logger.warn("accounts file ignored; keeping the current accounts", {
      path: s.path,
      error: s.error,
    });
    return;
  }
  if (s.skipped.length) {
    logger.warn("accounts file: names taken by logged-in or imported accounts were left alone", {
      path: s.path,
      accounts: s.skipped.join(","),
    });
  }
  if (changed(s)) {
    logger.info("accounts file synced", {
      path: s.path,
      provider: s.provider,
      added: s.added.join(",") || undefined,
      updated: s.updated.join(",") || undefined,
      removed: s.removed.join(",") || undefined,
    });
  }
}
