/**
 * `ccgate code`: starts Claude Code pointed at the running gateway, with the client key and
 * nonessential traffic off — without that, Claude Code also sends the key to Anthropic's own
 * hosts (bootstrap, feature flags), which a gateway key must never reach.
 * @module
 */
import { CliError, loadForCli } from "./args.ts";
import { localGatewayUrl } from "./status_cmd.ts";

/** Help text. */
export const CODE_HELP = `ccgate code — run Claude Code through the gateway

Usage: ccgate code [claude arguments…]

Runs \`claude\` with ANTHROPIC_BASE_URL set to the gateway (CCGATE_URL or the configured
host/port), ANTHROPIC_API_KEY set to the client key (PROXY_API_KEY / auth.clientKeys, or a
placeholder when the gateway has no client auth), and CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1.
Every argument is passed to claude unchanged (ccgate code -p "hello").
Set CCGATE_CLAUDE_BIN to use another claude binary.
`;

/** The environment `claude` gets. */
export function claudeEnv(
  base: Record<string, string>,
  url: string,
  key: string | undefined,
): Record<string, string> {
  const env = { ...base };
  delete env.ANTHROPIC_AUTH_TOKEN;
  delete env.CLAUDE_CODE_OAUTH_TOKEN;
  env.ANTHROPIC_BASE_URL = url;
  env.ANTHROPIC_API_KEY = key ?? "ccgate-no-client-auth";
  env.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC = "1";
  return env;
}

/** Runs `code`; returns claude's exit code. */
export async function codeCommand(args: string[]): Promise<number> {
  if (args[0] === "--help" || args[0] === "-h") {
    console.log(CODE_HELP);
    return 0;
  }
  const { config } = await loadForCli({});
  const url = Deno.env.get("CCGATE_URL") ?? localGatewayUrl(config.server.host, config.server.port);
  // Only a ccgate health answer counts: anything else on that port must not get the client key.
  let healthy = false;
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(3000) });
    const body = await res.json().catch(() => undefined);
    healthy = res.ok && body?.status === "ok";
  } catch {
    healthy = false;
  }
  if (!healthy) {
    throw new CliError(`no gateway answers at ${url}: start it first with \`ccgate serve\``);
  }
  const bin = Deno.env.get("CCGATE_CLAUDE_BIN") ?? "claude";
  const env = claudeEnv(Deno.env.toObject(), url, config.auth.clientKeys[0]);
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(bin, {
      args,
      env,
      clearEnv: true,
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new CliError(`cannot find \`${bin}\`: install Claude Code or set CCGATE_CLAUDE_BIN`);
    }
    throw error;
  }
  return (await child.status).code;
}
