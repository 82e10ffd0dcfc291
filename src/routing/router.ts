/**
 * Routing: a requested model → ordered chains of (provider, upstream model) targets.
 * Aliases (haiku/sonnet/opus → SMALL/MIDDLE/BIG) apply first, then the first matching route,
 * then each provider's model map. `modelFallback` adds a chain for another model family, tried
 * when the first is exhausted. Profiles (`/p/{name}/…`) swap in their own routes.
 * @module
 */
import type { Config, ProfileConfig, RouteConfig, TargetInput } from "../config/schema.ts";
import type { Provider } from "../providers/provider.ts";
import type { ProviderMap } from "../providers/registry.ts";
import { mapModel, matchesModel } from "../providers/shared/model_map.ts";

/** A concrete target: a provider and the model to ask it for. */
export interface Target {
  /** The provider. */
  provider: Provider;
  /** Upstream model id. */
  model: string;
}

/** The chain for one model. */
export interface Chain {
  /** The routed model (after aliases/fallback) this chain serves. */
  model: string;
  /** Targets in failover order. */
  targets: Target[];
}

/** The routing plan of one request. */
export type Plan = { ok: true; model: string; chains: Chain[] } | {
  ok: false;
  status: number;
  message: string;
};

/** Maps Claude Code's model families to configured models. */
export function applyAliases(model: string, aliases: Config["aliases"]): string {
  const lower = model.toLowerCase();
  if (aliases.small && lower.includes("haiku")) return aliases.small;
  if (aliases.middle && lower.includes("sonnet")) return aliases.middle;
  if (aliases.big && lower.includes("opus")) return aliases.big;
  return model;
}

/** The router for one config generation. */
export class Router {
  readonly #config: Config;
  readonly #providers: ProviderMap;

  /**
   * Creates a router over one config generation's routes and providers.
   * @param providers Built providers (disabled/unavailable ones are absent).
   */
  constructor(config: Config, providers: ProviderMap) {
    this.#config = config;
    this.#providers = providers;
  }

  /** Profile names. */
  profiles(): string[] {
    return Object.keys(this.#config.profiles);
  }

  /** Plans a request for `requested`, optionally inside a profile. */
  plan(requested: string, profileName?: string): Plan {
    let profile: ProfileConfig | undefined;
    if (profileName !== undefined) {
      profile = this.#config.profiles[profileName];
      if (!profile) return { ok: false, status: 404, message: `unknown profile "${profileName}"` };
    }
    const aliases = { ...this.#config.aliases, ...profile?.aliases };
    const model = applyAliases(requested, aliases);
    const chains: Chain[] = [];
    const seen = new Set<string>();
    let next: string | undefined = model;
    // Fallback hops are bounded so a cyclic modelFallback cannot loop.
    for (let hop = 0; next !== undefined && hop < 4 && !seen.has(next); hop++) {
      seen.add(next);
      const targets = this.#targets(next, profile);
      if (targets.length) chains.push({ model: next, targets });
      next = mapModel(this.#config.modelFallback, next);
      if (next !== undefined) next = applyAliases(next, aliases);
    }
    if (!chains.length) {
      const why = this.#providers.size === 0
        ? "no upstream accounts are configured: set ANTHROPIC_API_KEY, run `ccgate accounts add`, or write a config file"
        : `no configured provider serves model "${requested}"`;
      return { ok: false, status: 404, message: why };
    }
    return { ok: true, model, chains };
  }

  #targets(model: string, profile?: ProfileConfig): Target[] {
    const routes: RouteConfig[] = profile?.routes ?? (profile?.chain ? [] : this.#config.routes);
    const route = routes.find((r) =>
      (Array.isArray(r.match) ? r.match : [r.match]).some((p) => matchesModel(p, model))
    );
    const inputs: TargetInput[] = route?.chain ?? profile?.chain ?? this.#config.defaultChain ??
      [...this.#providers.keys()];
    const targets: Target[] = [];
    for (const input of inputs) {
      const name = typeof input === "string" ? input : input.provider;
      const provider = this.#providers.get(name);
      if (!provider || provider.pool.accounts.length === 0) continue;
      const explicit = typeof input === "string" ? undefined : input.model;
      targets.push({ provider, model: explicit ?? provider.mapModel(model) });
    }
    return targets;
  }

  /** Every model id worth listing on GET /v1/models: aliases, routes and provider models. */
  listModels(): string[] {
    const ids = new Set<string>();
    const { aliases } = this.#config;
    for (const v of [aliases.big, aliases.middle, aliases.small]) if (v) ids.add(v);
    for (const r of this.#config.routes) {
      for (const m of Array.isArray(r.match) ? r.match : [r.match]) {
        if (!m.includes("*")) ids.add(m);
      }
    }
    for (const p of this.#providers.values()) {
      for (const m of p.models()) if (!m.includes("*")) ids.add(m);
    }
    return [...ids];
  }
}
