/**
 * `ccgate status`: asks the running gateway for its status and prints it as tables.
 * @module
 */
import { renderTable, shortDuration } from "../observability/table.ts";
import { CliError, CONFIG_FLAGS, loadForCli, parseFlags } from "./args.ts";

/** Help text. */
export const STATUS_HELP = `ccgate status — show the running gateway's pools and accounts

Usage: ccgate status [--url URL] [--json]

  --url URL   the gateway (default http://127.0.0.1:<port from config/env>)
  --json      print the raw JSON of /status and /status/accounts
The admin key (or a client key when no admin key is set) is read from CCGATE_ADMIN_KEY or
PROXY_API_KEY.
`;

/** The base URL of the local gateway from config. */
export function localGatewayUrl(host: string, port: number): string {
  const h = host === "0.0.0.0" || host === "::"
    ? "127.0.0.1"
    : host.includes(":")
    ? `[${host}]`
    : host;
  return `http://${h}:${port}`;
}

/** A quota window's utilisation as a percentage, "-" when unknown or past its reset. */
function windowPercent(quota: any, window: string): string {
  const w = quota?.windows?.[window];
  return w && !w.stale && typeof w.utilization === "number"
    ? `${Math.round(w.utilization * 100)}%`
    : "-";
}

/** Runs `status`. */
export async function statusCommand(args: string[]): Promise<void> {
  const { values } = parseFlags(args, {
    ...CONFIG_FLAGS,
    url: { type: "string" },
    json: { type: "boolean" },
  }, false);
  if (values.help) {
    console.log(STATUS_HELP);
    return;
  }
  const { config } = await loadForCli({ file: values.config });
  const url = (values.url ?? localGatewayUrl(config.server.host, config.server.port)).replace(
    /\/+$/,
    "",
  );
  const key = config.auth.adminKey ?? config.auth.clientKeys[0];
  const headers: Record<string, string> = key ? { "x-api-key": key } : {};
  const get = async (path: string) => {
    let res: Response;
    try {
      res = await fetch(url + path, { headers, signal: AbortSignal.timeout(5000) });
    } catch (error) {
      throw new CliError(
        `cannot reach the gateway at ${url}: ${
          (error as Error).message
        } (is \`ccgate serve\` running?)`,
      );
    }
    if (!res.ok) {
      throw new CliError(
        `${url}${path} answered ${res.status}: ${(await res.text()).slice(0, 200)}`,
      );
    }
    return await res.json();
  };
  const [status, accounts] = await Promise.all([get("/status"), get("/status/accounts")]);
  if (values.json) {
    console.log(JSON.stringify({ status, accounts: accounts.accounts }, null, 2));
    return;
  }
  const t = status.totals;
  console.log(
    `ccgate ${status.version} at ${url}: ${status.status}, up ${shortDuration(status.uptime_s)}`,
  );
  console.log(
    `accounts ${t.accounts}: ${t.available} available, ${t.rate_limited} rate limited, ${t.auth_error} auth error, ${t.disabled} disabled, ${t.circuit_open} circuit open\n`,
  );
  if (status.providers.length) {
    console.log(renderTable(
      ["PROVIDER", "TYPE", "STRATEGY", "ACCOUNTS", "AVAILABLE", "NEXT"],
      status.providers.map((p: Record<string, unknown>) => [
        String(p.name),
        String(p.type),
        String(p.strategy),
        Number(p.accounts),
        Number(p.available),
        String(p.next_account ?? "-"),
      ]),
    ));
  }
  if (accounts.accounts.length) {
    console.log(
      renderTable(
        ["ACCOUNT", "STATUS", "KEY", "5H", "7D", "COOLDOWN", "REQUESTS", "IN", "OUT", "ERROR"],
        accounts.accounts.map((a: Record<string, any>) => [
          a.id,
          a.status,
          a.key,
          windowPercent(a.quota, "5h"),
          windowPercent(a.quota, "7d"),
          a.cooldowns.length
            ? a.cooldowns.map((c: any) => `${c.model} ${shortDuration(c.seconds_left)}`).join(", ")
            : "-",
          a.usage.requests,
          a.usage.input_tokens,
          a.usage.output_tokens,
          a.auth_error ? String(a.auth_error).slice(0, 40) : "-",
        ]),
      ).trimEnd(),
    );
  }
}
