/**
 * The config schema: the single source of truth for the config file's types, its validation
 * and the published JSON Schema (`ccgate config schema`).
 * @module
 */
// zod's v3 API: zod 4's own loads every locale module and costs ~10 MB of idle memory.
import { z } from "zod/v3";

const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]*$/;
const name = (what: string) =>
  z.string().regex(NAME, `${what} may use letters, digits, '.', '_', '@' and '-'`);

/** Byte sizes: a number of bytes or a string such as "32mb". */
const byteSize = z.union([
  z.number().int().positive(),
  z.string().regex(/^\d+(\.\d+)?\s*(b|kb|mb|gb)?$/i, "a size such as 32mb").transform((s) => {
    const m = s.toLowerCase().match(/^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/)!;
    const unit = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }[m[2] ?? "b"]!;
    return Math.round(Number(m[1]) * unit);
  }),
]);

const ms = z.number().int().nonnegative();

/** Pool strategies. */
export const StrategySchema = z.enum(["round-robin", "sticky", "least-used", "priority"]).describe(
  "round-robin (default); sticky keeps a Claude Code session on one account; least-used; priority (lowest priority first, weighted within a priority)",
);

/** One upstream credential. */
export const AccountSchema = z.strictObject({
  name: name("account name").describe("Unique within its provider; shown in status and logs"),
  apiKey: z.string().min(1).optional().describe("The credential (use ${ENV} interpolation)"),
  weight: z.number().int().positive().default(1).describe(
    "Share of traffic under the priority strategy",
  ),
  priority: z.number().int().default(0).describe(
    "Lower is tried first under the priority strategy",
  ),
  enabled: z.boolean().default(true),
});

/** Provider types; a new provider is one folder under src/providers plus one entry here. */
export const ProviderTypeSchema = z.enum([
  "anthropic",
  "anthropic-compatible",
  "openai-compatible",
  "claude-oauth",
]);

/**
 * Known third parties whose quirks ship as data: Anthropic-compatible endpoints (zai, zhipu,
 * kimi, minimax, deepseek) and OpenAI-compatible ones (openai, azure, openrouter, ollama,
 * deepseek, kimi, zhipu, minimax, gemini, modelscope). The provider's type picks the table.
 */
export const PresetSchema = z.enum([
  "zai",
  "zhipu",
  "kimi",
  "minimax",
  "deepseek",
  "openai",
  "azure",
  "openrouter",
  "ollama",
  "gemini",
  "modelscope",
]);

/** One upstream provider with its pool of accounts. */
export const ProviderSchema = z.strictObject({
  name: name("provider name"),
  type: ProviderTypeSchema,
  preset: PresetSchema.optional().describe(
    "Fills baseUrl, auth style, models and cleaning for a known third party",
  ),
  baseUrl: z.string().url().optional().describe(
    "Upstream base URL; the client path (/v1/messages) is appended",
  ),
  authHeader: z.enum(["x-api-key", "bearer", "both", "api-key", "none"]).optional().describe(
    "How the credential is sent: x-api-key, Authorization: Bearer, both, Azure's api-key, or none",
  ),
  strategy: StrategySchema.default("round-robin"),
  accounts: z.array(AccountSchema).default([]),
  models: z.record(z.string(), z.string()).default({}).describe(
    "Model mapping: client model or glob pattern → upstream model; first match wins",
  ),
  modelList: z.array(z.string()).default([]).describe("Models listed by GET /v1/models"),
  headers: z.record(z.string(), z.string()).default({}).describe("Extra upstream request headers"),
  stripBetas: z.union([z.literal(true), z.array(z.string())]).optional().describe(
    "anthropic-beta values to remove before forwarding (true: drop the header)",
  ),
  stripFields: z.array(z.string()).optional().describe(
    "Top-level body fields to remove before forwarding",
  ),
  systemMessages: z.enum(["keep", "to-user"]).optional().describe(
    "to-user folds role:system entries inside messages into user turns (for upstreams that reject them); default per preset: to-user for third-party Anthropic endpoints and OpenAI-compatible servers, keep for OpenAI and Azure",
  ),
  openai: z.strictObject({
    apiVersion: z.string().optional().describe("Azure api-version query parameter"),
    maxTokensField: z.enum(["auto", "max_tokens", "max_completion_tokens"]).optional().describe(
      "auto: max_completion_tokens for o-series and gpt-5 models, max_tokens otherwise",
    ),
    reasoning: z.enum(["reasoning_effort", "openrouter", "deepseek", "none"]).optional().describe(
      "How Anthropic thinking is requested upstream",
    ),
    replayReasoning: z.boolean().optional().describe(
      "Send earlier thinking back as reasoning_content (DeepSeek/Kimi require it on tool-call turns)",
    ),
    systemRole: z.enum(["system", "developer"]).optional(),
    schemaDialect: z.enum(["openai", "gemini", "plain"]).optional().describe(
      "Tool JSON Schema cleaning",
    ),
    extraBody: z.record(z.string(), z.unknown()).optional().describe(
      "Merged into every request body",
    ),
  }).optional().describe("OpenAI-compatible settings (type openai-compatible)"),
  enabled: z.boolean().default(true),
});

