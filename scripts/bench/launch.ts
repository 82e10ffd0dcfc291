/**
 * Starting the benchmark's fake upstream, pass-through and ccgate builds, shared by
 * `deno task bench` and `deno task bench:compare`: the realistic gateway config (four upstream keys, client auth),
 * the core each process is pinned to, and the processes themselves.
 * @module
 */
import { join } from "node:path";
import { bundle } from "../bundle.ts";
import { v8FlagsArg } from "../v8_flags.ts";
import { repoRoot } from "./bodies.ts";
import { childEnv, freePort, type Pinning, Service, waitForHttp } from "./processes.ts";

/** The key clients send to the gateway. */
export const CLIENT_KEY = "ccgate-bench-client-key-0001";
/** Upstream keys of the pool (the fake upstream accepts anything). */
export const UPSTREAM_KEYS = [1, 2, 3, 4].map((i) => `sk-ant-bench-${String(i).padStart(40, "0")}`);
/** Core of the gateway and the pass-through. */
export const GATEWAY_CPU = 0;
/** Core of the fake upstream and the load tools. */
export const LOAD_CPU = 1;

/** A started process and its base URL. */
export interface Proc {
  /** The process. */
  service: Service;
  /** `http://127.0.0.1:PORT`. */
  url: string;
}

/** Which pool the gateway gets: Anthropic keys, or an openai-compatible provider (translation). */
export type GatewayKind = "anthropic" | "openai";

/** The gateway's config for the benchmark. */
export function gatewayConfig(
  kind: GatewayKind,
  upstreamUrl: string,
  port: number,
  clientAuth: boolean,
): Record<string, unknown> {
  const accounts = UPSTREAM_KEYS.map((apiKey, i) => ({ name: `key-${i + 1}`, apiKey }));
  const provider = kind === "anthropic"
    ? { name: "anthropic", type: "anthropic", baseUrl: upstreamUrl, accounts }
    : {
      name: "openai",
      type: "openai-compatible",
      baseUrl: `${upstreamUrl}/v1`,
      accounts,
      models: { "*": "gpt-bench" },
    };
  return {
    server: { host: "127.0.0.1", port },
    auth: { clientKeys: clientAuth ? [CLIENT_KEY] : [] },
    providers: [provider],
  };
}

/** Starts one of the benchmark's own scripts (scripts/bench/NAME) with `--port` and `args`. */
async function startScript(
  name: string,
  script: string,
  args: string[],
  cpu: number,
  pinning: Pinning,
  logFile: string,
): Promise<Proc> {
  const port = freePort();
  const service = Service.start({
    name,
    cmd: [
      Deno.execPath(),
      "run",
      "-A",
      join(repoRoot(), "scripts", "bench", script),
      "--port",
      String(port),
      ...args,
    ],
    cpu,
    pinning,
    env: childEnv(),
    logFile,
  });
  const url = `http://127.0.0.1:${port}`;
  await healthyOrStopped(service, `${url}/health`, 30_000);
  return { service, url };
}

/** Starts the fake upstream on the load core; `args` are extra flags of the fake. */
export function startFakeUpstream(
  pinning: Pinning,
  logFile: string,
  args: string[] = [],
): Promise<Proc> {
  return startScript("fake upstream", "fake_upstream_server.ts", args, LOAD_CPU, pinning, logFile);
}

/** Starts the minimal Deno pass-through to `upstreamUrl` on the gateway core. */
export function startPassthrough(
  pinning: Pinning,
  upstreamUrl: string,
  logFile: string,
): Promise<Proc> {
  return startScript(
    "pass-through",
    "passthrough.ts",
    ["--upstream", upstreamUrl],
    GATEWAY_CPU,
    pinning,
    logFile,
  );
}

/** Options of {@link startCcgate}. */
export interface CcgateLaunch {
  /** Shown in errors, e.g. `ccgate (anthropic)`. */
  name: string;
  /** The checkout to run (its main.ts). */
  gatewayDir: string;
  /** The pool. */
  kind: GatewayKind;
  /** The fake upstream's URL. */
  upstreamUrl: string;
  /** Whether clients must send {@link CLIENT_KEY}. */
  clientAuth: boolean;
  /** Where the config and KV directory are created. */
  tmp: string;
  /** Pinning. */
  pinning: Pinning;
  /** Extra `deno run` flags. */
  denoFlags: string[];
  /** `--log-level`, when not the default. */
  logLevel?: string;
  /** Run main.ts's module graph instead of the bundle `deno task start` runs (default false). */
  fromSource?: boolean;
  /** The process's output; outside the config's directory, so log writes do not wake the config watcher. */
  logFile: string;
}

const bundles = new Map<string, Promise<string>>();

/**
 * The entry of `gatewayDir`'s bundle in `tmp`, built and primed at its first start: restarts and
 * a second instance of the same checkout in one run reuse it.
 */
function bundleOnce(tmp: string, gatewayDir: string): Promise<string> {
  const key = `${tmp}\n${gatewayDir}`;
  let entry = bundles.get(key);
  if (!entry) {
    entry = bundle(join(tmp, `bundle-${bundles.size + 1}`), gatewayDir);
    bundles.set(key, entry);
  }
  return entry;
}

/** Starts one ccgate build on the gateway core with the benchmark config and a fresh KV. */
export async function startCcgate(launch: CcgateLaunch): Promise<Proc> {
  const port = freePort();
  const dir = await Deno.makeTempDir({ dir: launch.tmp, prefix: `ccgate-${launch.kind}-` });
  const configFile = join(dir, "config.json");
  await Deno.mkdir(join(dir, "kv"));
  await Deno.writeTextFile(
    configFile,
    JSON.stringify(
      gatewayConfig(launch.kind, launch.upstreamUrl, port, launch.clientAuth),
      null,
      2,
    ),
  );
  // What `deno task start` runs: the checkout bundled (scripts/bundle.ts), with its deno.json.
  const entry = launch.fromSource
    ? join(launch.gatewayDir, "main.ts")
    : await bundleOnce(launch.tmp, launch.gatewayDir);
  const cmd = [
    Deno.execPath(),
    "run",
    "-A",
    "--config",
    join(launch.gatewayDir, "deno.json"),
    // The V8 flags `deno task start` and the binaries run with (more --v8-flags add to them).
    v8FlagsArg(),
    ...launch.denoFlags,
    entry,
    "serve",
    "--config",
    configFile,
    "--kv",
    join(dir, "kv", "state.kv"),
    "--port",
    String(port),
  ];
  if (launch.logLevel) cmd.push("--log-level", launch.logLevel);
  const service = Service.start({
    name: launch.name,
    cmd,
    cpu: GATEWAY_CPU,
    pinning: launch.pinning,
    cwd: launch.gatewayDir,
    env: childEnv(),
    logFile: launch.logFile,
  });
  const url = `http://127.0.0.1:${port}`;
  await healthyOrStopped(service, `${url}/health`, 60_000);
  return { service, url };
}

/** Waits for `url`; a process that never answers is stopped, not left behind. */
async function healthyOrStopped(service: Service, url: string, timeoutMs: number): Promise<void> {
  try {
    await waitForHttp(service, url, timeoutMs);
  } catch (error) {
    await service.stop();
    throw error;
  }
}
