/**
 * The env-only quick start: the seed projects' variables mapped onto config fields, so
 * `ANTHROPIC_API_KEY=k1,k2 ccgate serve` is a working two-account pool with no file.
 * @module
 */

/** A flat view of the environment (process env over `.env`). */
export type EnvMap = Record<string, string | undefined>;

const splitList = (value: string) => value.split(",").map((s) => s.trim()).filter(Boolean);

function intVar(env: EnvMap, key: string, errors: string[]): number | undefined {
  const raw = env[key]?.trim();
  if (!raw) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) {
    errors.push(`environment variable ${key}: expected a non-negative number, got "${raw}"`);
    return undefined;
  }
  return n;
}

function keyPool(prefix: string, keys: string) {
  return splitList(keys).map((apiKey, i) => ({ name: `${prefix}-${i + 1}`, apiKey }));
}

/**
 * Builds the config overlay from environment variables. `ANTHROPIC_BASE_URL` is never read:
 * users export it for Claude Code pointing at this gateway, so using it upstream would loop.
 */
export function envOverlay(env: EnvMap): { overlay: Record<string, unknown>; errors: string[] } {
  const errors: string[] = [];
  const server: Record<string, unknown> = {};
  if (env.HOST) server.host = env.HOST;
  const port = intVar(env, "PORT", errors);
  if (port !== undefined) server.port = port;

  const auth: Record<string, unknown> = {};
  if (env.PROXY_API_KEY) auth.clientKeys = splitList(env.PROXY_API_KEY);
  if (env.CCGATE_ADMIN_KEY) auth.adminKey = env.CCGATE_ADMIN_KEY;

  const kv: Record<string, unknown> = {};
  const kvTarget = env.CCGATE_KV;
  if (kvTarget) kv[/^https?:\/\//.test(kvTarget) ? "url" : "path"] = kvTarget;

  const timeouts: Record<string, unknown> = {};
  const requestTimeout = intVar(env, "REQUEST_TIMEOUT", errors);
  if (requestTimeout !== undefined) timeouts.requestMs = Math.round(requestTimeout * 1000);

  const failover: Record<string, unknown> = {};
  const maxRetries = intVar(env, "MAX_RETRIES", errors);
  if (maxRetries !== undefined) failover.maxAttempts = Math.floor(maxRetries) + 1;

  const aliases: Record<string, unknown> = {};
  if (env.BIG_MODEL) aliases.big = env.BIG_MODEL;
  if (env.MIDDLE_MODEL) aliases.middle = env.MIDDLE_MODEL;
  if (env.SMALL_MODEL) aliases.small = env.SMALL_MODEL;

  const tokens: Record<string, unknown> = {};
  const maxTokens = intVar(env, "MAX_TOKENS_LIMIT", errors);
  if (maxTokens) tokens.max = maxTokens;
  const minTokens = intVar(env, "MIN_TOKENS_LIMIT", errors);
  if (minTokens) tokens.min = minTokens;

  // CUSTOM_HEADER_X_FOO=bar → "x-foo: bar" (the seeds' convention).
  const customHeaders: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (k.startsWith("CUSTOM_HEADER_") && v !== undefined && k.length > 14) {
      customHeaders[k.slice(14).toLowerCase().replaceAll("_", "-")] = v;
    }
  }

  const providers: Record<string, unknown>[] = [];
  if (env.ANTHROPIC_API_KEY) {
    providers.push({
      name: "anthropic",
      type: "anthropic",
      ...(env.ANTHROPIC_UPSTREAM_URL ? { baseUrl: env.ANTHROPIC_UPSTREAM_URL } : {}),
      accounts: keyPool("anthropic", env.ANTHROPIC_API_KEY),
    });
  }
  if (env.ZAI_API_KEY) {
    providers.push({
      name: "zai",
      type: "anthropic-compatible",
      preset: "zai",
      ...(env.ZAI_BASE_URL ? { baseUrl: env.ZAI_BASE_URL } : {}),
      accounts: keyPool("zai", env.ZAI_API_KEY),
    });
  }
  if (env.OPENAI_API_KEY) {
    providers.push({
      name: "openai",
      type: "openai-compatible",
      baseUrl: env.OPENAI_BASE_URL || "https://api.openai.com/v1",
      accounts: keyPool("openai", env.OPENAI_API_KEY),
    });
  }

  const quota: Record<string, unknown> = {};
  const soft = env.SOFT_LIMIT_THRESHOLD?.trim();
  if (soft) {
    if (/^(false|off|0|none)$/i.test(soft)) quota.softLimit = false;
    else {
      const n = Number(soft);
      // Accept 0.8 and 80 alike.
      if (Number.isFinite(n) && n > 0 && n <= 100) quota.softLimit = n > 1 ? n / 100 : n;
      else {errors.push(
          `environment variable SOFT_LIMIT_THRESHOLD: expected a fraction (0.8), a percentage (80) or false, got "${soft}"`,
        );}
    }
  }

  const oauth: Record<string, unknown> = {};
  const buffer = intVar(env, "CCPROXY_REFRESH_BUFFER", errors);
  if (buffer !== undefined) oauth.refreshBufferMs = Math.round(buffer * 1000);
  if (env.CCGATE_OAUTH_TOKEN_URL) oauth.tokenUrl = env.CCGATE_OAUTH_TOKEN_URL;
  if (env.CCPROXY_ACCOUNTS_PATH) oauth.accountsFile = env.CCPROXY_ACCOUNTS_PATH;
  if (env.CCPROXY_HOT_RELOAD) {
    oauth.hotReload = !/^(false|0|off|no)$/i.test(env.CCPROXY_HOT_RELOAD.trim());
  }

  const logging: Record<string, unknown> = {};
  if (env.LOG_LEVEL) logging.level = env.LOG_LEVEL.toLowerCase();

  const overlay: Record<string, unknown> = {};
  const sections = {
    server,
    auth,
    kv,
    timeouts,
    failover,
    aliases,
    tokens,
    customHeaders,
    quota,
    oauth,
    logging,
  };
  for (const [key, value] of Object.entries(sections)) {
    if (Object.keys(value).length) overlay[key] = value;
  }
  if (providers.length) overlay.providers = providers;
  return { overlay, errors };
}
