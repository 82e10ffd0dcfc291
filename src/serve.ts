/**
 * Starts and stops a gateway: open KV, load state, listen, watch the config file, and on
 * SIGTERM/SIGINT stop accepting, let open streams finish (bounded), flush state and close.
 * @module
 */
import { loadConfig, type LoadOptions } from "./config/load.ts";
import type { Config } from "./config/schema.ts";
import { Gateway } from "./gateway.ts";
import { configureLogging, flushLogs, logger } from "./observability/log.ts";
import { createApp } from "./server/app.ts";
import { createHandler } from "./server/handler.ts";
import { describeKv, openKv } from "./store/kv.ts";
import { watchFile } from "./util/watch_file.ts";
import { DEFAULT_OAUTH_PROVIDER } from "./auth/oauth_login.ts";
import { VERSION } from "./version.ts";
import { closeIdleConnections } from "./upstream/http1/pool.ts";

/** Options for {@link startGateway}. */
export interface StartOptions {
  /** The loaded config. */
  config: Config;
  /** The config file to watch for edits (hot reload). */
  configFile?: string;
  /** How to reload it (same flags and env as at start). */
  loadOptions?: LoadOptions;
  /** An open KV to use instead of the configured one (tests; it is not closed on shutdown). */
  kv?: Deno.Kv;
  /** Install SIGINT/SIGTERM handlers (the CLI does; tests do not). */
  handleSignals?: boolean;
}

/** A running gateway. */
export interface RunningGateway {
  /** The runtime (pools, state, usage). */
  gateway: Gateway;
  /** Base URL clients use, e.g. http://127.0.0.1:8082. */
  url: string;
  /** The bound port. */
  port: number;
  /** Stops accepting, waits for open requests (bounded), flushes state, closes KV. */
  shutdown(): Promise<void>;
  /** Resolves when the gateway has fully stopped. */
  finished: Promise<void>;
}

/** A problem that keeps the gateway from starting. */
export class StartupError extends Error {
  /** Error name shown in stack traces and logs. */
  override name = "StartupError";
}

/** True for loopback host names and addresses. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h);
}

function isWildcard(host: string): boolean {
  return host === "0.0.0.0" || host === "::" || host === "[::]";
}

async function resolveHost(host: string): Promise<string[]> {
  const h = host.replace(/^\[|\]$/g, "");
  if (/^[\d.]+$/.test(h) || h.includes(":")) return [h];
  if (h === "localhost") return ["127.0.0.1", "::1"];
  try {
    const [a, aaaa] = await Promise.all([
      Deno.resolveDns(h, "A", { signal: AbortSignal.timeout(1500) }).catch(() => [] as string[]),
      Deno.resolveDns(h, "AAAA", { signal: AbortSignal.timeout(1500) }).catch(() => [] as string[]),
    ]);
    return [...a, ...aaaa];
  } catch {
    return [];
  }
}

/**
 * Names the providers whose base URL reaches this gateway's own listen address — a loop that
 * would turn every request into an endless chain of requests to itself.
 */
export async function selfLoops(config: Config, host: string, port: number): Promise<string[]> {
  const local = new Set<string>();
  if (isWildcard(host)) {
    try {
      for (const i of Deno.networkInterfaces()) local.add(i.address);
    } catch { /* not permitted: loopback only */ }
    local.add("127.0.0.1").add("::1");
  } else {
    for (const ip of await resolveHost(host)) local.add(ip);
  }
  const loops: string[] = [];
  for (const p of config.providers) {
    if (!p.baseUrl) continue;
    const url = new URL(p.baseUrl);
    const upstreamPort = Number(url.port || (url.protocol === "https:" ? 443 : 80));
    if (upstreamPort !== port) continue;
    const ips = await resolveHost(url.hostname);
    const loopsBack = ips.some((ip) =>
      local.has(ip) || (isWildcard(host) && isLoopback(ip)) ||
      (isLoopback(ip) && isLoopback(host))
    );
    if (loopsBack) loops.push(`${p.name} (${p.baseUrl})`);
  }
  return loops;
}

