/**
 * Shared CLI plumbing: flag parsing with `node:util` parseArgs, config loading from the common
 * flags, and uniform error exits.
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { ConfigError, loadConfig, type LoadedConfig, type LoadOptions } from "../config/load.ts";

/** Flags every command that reads config accepts. */
export const CONFIG_FLAGS = {
  config: { type: "string", short: "c" },
  kv: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const satisfies ParseArgsConfig["options"];

/** An error the CLI prints as one line (no stack) before exiting with `code`. */
export class CliError extends Error {
  /**
   * Creates an error that exits the process with `code` (1 by default).
   * @param code Exit code.
   */
  constructor(message: string, readonly code = 1) {
    super(message);
  }
}

/** Parses `args` against `options`; unknown flags are an error naming the flag. */
export function parseFlags<T extends NonNullable<ParseArgsConfig["options"]>>(
  args: string[],
  options: T,
  allowPositionals = true,
): ReturnType<
  typeof parseArgs<{ args: string[]; options: T; allowPositionals: boolean; strict: true }>
> {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (error) {
    // node's messages can span lines; the CLI prints errors as one line.
    throw new CliError(`${(error as Error).message.replace(/\s*\n\s*/g, " ")} (see --help)`, 2);
  }
}

/** Builds the config overlay for `--kv`. */
export function kvFlag(kv: string | undefined): Record<string, unknown> {
  if (!kv) return {};
  return { kv: /^https?:\/\//.test(kv) ? { url: kv } : { path: kv } };
}

/** Loads config for a command; config errors become a clean CLI error. */
export async function loadForCli(
  options: LoadOptions,
): Promise<LoadedConfig & { options: LoadOptions }> {
  try {
    return { ...await loadConfig(options), options };
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message, 1);
    throw error;
  }
}
