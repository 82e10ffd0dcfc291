/**
 * `ccgate accounts …`: API-key accounts stored in KV, their state, and credential checks;
 * the subscription (OAuth) subcommands live in oauth_cli.ts.
 * Changes made here reach a running gateway through the shared KV within its sync interval.
 * @module
 */
import { Gateway } from "../gateway.ts";
import { renderTable, shortDuration } from "../observability/table.ts";
import type { StoredAccount } from "../providers/registry.ts";
import { PRESETS } from "../providers/anthropic_compatible/presets.ts";
import { storedAccountKey } from "../store/keys.ts";
import { openKv, withKvRetry } from "../store/kv.ts";
import { maskSecret } from "../util/secret.ts";
import { CliError, CONFIG_FLAGS, kvFlag, loadForCli, parseFlags } from "./args.ts";
import { importAccounts, refreshAccount, removeOAuthAccount } from "./oauth_cli.ts";

/** OpenAI-compatible presets usable as a provider name without a config entry. */
const IMPLICIT_OPENAI = ["openai", "openrouter", "ollama", "gemini", "modelscope"];

/** Help text. */
export const ACCOUNTS_HELP = `ccgate accounts — manage upstream accounts

Usage:
  ccgate accounts list                       accounts from config, environment and KV, with state
  ccgate accounts add --provider P --name N --key KEY|-   store an API-key account in KV
  ccgate accounts import [PATH…] [--name N]  import Claude subscription logins: Claude Code's
                                             ~/.claude/.credentials.json (default) or an
                                             accounts.json {"accounts": {name: {...}}}
  ccgate accounts remove NAME [--provider P] remove a stored account (API key or subscription)
  ccgate accounts enable NAME                clear auth error, cooldowns and circuit; serve again
  ccgate accounts disable NAME               stop using an account (kept, shown as disabled)
  ccgate accounts verify [NAME]              check credentials against their upstreams
  ccgate accounts refresh NAME [--url URL]   make the running gateway refresh a subscription
                                             account's token now

Subscription accounts: \`ccgate login claude\` logs one in; import and login store them
encrypted in KV under provider "claude" (or --provider P, a provider of type claude-oauth).

Options:
  -c, --config FILE    config file;  --kv PATH|URL   state store
      --provider P     anthropic (default; claude for import), a preset (zai, zhipu, kimi, minimax, deepseek:
                       Anthropic-compatible; openai, openrouter, ollama, gemini, modelscope:
                       OpenAI-compatible) or a provider from the config file
      --key KEY        the API key; "-" reads it from standard input (keeps it out of shell history)
      --weight N, --priority N   for the priority strategy
      --json           machine-readable output (list, verify, refresh)
      --url URL        the running gateway for refresh (default from config, like status);
                       the admin key comes from CCGATE_ADMIN_KEY or PROXY_API_KEY

NAME may be "name" or "provider/name".
`;

async function withGateway<T>(
  values: { config?: string; kv?: string },
  fn: (gateway: Gateway, kv: Deno.Kv) => Promise<T>,
): Promise<T> {
  const { config } = await loadForCli({ file: values.config, flags: kvFlag(values.kv) });
  const kv = await openKv(config.kv);
  const gateway = new Gateway(config, kv);
  try {
    await gateway.start(false);
    return await fn(gateway, kv);
  } finally {
    await gateway.sync?.flush();
    kv.close();
  }
}

/** An integer flag at least `min`, or undefined when absent; anything else is a usage error. */
function intFlag(name: string, raw: string | undefined, min: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) {
    throw new CliError(
      `${name}: expected an integer${min > 0 ? ` ≥ ${min}` : ""}, got "${raw}"`,
      2,
    );
  }
  return n;
}

async function readKey(flag: string | undefined): Promise<string> {
  if (flag === undefined) {
    throw new CliError("--key is required (use --key - to read it from standard input)", 2);
  }
  if (flag !== "-") return flag;
  const text = await new Response(Deno.stdin.readable).text();
  const key = text.trim();
  if (!key) throw new CliError("no key on standard input", 2);
  return key;
}

