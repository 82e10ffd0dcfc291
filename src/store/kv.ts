/**
 * Opens the gateway's Deno KV: a local file in the per-user data directory by default, a
 * given file, or a remote KV Connect URL (token in `DENO_KV_ACCESS_TOKEN`).
 * @module
 */
import { dataDir } from "../util/paths.ts";

/** Where state lives. */
export interface KvTarget {
  /** Local file path. */
  path?: string;
  /** Remote KV Connect URL. */
  url?: string;
}

/** The local KV file used when nothing is configured. */
export function defaultKvPath(): string {
  return `${dataDir()}/ccgate.kv`;
}

/** Describes the target for logs (never the token). */
export function describeKv(target: KvTarget): string {
  if (target.url) return target.url.replace(/\/\/[^@/]*@/, "//");
  return target.path ?? defaultKvPath();
}

/** Opens the KV; the local file and its directory are created owner-only. */
export async function openKv(target: KvTarget): Promise<Deno.Kv> {
  if (target.url) return await Deno.openKv(target.url);
  const path = target.path ?? defaultKvPath();
  if (path === ":memory:") return await Deno.openKv(":memory:");
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : ".";
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const kv = await Deno.openKv(path);
  if (Deno.build.os !== "windows") {
    for (const file of [path, `${path}-wal`, `${path}-shm`]) {
      await Deno.chmod(file, 0o600).catch(() => {});
    }
  }
  return kv;
}

/** True for SQLite's "database is locked" (two processes on one local file). */
export function isLockedError(error: unknown): boolean {
  return error instanceof Error && /database is locked|SQLITE_BUSY/i.test(error.message);
}

/** Runs a KV operation, retrying briefly while another process holds the SQLite lock. */
export async function withKvRetry<T>(op: () => Promise<T>, attempts = 20): Promise<T> {
  for (let i = 0;; i++) {
    try {
      return await op();
    } catch (error) {
      if (!isLockedError(error) || i >= attempts) throw error;
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * (i + 1)));
    }
  }
}
