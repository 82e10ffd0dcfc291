/**
 * The Hono app: probes, the Anthropic front door (also under `/p/{profile}`), models, and the
 * status API, with client auth, CORS and Anthropic-shaped errors everywhere.
 * @module
 */
import { Hono, type MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import type { Gateway } from "../gateway.ts";
import { logger } from "../observability/log.ts";
import { anthropicError } from "../protocol/anthropic_error.ts";
import { openAIError } from "../protocol/openai_error.ts";
import { keyMatches, presentedKey } from "./client_auth.ts";
import { handleMessages } from "./messages_door.ts";
import { handleChatCompletions, openAIModelList } from "./openai_door.ts";
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
    const keys = config().auth.clientKeys;
    if (keys.length && !keyMatches(presentedKey(c.req.raw.headers), keys)) {
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
    if (keys.length && !keyMatches(presentedKey(c.req.raw.headers), keys)) {
      return anthropicError(401, adminKey ? "admin key required" : "gateway key required");
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

  app.notFound((c) =>
    anthropicError(404, `no route for ${c.req.method} ${new URL(c.req.url).pathname}`)
  );
  app.onError((error, c) => {
    logger.error("unhandled error", { path: new URL(c.req.url).pathname, error: error.message });
    return anthropicError(500, "internal gateway error");
  });
  return app;
}