/** Starts the gateway and resolves once it is listening. */
export async function startGateway(options: StartOptions): Promise<RunningGateway> {
  const config = options.config;
  configureLogging(config.logging);
  const { host, port } = config.server;
  if (!isLoopback(host) && config.auth.clientKeys.length === 0) {
    throw new StartupError(
      `refusing to listen on ${host} without client auth: set PROXY_API_KEY (or auth.clientKeys), or bind 127.0.0.1`,
    );
  }
  if (port !== 0) {
    const loops = await selfLoops(config, host, port);
    if (loops.length) {
      throw new StartupError(`upstream points at this gateway itself: ${loops.join(", ")}`);
    }
  }

  const ownKv = !options.kv;
  const kv = options.kv ?? await openKv(config.kv);
  const gateway = new Gateway(config, kv);
  await gateway.start();
  const app = createApp(gateway);

  let resolveListen!: (addr: Deno.NetAddr) => void;
  const listening = new Promise<Deno.NetAddr>((r) => (resolveListen = r));
  const server = Deno.serve({
    hostname: host,
    port,
    onListen: (addr) => resolveListen(addr as Deno.NetAddr),
    onError: (error) => {
      logger.error("request failed", { error: (error as Error).message });
      return new Response(
        JSON.stringify({
          type: "error",
          error: { type: "api_error", message: "internal gateway error" },
        }),
        {
          status: 500,
          headers: { "content-type": "application/json" },
        },
      );
    },
  }, createHandler(gateway, app));
  const addr = await listening;
  const shownHost = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
  const url = `http://${shownHost}:${addr.port}`;

  if (port === 0) {
    const loops = await selfLoops(config, host, addr.port);
    if (loops.length) {
      await server.shutdown();
      await gateway.stop();
      closeIdleConnections();
      if (ownKv) kv.close();
      throw new StartupError(`upstream points at this gateway itself: ${loops.join(", ")}`);
    }
  }

  if (options.handleSignals) {
    // Deno.cron's finest schedule is one minute; the handler is a plain method tests call directly.
    Deno.cron("ccgate-oauth-refresh", "* * * * *", async () => {
      await gateway.refreshExpiring();
    });
  }
  // Seed 000's accounts.json: imported at start, and followed for edits unless hot reload is off.
  let accountsWatcher: { close(): void } | undefined;
  const accountsFile = config.oauth.accountsFile;
  if (accountsFile && gateway.oauthStore) {
    // Imported only when an accounts file is configured (idle memory).
    const { syncAccountsFile, watchAccountsFile } = await import("./auth/accounts_file_watch.ts");
    if (config.oauth.hotReload) {
      accountsWatcher = watchAccountsFile(accountsFile, gateway.oauthStore, {
        provider: DEFAULT_OAUTH_PROVIDER,
      });
    } else {
      await syncAccountsFile(accountsFile, gateway.oauthStore, DEFAULT_OAUTH_PROVIDER).catch((
        error,
      ) =>
        logger.error("cannot import accounts file", {
          file: accountsFile,
          error: (error as Error).message,
        })
      );
    }
  }
  // Tokens that expired while the gateway was down are refreshed now, not on first use.
  gateway.refreshExpiring().catch(() => {});

  const watcher = options.configFile
    ? watchConfig(gateway, options.configFile, options.loadOptions ?? {})
    : undefined;

  let stopping: Promise<void> | undefined;
  const shutdown = () =>
    stopping ??= (async () => {
      logger.info("shutting down", { grace_ms: config.server.shutdownTimeoutMs });
      watcher?.close();
      accountsWatcher?.close();
      const timeout = new Promise<"timeout">((r) =>
        setTimeout(() => r("timeout"), gateway.config.server.shutdownTimeoutMs)
      );
      const result = await Promise.race([server.shutdown().then(() => "done" as const), timeout]);
      if (result === "timeout") logger.warn("open streams did not finish in time; closing them");
      await gateway.stop();
      closeIdleConnections();
      if (ownKv) kv.close();
      logger.info("stopped");
      flushLogs();
    })();

  if (options.handleSignals) {
    const onSignal = () => shutdown().then(() => Deno.exit(0));
    Deno.addSignalListener("SIGINT", onSignal);
    if (Deno.build.os !== "windows") Deno.addSignalListener("SIGTERM", onSignal);
  }

  const summary = gateway.accounts().length;
  logger.info("ccgate listening", {
    url,
    version: VERSION,
    providers: [...gateway.generation.providers.keys()].join(",") || "none",
    accounts: summary,
    kv: describeKv(config.kv),
    client_auth: config.auth.clientKeys.length > 0,
  });
  if (summary === 0) logger.warn("no upstream accounts configured: GET / explains how to add one");

  return {
    gateway,
    url,
    port: addr.port,
    shutdown,
    finished: server.finished.then(() => stopping),
  };
}

/** Reloads the config when its file changes, keeping the old config on errors. */
function watchConfig(gateway: Gateway, file: string, loadOptions: LoadOptions): { close(): void } {
  let reloading = Promise.resolve();
  const reload = async () => {
    try {
      const { config } = await loadConfig({ ...loadOptions, file });
      gateway.reload(config);
      configureLogging(config.logging);
      logger.info("config reloaded", { file, providers: config.providers.length });
    } catch (error) {
      logger.error("config reload failed; keeping the running config", {
        file,
        error: (error as Error).message,
      });
    }
  };
  // Reloads run one after another, so a slow one never overwrites a newer config.
  return watchFile(file, "config file", 150, () => (reloading = reloading.then(reload)));
}
