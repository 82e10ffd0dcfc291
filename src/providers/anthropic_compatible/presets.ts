/**
 * Known Anthropic-compatible third parties as data: base URL, auth style, model mapping and
 * what their endpoints reject (protocols.md §5). Config values override every field.
 * @module
 */
import type { ProviderConfig } from "../../config/schema.ts";

/** The preset-controlled part of a provider config. */
export type Preset =
  & Pick<
    ProviderConfig,
    "baseUrl" | "authHeader" | "models" | "stripBetas" | "stripFields" | "systemMessages"
  >
  & {
    modelList: string[];
  };

// Fields Claude Code sends that these endpoints ignore at best and reject at worst.
const CLAUDE_ONLY_FIELDS = [
  "context_management",
  "container",
  "mcp_servers",
  "service_tier",
  "safeguards",
];

/** Names of the Anthropic-compatible presets. */
export type AnthropicPresetName = "zai" | "zhipu" | "kimi" | "minimax" | "deepseek";

/** Presets by name. */
export const PRESETS: Record<AnthropicPresetName, Preset> = {
  zai: {
    baseUrl: "https://api.z.ai/api/anthropic",
    authHeader: "bearer",
    models: { "*haiku*": "glm-4.5-air", "*": "glm-4.7" },
    modelList: ["glm-4.7", "glm-4.6", "glm-4.5-air"],
    stripBetas: true,
    stripFields: CLAUDE_ONLY_FIELDS,
    systemMessages: "to-user",
  },
  zhipu: {
    baseUrl: "https://open.bigmodel.cn/api/anthropic",
    authHeader: "bearer",
    models: { "*haiku*": "glm-4.5-air", "*": "glm-4.7" },
    modelList: ["glm-4.7", "glm-4.6", "glm-4.5-air"],
    stripBetas: true,
    stripFields: CLAUDE_ONLY_FIELDS,
    systemMessages: "to-user",
  },
  kimi: {
    baseUrl: "https://api.moonshot.ai/anthropic",
    authHeader: "bearer",
    models: { "*": "kimi-k2.6" },
    modelList: ["kimi-k2.6", "kimi-k2.5"],
    stripBetas: true,
    stripFields: CLAUDE_ONLY_FIELDS,
    systemMessages: "to-user",
  },
  minimax: {
    baseUrl: "https://api.minimax.io/anthropic",
    authHeader: "x-api-key",
    models: { "*": "MiniMax-M3" },
    modelList: ["MiniMax-M3", "MiniMax-M2.7"],
    stripBetas: true,
    stripFields: [...CLAUDE_ONLY_FIELDS, "top_k"],
    systemMessages: "to-user",
  },
  deepseek: {
    baseUrl: "https://api.deepseek.com/anthropic",
    authHeader: "x-api-key",
    models: { "*opus*": "deepseek-v4-pro", "*": "deepseek-v4-flash" },
    modelList: ["deepseek-v4-pro", "deepseek-v4-flash"],
    stripBetas: true,
    stripFields: [...CLAUDE_ONLY_FIELDS, "top_k"],
    systemMessages: "to-user",
  },
};

/** The config with its preset's defaults filled in under the values the user wrote. */
export function applyPreset(config: ProviderConfig): ProviderConfig {
  if (!config.preset || !(config.preset in PRESETS)) return config;
  const preset = PRESETS[config.preset as AnthropicPresetName];
  return {
    ...config,
    baseUrl: config.baseUrl ?? preset.baseUrl,
    authHeader: config.authHeader ?? preset.authHeader,
    models: Object.keys(config.models).length ? config.models : preset.models,
    modelList: config.modelList.length ? config.modelList : preset.modelList,
    stripBetas: config.stripBetas ?? preset.stripBetas,
    stripFields: config.stripFields ?? preset.stripFields,
    systemMessages: config.systemMessages ?? preset.systemMessages,
  };
}
