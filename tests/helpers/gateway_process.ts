/**
 * A second gateway in its own `deno run main.ts serve` process, for tests of two processes
 * sharing one KV file.
 * @module
 */
import { childEnv } from "./child_env.ts";
import { closedPort } from "./fake_upstream.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** A running gateway process. */
export interface GatewayProcess {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** Stops it with SIGTERM (once); its exit code and everything it wrote to stderr. */
  stop(): Promise<{ code: number; stderr: string }>;
}

/**
 * Starts `main.ts serve` with `config` on `kvPath` and waits until `/health` answers; `env` is
 * added to a clean child environment.
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
      "run",
      "-A",
      MAIN,
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
