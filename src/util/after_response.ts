/**
 * Bookkeeping that must not hold up a response: a task queued here runs once the current turn
 * of the event loop is over, after the handler's Response has gone to `Deno.serve` and been
 * written. One timer serves every task queued in the same turn.
 * @module
 */

import { logger } from "../observability/log.ts";

let queued: (() => void)[] = [];

function runQueued(): void {
  const tasks = queued;
  queued = [];
  for (const task of tasks) {
    try {
      task();
    } catch (error) {
      // A failing task must not cost the others theirs.
      logger.error("bookkeeping after a response failed", { error });
    }
  }
}

/** Runs `task` after the responses of this turn of the event loop are written. */
export function afterResponse(task: () => void): void {
  if (queued.length === 0) setTimeout(runQueued, 0);
  queued.push(task);
}
