/**
 * `ccgate config check|schema`.
 * @module
 */
import { configJsonSchema } from "../config/schema.ts";
import { CONFIG_FLAGS, kvFlag, loadForCli, parseFlags } from "./args.ts";
import { CliError } from "./args.ts";
import { PRESETS } from "../providers/anthropic_compatible/presets.ts";
import { openAISettings } from "../providers/openai_compatible/presets.ts";

/** Help text. */
export const CONFIG_HELP = `ccgate config — check or describe the configuration

Usage:
  ccgate config check [--config FILE]   validate file + environment; print what would run
  ccgate config schema                  print the JSON Schema of the config file
`;

/** Runs `config`. */
export async function configCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseFlags(args, { ...CONFIG_FLAGS, json: { type: "boolean" } });
  const [sub] = positionals;
  if (values.help || !sub) {
    console.log(CONFIG_HELP);
    if (!sub && !values.help) throw new CliError("missing subcommand", 2);
    return;
  }
  if (sub === "schema") {
    console.log(JSON.stringify(await configJsonSchema(), null, 2));
    return;
  }
  if (sub !== "check") throw new CliError(`unknown subcommand "config ${sub}"`, 2);
  const { config, file } = await loadForCli({ file: values.config, flags: kvFlag(values.kv) });
  const lines = [
    `config OK (${file ?? "no file: environment and defaults"})`,
    `listen: ${config.server.host}:${config.server.port}  client auth: ${
      config.auth.clientKeys.length ? "on" : "off"
    }`,
  ];
  for (const p of config.providers) {
    const base = p.type === "openai-compatible" ? openAISettings(p).baseUrl : p.baseUrl ??
      (p.preset && p.preset in PRESETS
        ? PRESETS[p.preset as keyof typeof PRESETS].baseUrl
        : "https://api.anthropic.com");
    lines.push(
      `provider ${p.name}: ${p.type}${
        p.preset ? ` (${p.preset})` : ""
      } ${base}, ${p.accounts.length} account(s), ${p.strategy}`,
    );
  }
  if (!config.providers.length) {
    lines.push("no providers in config or environment (accounts may still be stored in KV)");
  }
  for (const r of config.routes) {
    const chain = r.chain.map((
      t,
    ) => (typeof t === "string" ? t : `${t.provider}${t.model ? `:${t.model}` : ""}`));
    lines.push(`route ${[r.match].flat().join("|")} → ${chain.join(" → ")}`);
  }
  console.log(lines.join("\n"));
}
