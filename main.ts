/**
 * ccgate: one endpoint for many Claude Code accounts. Entry point of the CLI and the binary.
 * @module
 */
import { runCli } from "./src/cli/main.ts";

if (import.meta.main) {
  Deno.exit(await runCli(Deno.args));
}
