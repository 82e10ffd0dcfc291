/**
 * OpenAI-compatible upstreams as data: base URL, auth header and the quirks the translation
 * needs (token field, how reasoning is requested and replayed, schema dialect). Config values
 * override every field.
 * @module
 */
import type { ProviderConfig } from "../../config/schema.ts";

/** The resolved OpenAI-side settings of a provider. */
export interface OpenAISettings {
  /** Base URL up to (not including) `/chat/completions`. */
  baseUrl: string;
  /** Credential header style. */
  authHeader: NonNullable<ProviderConfig["authHeader"]>;
  /** Azure `api-version`. */
  apiVersion?: string;
  /** Which max-tokens field to send. */
  maxTokensField: "auto" | "max_tokens" | "max_completion_tokens";
  /** How thinking is requested. */
  reasoning: "reasoning_effort" | "openrouter" | "deepseek" | "none";
  /** Send earlier thinking back as `reasoning_content`. */
  replayReasoning: boolean;
  /** System prompt role. */
  systemRole: "system" | "developer";
  /**
   * `role: "system"` messages inside `messages` (Claude Code sends one): kept in place, or folded
   * into user turns for servers whose chat templates reject a system message after the first.
   */
  systemMessages: "keep" | "to-user";
  /** Tool schema cleaning. */
  schemaDialect: "openai" | "gemini" | "plain";
  /** Merged into every request body. */
  extraBody: Record<string, unknown>;
  /** Default model list for GET /v1/models. */
  modelList: string[];
}

/** The `preset` values an openai-compatible provider may use. */
export type PresetName =
  | "openai"
  | "azure"
  | "openrouter"
  | "ollama"
  | "deepseek"
  | "kimi"
  | "zhipu"
  | "minimax"
  | "gemini"
  | "modelscope";

const BASE: Omit<OpenAISettings, "baseUrl"> = {
  authHeader: "bearer",
  maxTokensField: "max_tokens",
  reasoning: "none",
  replayReasoning: false,
  systemRole: "system",
  // Unknown servers (vLLM, llama.cpp, …) often run templates that reject a late system turn.
  systemMessages: "to-user",
  schemaDialect: "openai",
  extraBody: {},
  modelList: [],
};

/** Presets by name. */
export const OPENAI_PRESETS: Record<PresetName, Partial<OpenAISettings> & { baseUrl: string }> = {
  openai: {
    baseUrl: "https://api.openai.com/v1",
    maxTokensField: "auto",
    reasoning: "reasoning_effort",
    systemMessages: "keep",
    modelList: ["gpt-5", "gpt-5-mini", "gpt-4.1"],
  },
  // Azure: baseUrl is the deployment URL, https://<resource>.openai.azure.com/openai/deployments/<deployment>
  azure: {
    baseUrl: "",
    authHeader: "api-key",
    apiVersion: "2024-10-21",
    maxTokensField: "auto",
    reasoning: "reasoning_effort",
    systemMessages: "keep",
  },
  openrouter: { baseUrl: "https://openrouter.ai/api/v1", reasoning: "openrouter" },
  ollama: { baseUrl: "http://127.0.0.1:11434/v1", authHeader: "none" },
  deepseek: {
    baseUrl: "https://api.deepseek.com/v1",
    reasoning: "deepseek",
    replayReasoning: true,
    modelList: ["deepseek-v4-pro", "deepseek-v4-flash"],
  },
  kimi: { baseUrl: "https://api.moonshot.ai/v1", replayReasoning: true, modelList: ["kimi-k2.6"] },
  zhipu: {
    baseUrl: "https://open.bigmodel.cn/api/paas/v4",
    replayReasoning: true,
    modelList: ["glm-4.7", "glm-4.5-air"],
  },
  minimax: { baseUrl: "https://api.minimax.io/v1", modelList: ["MiniMax-M3"] },
  gemini: {
    baseUrl: "https://generativelanguage.googleapis.com/v1beta/openai",
    reasoning: "reasoning_effort",
    schemaDialect: "gemini",
    modelList: ["gemini-3-pro", "gemini-3-flash"],
  },
  modelscope: { baseUrl: "https://api-inference.modelscope.cn/v1" },
};

/** The OpenAI-side settings of a provider: preset, then the user's values. */
export function openAISettings(config: ProviderConfig): OpenAISettings {
  const preset = config.preset && config.preset in OPENAI_PRESETS
    ? OPENAI_PRESETS[config.preset as PresetName]
    : undefined;
  const o = config.openai ?? {};
  const baseUrl = (config.baseUrl ?? preset?.baseUrl ?? "").replace(/\/+$/, "").replace(
    /\/chat\/completions$/,
    "",
  );
  return {
    ...BASE,
    ...preset,
    baseUrl,
    authHeader: config.authHeader ?? preset?.authHeader ?? BASE.authHeader,
    ...(o.apiVersion ? { apiVersion: o.apiVersion } : {}),
    ...(o.maxTokensField ? { maxTokensField: o.maxTokensField } : {}),
    ...(o.reasoning ? { reasoning: o.reasoning } : {}),
    ...(o.replayReasoning !== undefined ? { replayReasoning: o.replayReasoning } : {}),
    ...(o.systemRole ? { systemRole: o.systemRole } : {}),
    ...(config.systemMessages ? { systemMessages: config.systemMessages } : {}),
    ...(o.schemaDialect ? { schemaDialect: o.schemaDialect } : {}),
    extraBody: { ...preset?.extraBody, ...o.extraBody },
    modelList: config.modelList.length ? config.modelList : preset?.modelList ?? [],
  };
}

/** The token field for a model under `auto`: o-series and gpt-5 reject `max_tokens`. */
export function tokenFieldFor(
  setting: OpenAISettings["maxTokensField"],
  model: string,
): "max_tokens" | "max_completion_tokens" {
  if (setting !== "auto") return setting;
  return /^(o\d|gpt-5)/i.test(model.replace(/^.*\//, "")) ? "max_completion_tokens" : "max_tokens";
}
