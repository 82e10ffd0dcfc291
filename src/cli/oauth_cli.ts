/**
 * The subscription (OAuth) parts of `ccgate accounts`: `import`, `refresh` and removing a
 * stored OAuth account. Kept apart from accounts_cmd.ts, which handles API keys. Output names
 * accounts and expiry times, never a token.
 * @module
 */
import {
  defaultClaudeCredentialsPath,
  type ImportedAccount,
  ImportError,
  readCredentialsFile,
} from "../auth/credentials_import.ts";
import {
  accountNameProblem,
  DEFAULT_OAUTH_PROVIDER,
  describeExpiry,
  oauthKeyFileFor,
  oauthProviderProblem,
} from "../auth/oauth_login.ts";
import { type OAuthStore, openOAuthStore } from "../auth/oauth_store.ts";
import { SecretBoxError } from "../auth/secret_box.ts";
import { scrubSecrets } from "../auth/token_client.ts";
import type { Config } from "../config/schema.ts";
import { type KvTarget, openKv } from "../store/kv.ts";
import { CliError, kvFlag, loadForCli } from "./args.ts";
import { localGatewayUrl } from "./status_cmd.ts";

/** The flags these commands read. */
export interface OAuthCliFlags {
  /** `--config`. */
  config?: string;
  /** `--kv`. */
  kv?: string;
  /** `--provider`. */
  provider?: string;
  /** `--name`. */
  name?: string;
  /** `--url` (refresh). */
  url?: string;
  /** `--json` (refresh). */
  json?: boolean;
}

/**
 * Opens the sealed store with the key file the gateway uses for this KV; a key problem becomes
 * a one-line CLI error, a warning goes to stderr.
 */
export async function openStoreForCli(kv: Deno.Kv, target: KvTarget): Promise<OAuthStore> {
  try {
    const { store, warning } = await openOAuthStore(kv, { keyFile: oauthKeyFileFor(target) });
    if (warning) console.error(`ccgate: warning: ${warning}`);
    return store;
  } catch (error) {
    if (error instanceof SecretBoxError) throw new CliError(error.message);
    throw error;
  }
}

/** Loads config, checks `--provider` (and `--name`) for subscription accounts. */
export async function oauthTarget(
  values: OAuthCliFlags,
): Promise<{ config: Config; provider: string }> {
  const { config } = await loadForCli({ file: values.config, flags: kvFlag(values.kv) });
  const provider = values.provider ?? DEFAULT_OAUTH_PROVIDER;
  const problem = oauthProviderProblem(config.providers, provider);
  if (problem) throw new CliError(problem, 2);
  if (values.name !== undefined) {
    const nameProblem = accountNameProblem(values.name);
    if (nameProblem) throw new CliError(nameProblem, 2);
  }
  return { config, provider };
}

/** Runs `fn` with the config's KV and the sealed store open. */
export async function withOAuthStore<T>(
  config: Config,
  fn: (store: OAuthStore) => Promise<T>,
): Promise<T> {
  const kv = await openKv(config.kv);
  try {
    return await fn(await openStoreForCli(kv, config.kv));
  } finally {
    kv.close();
  }
}

