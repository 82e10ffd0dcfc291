/**
 * Child processes of the benchmark: the fake upstream, the pass-through and the gateway, each
 * pinned to one core with `taskset -c N`, its output going to a log file, stopped by its own pid;
 * and the load processes, which report one `BENCH_JSON` line ({@link runBenchJson}).
 * @module
 */
import { fileURLToPath } from "node:url";

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** True when `cmd` can be run (found on PATH). */
export async function hasCommand(cmd: string): Promise<boolean> {
  try {
    const out = await new Deno.Command("sh", {
      args: ["-c", `command -v "$1" >/dev/null 2>&1`, "sh", cmd],
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

/** The first line a command prints (stdout or stderr), or undefined when it cannot run. */
export async function commandFirstLine(cmd: string, args: string[]): Promise<string | undefined> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    const text = new TextDecoder().decode(out.stdout) || new TextDecoder().decode(out.stderr);
    return text.split("\n").find((l) => l.trim())?.trim();
  } catch {
    return undefined;
  }
}

/** CPU pinning: the `taskset -c N` prefix for a command, or nothing when pinning is off. */
export class Pinning {
  /** @param enabled Whether taskset is available and there are at least two cores. */
  constructor(readonly enabled: boolean) {}

  /** The command prefix that pins to `cpu`. */
  prefix(cpu: number): string[] {
    return this.enabled ? ["taskset", "-c", String(cpu)] : [];
  }
}

/** A free TCP port on 127.0.0.1 (bound, read, released). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** The environment children get: enough to run Deno and nothing that configures ccgate. */
export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME", "TMPDIR", "LANG", "USER"]) {
    const v = Deno.env.get(name);
    if (v !== undefined) env[name] = v;
  }
  env.NO_COLOR = "1";
  return { ...env, ...extra };
}

/** Options of {@link Service.start}. */
export interface ServiceOptions {
  /** For messages. */
  name: string;
  /** The command and its arguments (without the pinning prefix). */
  cmd: string[];
  /** Pin to this core. */
  cpu?: number;
  /** How to pin. */
  pinning: Pinning;
  /** Working directory. */
  cwd?: string;
  /** Environment (replaces the parent's). */
  env: Record<string, string>;
  /** File that receives the child's stdout and stderr. */
  logFile: string;
}

/** A running child process. */
export class Service {
  /** For messages. */
  readonly name: string;
  /** The pid of the service itself (taskset and sh exec into it). */
  readonly pid: number;
  /** Its log file. */
  readonly logFile: string;
  readonly #child: Deno.ChildProcess;
  #exited = false;
  /** Resolves with the exit status. */
  readonly status: Promise<Deno.CommandStatus>;

  private constructor(name: string, child: Deno.ChildProcess, logFile: string) {
    this.name = name;
    this.#child = child;
    this.pid = child.pid;
    this.logFile = logFile;
    this.status = child.status.then((s) => {
      this.#exited = true;
      return s;
    });
  }

  /** Starts a service; `sh`, `taskset` and the command exec into one another, keeping one pid. */
  static start(options: ServiceOptions): Service {
    const full = options.cpu === undefined
      ? options.cmd
      : [...options.pinning.prefix(options.cpu), ...options.cmd];
    const child = new Deno.Command("sh", {
      args: ["-c", 'exec "$@" >>"$BENCH_LOG_FILE" 2>&1', "sh", ...full],
      cwd: options.cwd,
      env: { ...options.env, BENCH_LOG_FILE: options.logFile },
      clearEnv: true,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    return new Service(options.name, child, options.logFile);
  }

  /** True once the process has exited. */
  get exited(): boolean {
    return this.#exited;
  }

  /** The last `lines` lines of its log. */
  async logTail(lines = 20): Promise<string> {
    try {
      const text = await Deno.readTextFile(this.logFile);
      return text.trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "";
    }
  }

  /** Sends SIGTERM, waits up to `graceMs`, then SIGKILL. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.#exited) return;
    try {
      this.#child.kill("SIGTERM");
    } catch { /* already gone */ }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = await Promise.race([
      this.status.then(() => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs))),
    ]);
    clearTimeout(timer);
    if (timedOut && !this.#exited) {
      try {
        this.#child.kill("SIGKILL");
      } catch { /* already gone */ }
      await this.status;
    }
  }
}

