/**
 * Reads the OAuth credentials users already have, so adding a subscription account needs no
 * new login: Claude Code's `~/.claude/.credentials.json` and the seed project's `accounts.json`.
 * Parsing only; errors name the file and the field, never a token value.
 * @module
 */

/** One account found in a credentials file. */
export interface ImportedAccount {
  /** Account name (a key of accounts.json, or "claude" / the given name for Claude Code's file). */
  name: string;
  /** `sk-ant-oat01-…`. */
  accessToken: string;
  /** `sk-ant-ort01-…`; absent for `claude setup-token` tokens, which cannot be refreshed. */
  refreshToken?: string;
  /** Epoch ms when the access token expires (normalised from ms, seconds or ISO 8601). */
  expiresAt: number;
  /** Granted scopes, when the file lists them. */
  scopes?: string[];
  /** "pro", "max", … when the file says. */
  subscriptionType?: string;
}

/** A credentials file that cannot be imported; the message names the file and the problem. */
export class ImportError extends Error {
  /** The file (as given by the caller). */
  readonly fileName: string;

  /** `problem` must not contain secret values. */
  constructor(fileName: string, problem: string) {
    super(`${fileName}: ${problem}`);
    this.name = "ImportError";
    this.fileName = fileName;
  }
}

/** Options for {@link parseCredentialsFile}. */
export interface ParseCredentialsOptions {
  /** Name for the single account of a Claude Code file (default "claude"). */
  name?: string;
}

/** The same rule as account names in the config schema, so an import can never make an invalid one. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]*$/;

/** Below this an `expiresAt` number is epoch seconds (1e11 s is the year 5138; 1e11 ms is 1973). */
const SECONDS_LIMIT = 1e11;

/**
 * Parses a credentials file, detecting its format: an object with `claudeAiOauth` (Claude Code),
 * with `accounts` as a map `{name: {...}}` or an array of `{name, ...}` (accounts.json), or a
 * bare `{accessToken, ...}` object (named like a Claude Code file). Throws {@link ImportError}.
 */
export function parseCredentialsFile(
  text: string,
  fileName: string,
  options: ParseCredentialsOptions = {},
): ImportedAccount[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    // The engine's message quotes the text around the fault, which may be a token: keep only where.
    const message = error instanceof Error ? error.message : "";
    const where = message.match(/line \d+ column \d+|position \d+/)?.[0];
    throw new ImportError(fileName, `not valid JSON${where ? ` (at ${where})` : ""}`);
  }
  if (!isObject(json)) throw new ImportError(fileName, "expected a JSON object at the top level");

  const single = (entry: unknown, path: string) => {
    const name = options.name ?? "claude";
    checkName(fileName, name, "the account name");
    return [readAccount(fileName, path, name, entry)];
  };

  if ("claudeAiOauth" in json) return single(json.claudeAiOauth, "claudeAiOauth");
  if ("accounts" in json) return readAccountsFile(fileName, json.accounts);
  if ("accessToken" in json) return single(json, "(top level)");
  if ("mcpOAuth" in json) {
    throw new ImportError(
      fileName,
      'has only MCP credentials ("mcpOAuth"), no "claudeAiOauth" login — run `claude` and /login first',
    );
  }
  throw new ImportError(
    fileName,
    'unrecognised format: expected Claude Code\'s {"claudeAiOauth": {...}} or an accounts file {"accounts": {...}}',
  );
}

/** Reads and parses a file; a missing or unreadable file is an {@link ImportError} too. */
export async function readCredentialsFile(
  path: string,
  options: ParseCredentialsOptions = {},
): Promise<ImportedAccount[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound
      ? "file not found"
      : error instanceof Deno.errors.PermissionDenied
      ? "permission denied"
      : "cannot be read";
    throw new ImportError(path, why);
  }
  return parseCredentialsFile(text, path, options);
}

/** Anything with an environment-style `get`, e.g. `Deno.env` or a test double. */
export interface EnvLike {
  /** The variable's value, or undefined. */
  get(name: string): string | undefined;
}

/**
 * Where Claude Code keeps its credentials: `$CLAUDE_CONFIG_DIR/.credentials.json`, else
 * `~/.claude/.credentials.json` (HOME, then USERPROFILE on Windows). Undefined when no home is
 * known. On macOS Claude Code uses the Keychain instead; this file then usually does not exist.
 */
export function defaultClaudeCredentialsPath(env: EnvLike = Deno.env): string | undefined {
  const configDir = env.get("CLAUDE_CONFIG_DIR");
  if (configDir) return joinPath(configDir, ".credentials.json");
  const home = env.get("HOME") || env.get("USERPROFILE");
  return home ? joinPath(joinPath(home, ".claude"), ".credentials.json") : undefined;
}