/** `ccgate accounts import [PATH…] [--name NAME] [--provider P]`. */
export async function importAccounts(values: OAuthCliFlags, paths: string[]): Promise<void> {
  const { config, provider } = await oauthTarget(values);
  const defaulted = paths.length === 0;
  if (defaulted) {
    const path = defaultClaudeCredentialsPath();
    if (!path) throw new CliError("no home directory known: give the credentials file's path", 2);
    paths = [path];
  }
  if (values.name !== undefined && paths.length > 1) {
    throw new CliError("--name works with one file (accounts files name their accounts)", 2);
  }

  const found: ImportedAccount[] = [];
  for (const path of paths) {
    let accounts: ImportedAccount[];
    try {
      accounts = await readCredentialsFile(path, values.name ? { name: values.name } : {});
    } catch (error) {
      if (!(error instanceof ImportError)) throw error;
      const hint = defaulted && /not found/.test(error.message)
        ? Deno.build.os === "darwin"
          ? " (Claude Code on macOS keeps its login in the Keychain: give a file, or use `ccgate login claude`)"
          : " (log in with `claude` first, give a file, or use `ccgate login claude`)"
        : "";
      throw new CliError(error.message + hint);
    }
    if (values.name !== undefined && accounts.length > 1) {
      throw new CliError(
        `--name: ${path} holds ${accounts.length} accounts, which are named by the file`,
        2,
      );
    }
    for (const account of accounts) {
      if (values.name !== undefined) account.name = values.name;
      if (found.some((f) => f.name === account.name)) {
        throw new CliError(`account "${account.name}" appears in more than one file`, 2);
      }
      found.push(account);
    }
  }

  await withOAuthStore(config, async (store) => {
    const existing = new Map(
      (await store.records()).filter((e) => e.value.provider === provider)
        .map((e) => [e.value.name, e.value.source]),
    );
    const now = Date.now();
    for (const a of found) {
      await store.save(provider, a.name, a, {
        source: "import",
        scopes: a.scopes,
        subscriptionType: a.subscriptionType,
      });
      const was = existing.get(a.name);
      const details = [
        a.subscriptionType,
        describeExpiry(a.expiresAt, now),
        a.refreshToken ? undefined : "no refresh token: import or log in again when it expires",
      ].filter(Boolean).join("; ");
      console.log(
        `${
          was
            ? `replaced ${provider}/${a.name} (was added by ${was})`
            : `added ${provider}/${a.name}`
        }: ${details}`,
      );
    }
  });
  if (paths.some((p) => p.endsWith(".credentials.json"))) {
    // Refresh tokens are single-use: whichever of Claude Code and ccgate refreshes first
    // invalidates the other's copy.
    console.log(
      "note: Claude Code and ccgate now share this login; when one refreshes it, the other must " +
        "log in again. `ccgate login claude` gives ccgate a login of its own.",
    );
  }
}

/**
 * Removes a stored OAuth account matching `name` (and `provider` when given). Returns the
 * removed account's id, or undefined when none matched; throws when several match.
 */
export async function removeOAuthAccount(
  kv: Deno.Kv,
  target: KvTarget,
  provider: string | undefined,
  name: string,
): Promise<string | undefined> {
  const store = await openStoreForCli(kv, target);
  const match = (await store.records()).filter((e) =>
    e.value.name === name && (!provider || e.value.provider === provider)
  );
  if (match.length === 0) return undefined;
  if (match.length > 1) throw new CliError(`"${name}" is ambiguous: use provider/name`);
  const { provider: p, source } = match[0].value;
  await store.remove(p, name);
  // The watcher re-adds accounts that are still in the watched file on its next change.
  return source === "file"
    ? `${p}/${name} (it is still in the accounts file: remove it there too)`
    : `${p}/${name}`;
}

/** `ccgate accounts refresh NAME`: asks the running gateway to refresh one account now. */
export async function refreshAccount(values: OAuthCliFlags, ref: string): Promise<void> {
  const { config } = await loadForCli({ file: values.config });
  const base = (values.url ?? localGatewayUrl(config.server.host, config.server.port))
    .replace(/\/+$/, "");
  const key = config.auth.adminKey ?? config.auth.clientKeys[0];
  const url = `${base}/status/accounts/${encodeURIComponent(ref)}/refresh`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: key ? { "x-api-key": key } : {},
      signal: AbortSignal.timeout(60_000),
    });
  } catch (error) {
    throw new CliError(
      `cannot reach the gateway at ${base}: ${
        (error as Error).message
      } (is \`ccgate serve\` running?)`,
    );
  }
  const text = await res.text();
  let body: Record<string, any> | undefined;
  try {
    body = JSON.parse(text);
  } catch { /* not JSON: reported below as text */ }
  const message = String(body?.error?.message ?? text).replace(/\s+/g, " ").slice(0, 300);
  if (res.status === 404 && /^no route for /.test(message)) {
    throw new CliError(
      `the gateway at ${base} has no refresh endpoint (an older version?): restart it with this version`,
    );
  }
  if (!res.ok) {
    throw new CliError(`refresh of ${ref} failed: HTTP ${res.status}: ${scrubSecrets(message)}`);
  }
  if (values.json) {
    console.log(scrubSecrets(JSON.stringify(body ?? text, null, 2)));
    return;
  }
  // The gateway answers {ok, account: "provider/name", token_expires_at}.
  const id = typeof body?.account === "string" ? body.account : body?.id ?? ref;
  const rawExpiry = body?.token_expires_at ?? body?.expires_at;
  const expiry = rawExpiry === undefined ? NaN : new Date(rawExpiry).getTime();
  console.log(`refreshed ${id}${Number.isNaN(expiry) ? "" : `: ${describeExpiry(expiry)}`}`);
}