/** Polls `url` until it answers 2xx, the service exits, or `timeoutMs` passes. */
export async function waitForHttp(
  service: Service,
  url: string,
  timeoutMs = 30_000,
  headers: Record<string, string> = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (service.exited) break;
    try {
      const res = await fetch(url, { headers, signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(100);
  }
  const tail = await service.logTail();
  throw new Error(
    `${service.name} did not come up at ${url} (${service.exited ? "exited" : last})` +
      (tail ? `; its log ends with:\n${tail}` : ""),
  );
}

/** Share (0–1) of all cores busy over `ms`, from /proc/stat; undefined without /proc. */
export async function machineBusy(ms = 1000): Promise<number | undefined> {
  const read = async () => {
    const line = (await Deno.readTextFile("/proc/stat")).split("\n")[0];
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = v[3] + (v[4] ?? 0);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    return { idle, total };
  };
  try {
    const a = await read();
    await sleep(ms);
    const b = await read();
    const total = b.total - a.total;
    return total > 0 ? 1 - (b.idle - a.idle) / total : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs a load process (`args[0]` with the rest as arguments), killed after `limitS` seconds,
 * and returns the JSON of its `BENCH_JSON {…}` stdout line; `what` names it in the error when
 * no such line came.
 */
export async function runBenchJson(args: string[], limitS: number, what: string): Promise<any> {
  const child = new Deno.Command(args[0], {
    args: args.slice(1),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const killer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, limitS * 1000);
  const out = await child.output();
  clearTimeout(killer);
  const stdout = new TextDecoder().decode(out.stdout);
  const line = stdout.split("\n").find((l) => l.startsWith("BENCH_JSON "));
  if (!line) {
    const stderr = new TextDecoder().decode(out.stderr);
    throw new Error(
      `${what} produced no result (exit ${out.code}): ${(stderr + stdout).slice(0, 2000)}`,
    );
  }
  return JSON.parse(line.slice("BENCH_JSON ".length));
}

/** What every load tool is told: where to send what, and on which core to run. */
export interface LoadTarget {
  /** Full URL. */
  url: string;
  /** File holding the request body. */
  bodyFile: string;
  /** Request headers. */
  headers: Record<string, string>;
  /** Core for the load tool. */
  cpu: number;
  /** Pinning. */
  pinning: Pinning;
}

/**
 * The command line that runs the load script at `scriptUrl` (its `import.meta.url`) pinned to
 * the target's core, with the common flags ({@link LOAD_SCRIPT_OPTIONS}) and its own `flags`.
 */
export function loadScriptArgs(
  scriptUrl: string,
  target: LoadTarget,
  flags: string[],
): string[] {
  return [
    ...target.pinning.prefix(target.cpu),
    Deno.execPath(),
    "run",
    "-A",
    fileURLToPath(scriptUrl),
    "--url",
    target.url,
    "--body-file",
    target.bodyFile,
    "--headers",
    JSON.stringify(target.headers),
    ...flags,
  ];
}

/** `parseArgs` options every load script takes. */
export const LOAD_SCRIPT_OPTIONS = {
  url: { type: "string" },
  "body-file": { type: "string" },
  headers: { type: "string", default: "{}" },
} as const;

/**
 * The request a load script was told to send, from its parsed common flags; prints the usage
 * line and exits with 2 when `--url` or `--body-file` is missing.
 */
export async function loadScriptRequest(
  values: { url?: string; "body-file"?: string; headers: string },
  script: string,
): Promise<{ url: string; body: Uint8Array<ArrayBuffer>; headers: Record<string, string> }> {
  if (!values.url || !values["body-file"]) {
    console.error(`usage: ${script} --url URL --body-file FILE [options]`);
    Deno.exit(2);
  }
  return {
    url: values.url,
    body: await Deno.readFile(values["body-file"]),
    headers: JSON.parse(values.headers),
  };
}