/** One route target: a provider and optionally the model to ask it for. */
export const TargetSchema = z.union([
  z.string(),
  z.strictObject({ provider: z.string(), model: z.string().optional() }),
]);

/** A route: model patterns → ordered chain of targets. */
export const RouteSchema = z.strictObject({
  match: z.union([z.string(), z.array(z.string()).min(1)]).describe(
    "Model id or glob (claude-opus-*)",
  ),
  chain: z.array(TargetSchema).min(1),
});

/** Model alias targets (Claude Code's haiku/sonnet/opus). */
export const AliasesSchema = z.strictObject({
  big: z.string().optional().describe("Model for opus requests (BIG_MODEL)"),
  middle: z.string().optional().describe("Model for sonnet requests (MIDDLE_MODEL)"),
  small: z.string().optional().describe("Model for haiku requests (SMALL_MODEL)"),
});

/** A named profile reachable at /p/{name}/v1/…. */
export const ProfileSchema = z.strictObject({
  chain: z.array(TargetSchema).min(1).optional().describe("Default chain of this profile"),
  routes: z.array(RouteSchema).optional(),
  aliases: AliasesSchema.optional(),
});

/** The whole config file. */
export const ConfigSchema = z.strictObject({
  $schema: z.string().optional(),
  server: z.strictObject({
    host: z.string().default("127.0.0.1"),
    port: z.number().int().min(0).max(65535).default(8082),
    bodyLimit: byteSize.default(32 * 1024 * 1024).describe("Largest accepted request body"),
    shutdownTimeoutMs: ms.default(10_000).describe("How long open streams may finish on SIGTERM"),
    cors: z.strictObject({
      enabled: z.boolean().default(false),
      origins: z.array(z.string()).default(["*"]),
    }).default({}),
  }).default({}),
  auth: z.strictObject({
    clientKeys: z.array(z.string().min(8, "client keys need at least 8 characters")).default([])
      .describe("Keys clients send as x-api-key or Authorization: Bearer (PROXY_API_KEY)"),
    adminKey: z.string().min(8).optional().describe("Required by /status write endpoints when set"),
  }).default({}),
  kv: z.strictObject({
    path: z.string().optional().describe("Local KV file (default: per-user data directory)"),
    url: z.string().optional().describe("Remote KV Connect URL; token in DENO_KV_ACCESS_TOKEN"),
  }).default({}),
  timeouts: z.strictObject({
    connectMs: ms.default(30_000).describe("Until upstream response headers, streaming requests"),
    readMs: ms.default(180_000).describe("Longest silence between two chunks of a stream"),
    requestMs: ms.default(600_000).describe(
      "One non-streaming upstream attempt, headers and body; a failover starts a new one (REQUEST_TIMEOUT)",
    ),
  }).default({}),
  failover: z.strictObject({
    maxAttempts: z.number().int().positive().default(16).describe("Upstream attempts per request"),
    maxWaitMs: ms.default(120_000).describe("Wait for a reset this close instead of answering 429"),
    defaultCooldownMs: ms.default(30_000).describe("429 cooldown when the upstream sends no reset"),
    maxCooldownMs: ms.default(6 * 3600_000).describe("Upper bound of any header-derived cooldown"),
    stickyTtlMs: ms.default(3600_000).describe("How long a session keeps its account when idle"),
  }).default({}),
  circuit: z.strictObject({
    failureThreshold: z.number().int().positive().default(5),
    openMs: ms.default(30_000),
  }).default({}),
  state: z.strictObject({
    syncIntervalMs: ms.default(1000).describe("How often shared state is re-read from KV"),
  }).default({}),
  aliases: AliasesSchema.default({}),
  quota: z.strictObject({
    softLimit: z.union([z.number().min(0).max(1), z.literal(false)]).default(0.8).describe(
      "Subscription accounts at or above this utilisation of a window are used only when no other account has room (SOFT_LIMIT_THRESHOLD); false turns it off",
    ),
  }).default({}),
  oauth: z.strictObject({
    refreshBufferMs: ms.default(600_000).describe(
      "Refresh tokens expiring within this (CCPROXY_REFRESH_BUFFER, seconds)",
    ),
    tokenUrl: z.string().optional().describe("Token endpoint override (CCGATE_OAUTH_TOKEN_URL)"),
    accountsFile: z.string().optional().describe(
      "Seed 000 accounts.json to import and hot-reload (CCPROXY_ACCOUNTS_PATH)",
    ),
    hotReload: z.boolean().default(true).describe(
      "Watch accountsFile for changes (CCPROXY_HOT_RELOAD)",
    ),
  }).default({}),
  tokens: z.strictObject({
    max: z.number().int().positive().optional().describe(
      "Clamp max_tokens to at most this (MAX_TOKENS_LIMIT)",
    ),
    min: z.number().int().positive().optional().describe(
      "Raise max_tokens to at least this (MIN_TOKENS_LIMIT)",
    ),
  }).default({}),
  customHeaders: z.record(z.string(), z.string()).default({}).describe(
    "Headers added to every upstream request",
  ),
  providers: z.array(ProviderSchema).default([]),
  routes: z.array(RouteSchema).default([]),
  defaultChain: z.array(TargetSchema).optional().describe(
    "Chain for models no route matches (default: every provider in order)",
  ),
  modelFallback: z.record(z.string(), z.string()).default({}).describe(
    "When a model's chain is exhausted, try this model instead (glob → model)",
  ),
  profiles: z.record(name("profile name"), ProfileSchema).default({}),
  logging: z.strictObject({
    level: z.enum(["debug", "info", "warn", "error"]).default("info"),
    format: z.enum(["auto", "json", "pretty"]).default("auto"),
  }).default({}),
}).superRefine((config, ctx) => {
  const names = new Set<string>();
  config.providers.forEach((p, i) => {
    if (names.has(p.name)) {
      ctx.addIssue({
        code: "custom",
        path: ["providers", i, "name"],
        message: `duplicate provider name "${p.name}"`,
      });
    }
    names.add(p.name);
    const accountNames = new Set<string>();
    p.accounts.forEach((a, j) => {
      if (accountNames.has(a.name)) {
        ctx.addIssue({
          code: "custom",
          path: ["providers", i, "accounts", j, "name"],
          message: `duplicate account name "${a.name}"`,
        });
      }
      accountNames.add(a.name);
    });
    const anthropicPresets = ["zai", "zhipu", "kimi", "minimax", "deepseek"];
    if (p.preset && p.type === "anthropic-compatible" && !anthropicPresets.includes(p.preset)) {
      ctx.addIssue({
        code: "custom",
        path: ["providers", i, "preset"],
        message:
          `preset "${p.preset}" is for openai-compatible providers; anthropic-compatible presets: ${
            anthropicPresets.join(", ")
          }`,
      });
    }
    if (p.preset && p.type === "openai-compatible" && ["zai"].includes(p.preset)) {
      ctx.addIssue({
        code: "custom",
        path: ["providers", i, "preset"],
        message:
          `preset "zai" is an anthropic-compatible endpoint; use zhipu for GLM's OpenAI endpoint`,
      });
    }
    if (!p.baseUrl && !p.preset && p.type !== "anthropic" && p.type !== "claude-oauth") {
      ctx.addIssue({
        code: "custom",
        path: ["providers", i, "baseUrl"],
        message: `provider "${p.name}" needs a baseUrl or a preset`,
      });
    }
  });
  const checkChain = (
    chain: z.infer<typeof TargetSchema>[] | undefined,
    path: (string | number)[],
  ) =>
    chain?.forEach((t, k) => {
      const provider = typeof t === "string" ? t : t.provider;
      if (!names.has(provider)) {
        ctx.addIssue({
          code: "custom",
          path: [...path, k],
          message: `unknown provider "${provider}"`,
        });
      }
    });
  config.routes.forEach((r, i) => checkChain(r.chain, ["routes", i, "chain"]));
  checkChain(config.defaultChain, ["defaultChain"]);
  for (const [pname, profile] of Object.entries(config.profiles)) {
    checkChain(profile.chain, ["profiles", pname, "chain"]);
    profile.routes?.forEach((r, i) =>
      checkChain(r.chain, ["profiles", pname, "routes", i, "chain"])
    );
  }
});

/** A validated config with defaults applied. */
export type Config = z.output<typeof ConfigSchema>;
/** One provider's validated config. */
export type ProviderConfig = Config["providers"][number];
/** One account's validated config. */
export type AccountConfig = ProviderConfig["accounts"][number];
/** A route target as written. */
export type TargetInput = z.output<typeof TargetSchema>;
/** A validated route. */
export type RouteConfig = z.output<typeof RouteSchema>;
/** A validated profile. */
export type ProfileConfig = z.output<typeof ProfileSchema>;
/** Pool strategy names. */
export type Strategy = z.output<typeof StrategySchema>;

/**
 * The JSON Schema of the config file, generated from the zod schema. The converter loads only
 * for this command, so a running gateway never pays for it.
 */
export async function configJsonSchema(): Promise<Record<string, unknown>> {
  const { zodToJsonSchema } = await import("zod-to-json-schema");
  return zodToJsonSchema(ConfigSchema, { $refStrategy: "none" }) as Record<string, unknown>;
}
