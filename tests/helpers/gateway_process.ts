/**
 * A gateway in its own process, run as `deno task start` runs it (the bundle of
 * scripts/bundle.ts), for tests of two processes sharing one KV file and of the bundle itself.
 * @module
 */
import { resolve } from "node:path";
import { bundle, REPO_ROOT } from "../../scripts/bundle.ts";
import { childEnv } from "./child_env.ts";
import { closedPort } from "./fake_upstream.ts";

let bundled: Promise<string> | undefined;

/** The entry of this checkout's bundle, built once per test module into a temporary directory. */
export function bundledEntry(): Promise<string> {
  return bundled ??= Deno.makeTempDir({ prefix: "ccgate-bundle-" }).then((dir) => {
    globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
    return bundle(dir);
  });
}

/** `deno run` arguments before the gateway's own: the permissions and the repository's deno.json. */
export async function runBundleArgs(): Promise<string[]> {
  return ["run", "-A", "--config", resolve(REPO_ROOT, "deno.json"), await bundledEntry()];
}

/** A running gateway process. */
export interface GatewayProcess {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** Stops it with SIGTERM (once); its exit code and everything it wrote to stderr. */
  stop(): Promise<{ code: number; stderr: string }>;
}

/**
 * Starts the bundled gateway's `serve` with `config` on `kvPath` and waits until `/health`
 * answers; `env` is added to a clean child environment.
 */
export async function startGatewayProcess(
  config: Record<string, unknown>,
  kvPath: string,
  env: Record<string, string> = {},
): Promise<GatewayProcess> {
  const dir = await Deno.makeTempDir({ prefix: "ccgate-process-" });
  await Deno.writeTextFile(`${dir}/ccgate.json`, JSON.stringify(config));
  const port = closedPort();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      ...await runBundleArgs(),
      "serve",
      "--port",
      String(port),
      "--config",
      `${dir}/ccgate.json`,
      "--kv",
      kvPath,
    ],
    env: childEnv(dir, env),
    clearEnv: true,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  // Read all along, so a chatty child never blocks on a full pipe.
  const stderr = new Response(child.stderr).text();
  let stopped: Promise<{ code: number; stderr: string }> | undefined;
  const stop = () =>
    stopped ??= (async () => {
      try {
        child.kill("SIGTERM");
      } catch { /* already exited */ }
      const { code } = await child.status;
      return { code, stderr: await stderr };
    })();
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      const res = await fetch(`${url}/health`);
      await res.body?.cancel();
      if (res.ok) return { url, stop };
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  const { stderr: log } = await stop();
  throw new Error(`gateway process at ${url} did not come up: ${log.slice(0, 500)}`);
}
