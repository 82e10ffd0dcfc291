/**
 * Follows edits of one file. Editors replace files by renaming, so the directory is watched
 * and events are filtered by name; bursts are debounced into one callback.
 * @module
 */
import { logger } from "../observability/log.ts";

/** A running watch. */
export interface FileWatch {
  /** Stops watching. */
  close(): void;
}

/**
 * Calls `onChange` `debounceMs` after the last change of `path`. When the directory cannot be
 * watched, logs `what` and returns a no-op watch (changes then need a restart).
 */
export function watchFile(
  path: string,
  what: string,
  debounceMs: number,
  onChange: () => void,
): FileWatch {
  const slash = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  const dir = slash > 0 ? path.slice(0, slash) : slash === 0 ? "/" : ".";
  const base = path.slice(slash + 1);
  let watcher: Deno.FsWatcher;
  try {
    watcher = Deno.watchFs(dir, { recursive: false });
  } catch (error) {
    logger.warn(`cannot watch the ${what}; changes need a restart`, {
      path,
      error: (error as Error).message,
    });
    return { close() {} };
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  (async () => {
    try {
      for await (const event of watcher) {
        // Our own reads show up as "access" events; reacting to them would loop forever.
        if (event.kind === "access") continue;
        if (
          !event.paths.some((p) =>
            p.slice(Math.max(p.lastIndexOf("/"), p.lastIndexOf("\\")) + 1) === base
          )
        ) continue;
        clearTimeout(timer);
        timer = setTimeout(() => {
          timer = undefined;
          if (!closed) onChange();
        }, debounceMs);
      }
    } catch (error) {
      if (!closed) {
        logger.warn(`${what} watcher stopped`, { path, error: (error as Error).message });
      }
    }
  })();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      try {
        watcher.close();
      } catch { /* already closed */ }
    },
  };
}
