/**
 * The Hono app: probes, the Anthropic front door (also under `/p/{profile}`), models, the
 * status API and the "add a subscription account" page, with client auth, CORS and
 * Anthropic-shaped errors everywhere.
 * @module
 */
import { Hono, type MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import type { Gateway } from "../gateway.ts";
import { oauthEndpointsFromEnv, oauthProviderProblem } from "../auth/oauth_login.ts";
import { logger } from "../observability/log.ts";
import { anthropicError } from "../protocol/anthropic_error.ts";
import { openAIError } from "../protocol/openai_error.ts";
import { clientKeyAccepted, keyMatches, presentedKey } from "./client_auth.ts";
import { handleMessages } from "./messages_door.ts";
import { handleChatCompletions, openAIModelList } from "./openai_door.ts";
import { basicPassword, oauthRoutes } from "./oauth_page.ts";
import { statusRoutes, statusSummary } from "./status_api.ts";
import { VERSION } from "../version.ts";

function homeText(gateway: Gateway): string {
  const summary = statusSummary(gateway);
  const lines = [
    `ccgate ${VERSION} — one endpoint for many Claude Code accounts`,
    "",
    `accounts: ${summary.totals.accounts} (${summary.totals.available} available)`,
  ];
  if (summary.totals.accounts === 0) {
    lines.push(
      "",
      "No upstream accounts yet. Add one of:",
      "  ANTHROPIC_API_KEY=sk-ant-…[,sk-ant-…] ccgate serve      (a pool of API keys)",
      "  ccgate accounts add --provider anthropic --name work --key sk-ant-…",
      "  ZAI_API_KEY=… ccgate serve                             (Z.AI GLM)",
      "  ccgate login claude    (a Claude Pro/Max subscription; or open /accounts/add)",
      "  a config file: see `ccgate config schema` and the README",
    );
  }
  lines.push(
    "",
    "Point Claude Code here:  ANTHROPIC_BASE_URL=<this URL>  (or run `ccgate code`)",
    "Status: GET /status, /status/accounts, /account-limits?format=table",
  );
  return lines.join("\n") + "\n";
}

/** Builds the app for a gateway. */
export function createApp(gateway: Gateway): Hono {
  const app = new Hono();
  const config = () => gateway.config;

  app.use("*", async (c, next) => {
    const cfg = config().server.cors;
    if (!cfg.enabled) return await next();
    return await cors({
      origin: cfg.origins.includes("*") ? "*" : cfg.origins,
      exposeHeaders: ["request-id", "retry-after"],
    })(
      c,
      next,
    );
  });

  const clientAuth: MiddlewareHandler = async (c, next) => {
    if (!clientKeyAccepted(c.req.raw.headers, config().auth.clientKeys)) {
      const message =
        "invalid or missing gateway key: send it as x-api-key or Authorization: Bearer";
      return c.req.path.endsWith("/chat/completions")
        ? openAIError(401, message, { type: "authentication_error" })
        : anthropicError(401, message);
    }
    await next();
  };
  const adminAuth: MiddlewareHandler = async (c, next) => {
    const { adminKey, clientKeys } = config().auth;
    const keys = adminKey ? [adminKey] : clientKeys;
    // A browser visiting the account pages cannot send x-api-key: there the key may also be
    // the password of HTTP Basic auth, which the 401 asks the browser for.
    const page = c.req.path.startsWith("/accounts/");
    const headers = c.req.raw.headers;
    const presented = presentedKey(headers) ?? (page ? basicPassword(headers) : undefined);
    if (keys.length && !keyMatches(presented, keys)) {
      const denied = anthropicError(401, adminKey ? "admin key required" : "gateway key required");
      if (page) {
        denied.headers.set("www-authenticate", 'Basic realm="ccgate admin", charset="UTF-8"');
      }
      return denied;
    }
    await next();
  };

  for (const path of ["/", "/health", "/api/hello"]) {
    app.on(["GET", "HEAD"], path, (c) => {
      if (path === "/health") return c.json({ status: "ok" });
      if (path === "/api/hello") return c.json({ message: "hello" });
      return c.text(homeText(gateway));
    });
  }

  app.use("/v1/*", clientAuth);
  app.use("/chat/*", clientAuth);
  app.use("/p/*", clientAuth);
  app.use("/status", adminAuth);
  app.use("/status/*", adminAuth);
  app.use("/account-limits", adminAuth);
  app.use("/accounts/*", adminAuth);

  for (const prefix of ["", "/p/:profile"]) {
    app.post(
      `${prefix}/v1/messages`,
      (c) => handleMessages(gateway, c.req.raw, "messages", c.req.param("profile")),
    );
    app.post(
      `${prefix}/v1/messages/count_tokens`,
      (c) => handleMessages(gateway, c.req.raw, "count_tokens", c.req.param("profile")),
    );
    app.post(
      `${prefix}/v1/chat/completions`,
      (c) => handleChatCompletions(gateway, c.req.raw, c.req.param("profile")),
    );
    app.post(
      `${prefix}/chat/completions`,
      (c) => handleChatCompletions(gateway, c.req.raw, c.req.param("profile")),
    );
    app.get(`${prefix}/v1/models`, (c) => {
      const profile = c.req.param("profile");
      if (profile !== undefined && !gateway.generation.router.profiles().includes(profile)) {
        return anthropicError(404, `unknown profile "${profile}"`);
      }
      const ids = gateway.generation.router.listModels();
      // Anthropic clients always send anthropic-version; OpenAI clients never do.
      if (!c.req.header("anthropic-version")) {
        return c.json(openAIModelList(ids, gateway.startedAt));
      }
      const created = new Date(gateway.startedAt).toISOString();
      const data = ids.map((id) => ({ type: "model", id, display_name: id, created_at: created }));
      return c.json({
        data,
        has_more: false,
        first_id: ids[0] ?? null,
        last_id: ids.at(-1) ?? null,
      });
    });
    app.get(`${prefix}/v1/models/:id`, (c) => {
      const id = c.req.param("id");
      if (!gateway.generation.router.listModels().includes(id)) {
        return anthropicError(404, `model "${id}" not found`);
      }
      return c.json({
        type: "model",
        id,
        display_name: id,
        created_at: new Date(gateway.startedAt).toISOString(),
      });
    });
  }

  app.route("/", statusRoutes(gateway));
  const endpoints = oauthEndpointsFromEnv();
  app.route(
    "/",
    oauthRoutes({
      // Read per request: the store is opened when the gateway starts, after the app is built.
      store: () => gateway.oauthStore,
      tokenUrl: endpoints.tokenUrl ?? config().oauth.tokenUrl,
      authorizeUrl: endpoints.authorizeUrl,
      checkProvider: (provider) => oauthProviderProblem(config().providers, provider),
    }),
  );

  app.notFound((c) =>
    anthropicError(404, `no route for ${c.req.method} ${new URL(c.req.url).pathname}`)
  );
  app.onError((error, c) => {
    logger.error("unhandled error", { path: new URL(c.req.url).pathname, error: error.message });
    return anthropicError(500, "internal gateway error");
  });
  return app;
}
