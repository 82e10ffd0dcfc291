/**
 * How a credential is sent upstream, for every provider kind.
 * @module
 */
import type { ProviderConfig } from "../../config/schema.ts";

/**
 * The auth headers for a credential in the configured style: x-api-key (the default),
 * Authorization: Bearer, both, Azure's api-key, or none (e.g. a local Ollama).
 */
export function authHeaderList(
  style: ProviderConfig["authHeader"],
  credential: string,
): [string, string][] {
  switch (style) {
    case "none":
      return [];
    case "api-key":
      return [["api-key", credential]];
    case "bearer":
      return [["authorization", `Bearer ${credential}`]];
    case "both":
      return [["authorization", `Bearer ${credential}`], ["x-api-key", credential]];
    default:
      return [["x-api-key", credential]];
  }
}
