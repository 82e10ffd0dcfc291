/**
 * Provider `anthropic-compatible`: third parties that speak the Anthropic Messages API
 * (Z.AI, Kimi, MiniMax, DeepSeek, …) with their base URL, auth style, model mapping and
 * request cleaning from a preset or config.
 * @module
 */
import type { ProviderConfig } from "../../config/schema.ts";
import type { Pool } from "../../pool/pool.ts";
import { AnthropicWireProvider } from "../anthropic/provider.ts";
import type { ProviderContext } from "../provider.ts";
import { cleanerFor } from "./clean.ts";

/** Builds an anthropic-compatible provider; `config` must already have its preset applied. */
export function createAnthropicCompatibleProvider(
  config: ProviderConfig,
  pool: Pool,
  ctx: ProviderContext,
): AnthropicWireProvider {
  return new AnthropicWireProvider(config, pool, ctx, cleanerFor(config));
}