/** Runs `accounts`. */
export async function accountsCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseFlags(args, {
    ...CONFIG_FLAGS,
    provider: { type: "string" },
    name: { type: "string" },
    key: { type: "string" },
    weight: { type: "string" },
    priority: { type: "string" },
    json: { type: "boolean" },
    url: { type: "string" },
  });
  const [sub, ref] = positionals;
  if (values.help || !sub) {
    console.log(ACCOUNTS_HELP);
    if (!sub && !values.help) throw new CliError("missing subcommand", 2);
    return;
  }
  switch (sub) {
    case "list":
      return await withGateway(values, (gateway) => {
        const now = Date.now();
        const rows = gateway.accounts().map((a) => ({
          id: a.id,
          status: a.status(now),
          source: a.spec.source,
          key: a.spec.label ?? maskSecret(a.spec.credential),
          cooldown: Object.values(a.state.cooldowns).filter((c) => c.until > now)
            .map((c) => shortDuration((c.until - now) / 1000)).join(",") || "-",
          requests: gateway.usage.get(a.id).requests,
        }));
        if (values.json) console.log(JSON.stringify(rows, null, 2));
        else if (!rows.length) {
          console.log(
            "No accounts. Add one with: ccgate accounts add --provider anthropic --name NAME --key -",
          );
        } else {
          console.log(
            renderTable(
              ["ACCOUNT", "STATUS", "SOURCE", "KEY", "COOLDOWN", "REQUESTS"],
              rows.map((r) => [r.id, r.status, r.source, r.key, r.cooldown, r.requests]),
            ).trimEnd(),
          );
        }
        return Promise.resolve();
      });
    case "add": {
      const name = values.name ?? ref;
      if (!name) throw new CliError("--name is required", 2);
      if (!/^[A-Za-z0-9][A-Za-z0-9._@-]*$/.test(name)) {
        throw new CliError(`account name "${name}": use letters, digits, '.', '_', '@' and '-'`, 2);
      }
      const provider = values.provider ?? "anthropic";
      const weight = intFlag("--weight", values.weight, 1);
      const priority = intFlag("--priority", values.priority, Number.MIN_SAFE_INTEGER);
      const apiKey = await readKey(values.key);
      return await withGateway(values, async (gateway, kv) => {
        const configured = gateway.config.providers.find((p) => p.name === provider);
        const implicit = provider === "anthropic" || provider in PRESETS ||
          IMPLICIT_OPENAI.includes(provider);
        if (!configured && !implicit) {
          throw new CliError(
            `unknown provider "${provider}": use anthropic, a preset (${
              [...Object.keys(PRESETS), ...IMPLICIT_OPENAI].join(", ")
            }) or a provider from the config`,
            2,
          );
        }
        if (configured?.type === "claude-oauth") {
          throw new CliError(
            `provider "${provider}" holds subscription (OAuth) accounts; API keys cannot be added to it`,
            2,
          );
        }
        const record: StoredAccount = {
          provider,
          name,
          apiKey,
          weight,
          priority,
          addedAt: Date.now(),
        };
        await withKvRetry(() => kv.set(storedAccountKey(provider, name), record));
        console.log(`added ${provider}/${name} (${maskSecret(apiKey)})`);
      });
    }
    case "remove": {
      if (!ref) throw new CliError("which account? ccgate accounts remove NAME", 2);
      return await withGateway(values, async (gateway, kv) => {
        const [p, n] = ref.includes("/") ? ref.split("/", 2) : [values.provider, ref];
        const match = gateway.storedAccounts.filter((s) =>
          s.name === n && (!p || s.provider === p)
        );
        if (match.length === 0) {
          const removed = await removeOAuthAccount(kv, gateway.config.kv, p, n);
          if (removed) return console.log(`removed ${removed}`);
          throw new CliError(
            `no stored account "${ref}" (accounts from config or environment are edited there)`,
          );
        }
        if (match.length > 1) throw new CliError(`"${ref}" is ambiguous: use provider/name`);
        await withKvRetry(() => kv.delete(storedAccountKey(match[0].provider, match[0].name)));
        console.log(`removed ${match[0].provider}/${match[0].name}`);
      });
    }
    case "enable":
    case "disable": {
      if (!ref) throw new CliError(`which account? ccgate accounts ${sub} NAME`, 2);
      return await withGateway(values, async (gateway) => {
        const account = gateway.findAccount(ref);
        if (!account) throw new CliError(`no account "${ref}"`);
        account.setEnabled(sub === "enable");
        await gateway.sync?.flush();
        console.log(`${sub}d ${account.id}`);
      });
    }
    case "verify":
      return await withGateway(values, async (gateway) => {
        const targets = [...gateway.generation.providers.values()].flatMap((p) =>
          p.pool.accounts.filter((a) => !ref || a.id === ref || a.name === ref).map((a) => ({
            p,
            a,
          }))
        );
        if (ref && !targets.length) throw new CliError(`no account "${ref}"`);
        const results = await Promise.all(
          targets.map(async ({ p, a }) => ({ id: a.id, ...(await p.verify(a)) })),
        );
        if (values.json) console.log(JSON.stringify(results, null, 2));
        else {
          console.log(
            renderTable(
              ["ACCOUNT", "RESULT", "STATUS", "DETAIL"],
              results.map((r) => [r.id, r.ok ? "ok" : "FAILED", r.status ?? "-", r.detail]),
            ).trimEnd(),
          );
        }
        if (results.some((r) => !r.ok)) {
          throw new CliError("some credentials failed verification", 1);
        }
      });
    case "import":
      return await importAccounts(values, positionals.slice(1));
    case "refresh":
      if (!ref) throw new CliError("which account? ccgate accounts refresh NAME", 2);
      return await refreshAccount(values, ref);
    default:
      throw new CliError(`unknown subcommand "accounts ${sub}" (see ccgate accounts --help)`, 2);
  }
}
