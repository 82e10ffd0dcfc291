/**
 * Builds self-contained ccgate binaries with `deno compile`, one per platform, into dist/.
 *
 *   deno task compile                 # this machine's platform
 *   deno task compile --all           # every release target
 *   deno task compile --target aarch64-apple-darwin
 *
 * The binaries run the bundle `deno task start` runs (scripts/bundle.ts): a few files instead of
 * ~250 modules, which is less memory in every process. `deno compile` downloads the runtime for
 * each target on first use (dl.deno.land), so this runs in the release workflow, not in CI.
 * @module
 */
import { parseArgs } from "node:util";
import { VERSION } from "../src/version.ts";
import { bundle, BUNDLE_DIR } from "./bundle.ts";
import { v8FlagsArg } from "./v8_flags.ts";
import denoConfig from "../deno.json" with { type: "json" };

/** Release targets (deno compile --target values). */
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
] as const;

/**
 * The compile arguments for one target, of the bundle in `bundleDir` (exported so a test can
 * check them without compiling).
 */
export function compileArgs(target: string, outDir = "dist", bundleDir = BUNDLE_DIR): string[] {
  const exe = target.includes("windows") ? ".exe" : "";
  return [
    "compile",
    "--allow-all",
    // Unstable APIs are fixed at compile time (KV for state, cron for token refresh): the same
    // list as deno.json, so `deno task start` and the binary cannot drift apart.
    ...denoConfig.unstable.map((feature) => `--unstable-${feature}`),
    // Without it the whole lockfile's npm snapshot is embedded, the test-only SDKs and
    // tokenizer included (76 MB). The bundle already holds the packages the gateway uses.
    "--exclude-unused-npm",
    // Embedded in the binary: the same V8 flags as `deno task start`.
    v8FlagsArg(),
    "--target",
    target,
    "--output",
    `${outDir}/ccgate-${target}${exe}`,
    // Its dynamic-import chunks are found from it and embedded too.
    `${bundleDir}/main.js`,
  ];
}

function hostTarget(): string {
  const arch = Deno.build.arch;
  switch (Deno.build.os) {
    case "darwin":
      return `${arch}-apple-darwin`;
    case "windows":
      return `${arch}-pc-windows-msvc`;
    default:
      return `${arch}-unknown-linux-gnu`;
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      all: { type: "boolean" },
      target: { type: "string", multiple: true },
      out: { type: "string" },
    },
  });
  const targets = values.all ? [...TARGETS] : values.target ?? [hostTarget()];
  await bundle(BUNDLE_DIR);
  for (const target of targets) {
    const args = compileArgs(target, values.out ?? "dist");
    console.log(`ccgate ${VERSION}: deno ${args.join(" ")}`);
    const { code } = await new Deno.Command(Deno.execPath(), {
      args,
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (code !== 0) Deno.exit(code);
  }
}
