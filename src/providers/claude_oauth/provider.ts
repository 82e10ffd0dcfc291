/**
 * Provider `claude-oauth`: Claude Pro/Max subscription accounts. Anthropic's Messages API with
 * `Authorization: Bearer <access token>` (refreshed by the {@link RefreshManager} before it
 * expires), the OAuth beta added to the client's betas, and the identity system block when the
 * client sent none. Every response's `anthropic-ratelimit-unified-*` headers are kept per
 * account: a `rejected` window cools the account until that window's reset.
 * @module
 */
import type { RefreshManager } from "../../auth/refresh_manager.ts";
import { parseUnifiedQuota, rejectedUntil } from "../../auth/unified_quota.ts";
import type { ProviderConfig } from "../../config/schema.ts";
import type { Account } from "../../pool/account.ts";
import type { Pool } from "../../pool/pool.ts";
import { AnthropicWireProvider } from "../anthropic/provider.ts";
import type { ProviderContext } from "../provider.ts";
import { ensureIdentity, hasIdentityBytes } from "./identity.ts";

/** The beta every OAuth request needs. */
export const OAUTH_BETA = "oauth-2025-04-20";

/** A subscription provider. */
export class ClaudeOAuthProvider extends AnthropicWireProvider {
  /** Builds it over the refresh manager that holds the tokens. */
  constructor(config: ProviderConfig, pool: Pool, ctx: ProviderContext, manager: RefreshManager) {
    super(config, pool, ctx, ensureIdentity, {
      auth: async (account) => ({
        // Stored logins are refreshed by the manager; a token written in the config (a
        // long-lived setup token) is used as it is.
        credential: manager.entry(account.id)
          ? await manager.accessToken(account.id)
          : account.spec.credential,
        style: "bearer",
        addBetas: [OAUTH_BETA],
      }),
      mustRewrite: (raw) => !hasIdentityBytes(raw),
    });
  }

  /** Keeps the account's subscription quota; a rejected window cools it until its reset. */
  observe(account: Account, headers: Headers): void {
    const now = Date.now();
    const quota = parseUnifiedQuota(headers, now);
    if (!quota) return;
    account.setQuota(quota);
    const until = rejectedUntil(quota, now);
    if (until !== undefined) {
      const window = quota.representativeClaim ?? "unified";
      account.rateLimited(
        "*",
        until,
        `subscription quota rejected (${window}) until ${new Date(until).toISOString()}`,
      );
    }
  }
}
