/**
 * `ccgate serve`: run the gateway.
 * @module
 */
import { logger } from "../observability/log.ts";
import { startGateway, StartupError } from "../serve.ts";
import { CliError, CONFIG_FLAGS, kvFlag, loadForCli, parseFlags } from "./args.ts";

/** Help text. */
export const SERVE_HELP = `ccgate serve — run the gateway

Usage: ccgate serve [--port N] [--host ADDR] [--config FILE] [--kv PATH|URL] [--log-level LEVEL]

  -p, --port N          listen port (env PORT; default 8082)
      --host ADDR       listen address (env HOST; default 127.0.0.1)
  -c, --config FILE     config file (env CCGATE_CONFIG; default ./ccgate.yaml if present)
      --kv PATH|URL     KV file or KV Connect URL (env CCGATE_KV; default: per-user data dir)
      --log-level L     debug | info | warn | error (env LOG_LEVEL)

With no config at all the gateway still starts (local KV, no accounts); GET / tells how to add
accounts. Quick start from the environment: ANTHROPIC_API_KEY=k1,k2 (a pool of keys),
ZAI_API_KEY, PROXY_API_KEY (the key clients must send), BIG_MODEL/MIDDLE_MODEL/SMALL_MODEL.
Precedence: flags > environment > .env > config file > defaults. Edits to the config file apply
without a restart.
`;

/** Runs `serve`. */
export async function serveCommand(args: string[]): Promise<void> {
  const { values } = parseFlags(args, {
    ...CONFIG_FLAGS,
    port: { type: "string", short: "p" },
    host: { type: "string" },
    "log-level": { type: "string" },
  }, false);
  if (values.help) {
    console.log(SERVE_HELP);
    return;
  }
  const server: Record<string, unknown> = {};
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new CliError(`--port: expected 0-65535, got "${values.port}"`, 2);
    }
    server.port = port;
  }
  if (values.host) server.host = values.host;
  const flags: Record<string, unknown> = { ...kvFlag(values.kv) };
  if (Object.keys(server).length) flags.server = server;
  if (values["log-level"]) flags.logging = { level: values["log-level"] };
  const loaded = await loadForCli({ file: values.config, flags });
  try {
    const running = await startGateway({
      config: loaded.config,
      configFile: loaded.file,
      loadOptions: loaded.options,
      handleSignals: true,
    });
    if (loaded.file) logger.info("config loaded", { file: loaded.file });
    await running.finished;
  } catch (error) {
    if (error instanceof StartupError) throw new CliError(error.message, 1);
    if (error instanceof Deno.errors.AddrInUse) {
      throw new CliError(
        `port ${loaded.config.server.port} is already in use (is another ccgate running?)`,
        1,
      );
    }
    throw error;
  }
}