/**
 * Normalises an expiry to epoch ms: numbers (or numeric strings) below 1e11 are epoch seconds,
 * others epoch ms; any other string is parsed as a date (ISO 8601). Undefined when unusable.
 */
export function normaliseExpiresAt(value: unknown): number | undefined {
  let n: number | undefined;
  if (typeof value === "number") n = value;
  else if (typeof value === "string" && /^\s*\d+(\.\d+)?\s*$/.test(value)) n = Number(value);
  else if (typeof value === "string" && value.trim()) {
    const parsed = Date.parse(value.trim());
    return Number.isNaN(parsed) ? undefined : parsed;
  }
  if (n === undefined || !Number.isFinite(n) || n <= 0) return undefined;
  return Math.round(n < SECONDS_LIMIT ? n * 1000 : n);
}

function readAccountsFile(fileName: string, accounts: unknown): ImportedAccount[] {
  // [name, entry, where (for a bad name: no name in it), path (for field errors)]
  const entries: [string, unknown, string, string][] = [];
  if (Array.isArray(accounts)) {
    accounts.forEach((entry, i) => {
      const name = isObject(entry) ? entry.name : undefined;
      if (typeof name !== "string") {
        throw new ImportError(fileName, `accounts[${i}].name: missing or not a string`);
      }
      entries.push([name, entry, `accounts[${i}].name`, `accounts[${i}]`]);
    });
  } else if (isObject(accounts)) {
    Object.entries(accounts).forEach(([name, entry], i) => {
      entries.push([name, entry, `accounts: key #${i + 1}`, `accounts.${name}`]);
    });
  } else {
    throw new ImportError(fileName, '"accounts" must be an object {name: {...}} or an array');
  }
  if (!entries.length) throw new ImportError(fileName, '"accounts" is empty');

  const seen = new Set<string>();
  return entries.map(([name, entry, where, path]) => {
    checkName(fileName, name, where);
    if (seen.has(name)) throw new ImportError(fileName, `${path}: duplicate account name`);
    seen.add(name);
    return readAccount(fileName, path, name, entry);
  });
}

function readAccount(
  fileName: string,
  path: string,
  name: string,
  entry: unknown,
): ImportedAccount {
  if (!isObject(entry)) throw new ImportError(fileName, `${path}: expected an object`);
  const accessToken = entry.accessToken ?? entry.access_token;
  if (typeof accessToken !== "string" || !accessToken.trim()) {
    throw new ImportError(fileName, `${path}.accessToken: missing or not a non-empty string`);
  }
  const refreshToken = entry.refreshToken ?? entry.refresh_token;
  if (refreshToken !== undefined && refreshToken !== null && typeof refreshToken !== "string") {
    throw new ImportError(fileName, `${path}.refreshToken: expected a string`);
  }
  const rawExpiry = entry.expiresAt ?? entry.expires_at;
  if (rawExpiry === undefined || rawExpiry === null) {
    throw new ImportError(fileName, `${path}.expiresAt: missing`);
  }
  const expiresAt = normaliseExpiresAt(rawExpiry);
  if (expiresAt === undefined) {
    throw new ImportError(
      fileName,
      `${path}.expiresAt: expected epoch ms, epoch seconds or an ISO 8601 date`,
    );
  }
  const account: ImportedAccount = { name, accessToken: accessToken.trim(), expiresAt };
  if (typeof refreshToken === "string" && refreshToken.trim()) {
    account.refreshToken = refreshToken.trim();
  }
  const scopes = entry.scopes ?? entry.scope;
  if (Array.isArray(scopes)) account.scopes = scopes.filter((s) => typeof s === "string");
  else if (typeof scopes === "string") account.scopes = scopes.split(/\s+/).filter(Boolean);
  if (typeof entry.subscriptionType === "string" && entry.subscriptionType) {
    account.subscriptionType = entry.subscriptionType;
  }
  return account;
}

/** Rejects names that are invalid or look like a credential (and then never echoes them). */
function checkName(fileName: string, name: string, where: string): void {
  if (/^sk-ant-/i.test(name) || name.length > 64) {
    throw new ImportError(fileName, `${where}: the account name looks like a token, not a name`);
  }
  if (!NAME.test(name)) {
    throw new ImportError(
      fileName,
      `${where}: account name "${name}" may use letters, digits, '.', '_', '@' and '-'`,
    );
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function joinPath(dir: string, file: string): string {
  return /[\\/]$/.test(dir) ? `${dir}${file}` : `${dir}/${file}`;
}
