/**
 * Bundles the gateway into a few JavaScript files (dist/bundle/main.js and its chunks), which
 * `deno task start` and the release binaries run instead of main.ts's ~250 TypeScript modules.
 *
 *   deno task bundle                   # into dist/bundle
 *   deno task bundle --out DIR         # elsewhere (the benchmark and the tests)
 *
 * Why: every module Deno loads costs memory of its own (its source, its module record, the
 * loader's bookkeeping). The bundle idles at ~5 MB less than the module graph it is made of
 * (docs/performance.md, "Session 10") and serves requests at the same speed. Dynamic imports stay
 * separate chunks, so code the gateway only needs on demand (YAML and .env parsing, translation,
 * CLI commands) is still loaded only when used.
 * @module
 */
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (where deno.json and main.ts are). */
export const REPO_ROOT: string = fileURLToPath(new URL("../", import.meta.url));

/** The default output directory, relative to the repository root. */
export const BUNDLE_DIR = "dist/bundle";

/** The `deno bundle` arguments that write the gateway's bundle into `outDir`. */
export function bundleArgs(outDir: string = BUNDLE_DIR, entry = "main.ts"): string[] {
  return [
    "bundle",
    "--quiet",
    "--platform",
    "deno",
    // One chunk per dynamic import, so on-demand modules stay on demand.
    "--code-splitting",
    // ~1 MB less memory at idle. Not `--keep-names`: it renames every closure as it is made,
    // which cost 3–7 % of the requests per second (docs/performance.md, "Session 10").
    "--minify",
    // Maps beside the files, not linked from them: a linked map cost ~1 MB at idle. Stack traces
    // name minified code; `deno run -A main.ts serve` runs the same code from source.
    "--sourcemap",
    "external",
    "--outdir",
    outDir,
    entry,
  ];
}

async function run(args: string[], cwd: string): Promise<Deno.CommandOutput> {
  return await new Deno.Command(Deno.execPath(), { args, cwd, stdout: "null", stderr: "piped" })
    .output();
}

async function readOrEmpty(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return "";
  }
}

/**
 * Bundles the gateway in `root` (a checkout with main.ts and deno.json) into `outDir` (relative
 * to `root`, or absolute) and returns the path of the entry file. Throws with `deno bundle`'s
 * message on failure. Earlier chunks are left in place: a gateway still running from them may yet
 * load one.
 *
 * When the bundle changed, it is loaded once (`--version`) before anyone serves from it: Deno's
 * first run of a new module parses it for its imports and caches what it found, and that parse
 * left ~13 MB of memory behind in the process that did it, for as long as it ran.
 */
export async function bundle(
  outDir: string = BUNDLE_DIR,
  root: string = REPO_ROOT,
): Promise<string> {
  const entry = resolve(root, outDir, "main.js");
  const before = await readOrEmpty(entry);
  const built = await run(bundleArgs(outDir), root);
  if (built.code !== 0) {
    throw new Error(
      `deno bundle failed (exit ${built.code}): ${new TextDecoder().decode(built.stderr)}`,
    );
  }
  if (await readOrEmpty(entry) !== before) {
    const primed = await run(
      ["run", "-A", "--config", resolve(root, "deno.json"), entry, "--version"],
      root,
    );
    if (primed.code !== 0) {
      throw new Error(
        `the bundle does not start (exit ${primed.code}): ${
          new TextDecoder().decode(primed.stderr)
        }`,
      );
    }
  }
  return entry;
}

if (import.meta.main) {
  const { values } = parseArgs({ args: Deno.args, options: { out: { type: "string" } } });
  try {
    await bundle(values.out ?? BUNDLE_DIR, Deno.cwd());
  } catch (error) {
    // `deno task start` stops here; say how to run without a bundle (e.g. a read-only checkout).
    console.error(
      `${
        (error as Error).message
      }\nccgate runs from source without a bundle: deno run -A main.ts serve`,
    );
    Deno.exit(1);
  }
}
