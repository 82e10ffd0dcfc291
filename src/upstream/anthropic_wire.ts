/**
 * The Anthropic wire protocol: a tap that watches an Anthropic SSE stream as it passes without
 * changing a byte (usage from `message_start`/`message_delta`, `message_stop`, `error` events),
 * and Anthropic-shaped errors.
 * @module
 */
import { anthropicError, anthropicErrorEvent } from "../protocol/anthropic_error.ts";
import { mergeUsage, type StreamTap, type TapState, type WireProtocol } from "../protocol/wire.ts";
import type { Usage } from "../routing/call.ts";
import { signatureFromDelta } from "../translate/thinking_hygiene.ts";

const encoder = new TextEncoder();
const DELTA_EVENT = encoder.encode("event: content_block_delta\n");
const SIGNATURE_DELTA = encoder.encode("signature_delta");
const LF = 0x0a;

/** Where `needle` starts in `haystack` at or after `from`, or -1 (for short chunks). */
function indexOfBytes(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  const first = needle[0];
  const last = haystack.length - needle.length;
  for (
    let i = haystack.indexOf(first, from);
    i >= 0 && i <= last;
    i = haystack.indexOf(first, i + 1)
  ) {
    let j = 1;
    while (j < needle.length && haystack[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}

/**
 * True when `chunk` is exactly one `content_block_delta` event: most chunks of a stream, and
 * ones the tap only counts, so they are recognised on the bytes without decoding them.
 */
function isOneDeltaEvent(chunk: Uint8Array): boolean {
  const n = DELTA_EVENT.length;
  if (chunk.length <= n + 2 || chunk[chunk.length - 1] !== LF || chunk[chunk.length - 2] !== LF) {
    return false;
  }
  for (let i = 0; i < n; i++) if (chunk[i] !== DELTA_EVENT[i]) return false;
  // The only blank line must be the final one.
  for (let i = chunk.indexOf(LF, n); i >= 0; i = chunk.indexOf(LF, i + 1)) {
    if (chunk[i + 1] === LF) return i + 2 === chunk.length;
  }
  return false;
}

/**
 * An Anthropic SSE observer fed with complete events (the relay cuts chunks at event
 * boundaries). It looks only at the few events that matter — message_start, message_delta,
 * message_stop, error and signature deltas — with plain string search: a general SSE parser
 * costs more per chunk than the rest of the relay.
 */
export class SseTap implements StreamTap {
  /** Observations. */
  readonly state: TapState = { usage: {}, stopped: false, events: 0 };
  readonly #decoder = new TextDecoder();
  readonly #onSignature?: (signature: string) => void;

  /**
   * Creates a tap with empty observations.
   * @param onSignature Hears each thinking signature.
   */
  constructor(onSignature?: (signature: string) => void) {
    this.#onSignature = onSignature;
  }

  /** Feeds one chunk of complete events. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (
      isOneDeltaEvent(chunk) &&
      !(this.#onSignature && indexOfBytes(chunk, SIGNATURE_DELTA, DELTA_EVENT.length) >= 0)
    ) {
      this.state.events++;
      return;
    }
    const text = this.#decoder.decode(chunk);
    let at = text.startsWith("event:") ? 0 : text.indexOf("\nevent:") + 1;
    while (at > 0 || (at === 0 && text.startsWith("event:"))) {
      const lineEnd = text.indexOf("\n", at);
      if (lineEnd < 0) break;
      const name = text.slice(at + 6, lineEnd).trim();
      this.state.events++;
      const next = text.indexOf("\nevent:", lineEnd);
      if (
        name === "message_start" || name === "message_delta" || name === "message_stop" ||
        name === "error" ||
        (name === "content_block_delta" && this.#onSignature)
      ) {
        this.#onEvent(name, dataOf(text, lineEnd + 1, next < 0 ? text.length : next));
      }
      if (next < 0) break;
      at = next + 1;
    }
  }

  #onEvent(name: string, data: string): void {
    if (name === "message_stop") {
      this.state.stopped = true;
    } else if (name === "content_block_delta") {
      const signature = signatureFromDelta(data);
      if (signature) this.#onSignature?.(signature);
    } else if (name === "error") {
      try {
        this.state.errorType = JSON.parse(data)?.error?.type ?? "api_error";
      } catch {
        this.state.errorType = "api_error";
      }
    } else {
      try {
        const json = JSON.parse(data);
        const usage = name === "message_start" ? json?.message?.usage : json?.usage;
        if (usage && typeof usage === "object") mergeUsage(this.state.usage, usage);
      } catch {
        // A malformed event is passed on untouched; the client decides.
      }
    }
  }
}

/** The joined `data:` lines of one event block within text[from, to). */
function dataOf(text: string, from: number, to: number): string {
  let out = "";
  let at = text.indexOf("data:", from);
  while (at >= 0 && at < to) {
    const end = text.indexOf("\n", at);
    const line = text.slice(at + 5, end < 0 || end > to ? to : end);
    out = out ? `${out}\n${line.trimStart()}` : line.trimStart();
    if (end < 0) break;
    at = text.indexOf("data:", end);
  }
  return out.trimEnd();
}

/**
 * How a stream's first chunk says it failed, if it does: an `error` event at its very start
 * (its `error.type`), or a first event whose data is not JSON (nothing reached the client yet,
 * so a broken stream fails over rather than reaching a client that cannot parse it).
 */
export function leadingErrorEvent(
  chunk: Uint8Array<ArrayBuffer>,
): { type?: string; message?: string } | undefined {
  const head = new TextDecoder().decode(chunk.subarray(0, 2048));
  if (!/^\s*event:\s*error\b/.test(head)) return invalidFirstEvent(head);
  const data = head.match(/data:\s*(.*)/)?.[1];
  try {
    const json = data ? JSON.parse(data) : undefined;
    return { type: json?.error?.type, message: json?.error?.message };
  } catch {
    return { type: "api_error" };
  }
}

function invalidFirstEvent(raw: string): { type: string; message: string } | undefined {
  const head = raw.replace(/\r\n/g, "\n");
  const end = head.indexOf("\n\n");
  if (end < 0) return undefined; // not all within the head: left to the client
  const data = dataOf(head, 0, end);
  if (!data) return undefined;
  try {
    JSON.parse(data);
    return undefined;
  } catch {
    return {
      type: "api_error",
      message: `the upstream's first event is not JSON: ${data.slice(0, 100)}`,
    };
  }
}

/** The Anthropic protocol. */
export const anthropicWire: WireProtocol = {
  name: "anthropic",
  createTap: (onSignature) => new SseTap(onSignature),
  leadingError: leadingErrorEvent,
  errorEvent: anthropicErrorEvent,
  errorResponse: anthropicError,
  jsonUsage(json) {
    const usage: Usage = {};
    if (json.usage && typeof json.usage === "object") {
      mergeUsage(usage, json.usage as Record<string, unknown>);
    } else if (typeof json.input_tokens === "number") usage.input_tokens = json.input_tokens;
    return usage;
  },
};
