/**
 * The `ccgate` command line.
 * @module
 */
import { flushLogs } from "../observability/log.ts";
import { VERSION } from "../version.ts";
import { CliError } from "./args.ts";
import { serveCommand } from "./serve_cmd.ts";

/** Top-level help. */
export const MAIN_HELP = `ccgate ${VERSION} — one endpoint for all your Claude Code accounts

Usage: ccgate <command> [options]

Commands:
  serve        run the gateway (default when no command is given)
  accounts     list, add, import, remove, enable, disable, verify and refresh accounts
  login        add a Claude Pro/Max subscription account (ccgate login claude)
  status       show the running gateway's pools and accounts
  config       check the configuration or print its JSON Schema
  code         run Claude Code through the gateway

Options:
  -h, --help     help (also after any command: ccgate accounts --help)
  -V, --version  print the version

Quick start:
  ANTHROPIC_API_KEY=sk-ant-…,sk-ant-… ccgate serve
  ANTHROPIC_BASE_URL=http://127.0.0.1:8082 claude     (or: ccgate code)
  ccgate login claude                                 (a Claude Pro/Max subscription)
`;

// The other commands' modules are imported when that command runs (string literals, so
// `deno compile` still bundles them): a gateway does not load the code of accounts, login,
// status, code and config. `serve` itself is imported statically: importing it dynamically
// costs ~1 MB more idle memory than it saves.

/** Runs the CLI with `args`; returns the exit code. */
export async function runCli(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  try {
    switch (command) {
      case undefined:
        await serveCommand([]);
        return 0;
      case "-h":
      case "--help":
      case "help":
        console.log(MAIN_HELP);
        return 0;
      case "-V":
      case "--version":
      case "version":
        console.log(`ccgate ${VERSION}`);
        return 0;
      case "serve":
        await serveCommand(rest);
        return 0;
      case "accounts":
        await (await import("./accounts_cmd.ts")).accountsCommand(rest);
        return 0;
      case "login":
        await (await import("./login_cmd.ts")).loginCommand(rest);
        return 0;
      case "config":
        await (await import("./config_cmd.ts")).configCommand(rest);
        return 0;
      case "status":
        await (await import("./status_cmd.ts")).statusCommand(rest);
        return 0;
      case "code":
        return await (await import("./code_cmd.ts")).codeCommand(rest);
      default:
        throw new CliError(`unknown command "${command}" (see ccgate --help)`, 2);
    }
  } catch (error) {
    flushLogs();
    if (error instanceof CliError) {
      console.error(`ccgate: ${error.message}`);
      return error.code;
    }
    console.error(`ccgate: unexpected error: ${(error as Error).message}`);
    return 1;
  } finally {
    flushLogs();
  }
}
