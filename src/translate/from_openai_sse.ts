/**
 * A forgiving server-sent-events decoder for OpenAI-style streams: bytes may be split anywhere
 * (even inside a UTF-8 character or between `\r` and `\n`), lines end in `\n` or `\r\n`,
 * `: comments` are skipped. Some upstreams omit the blank line between events, so a new `data:`
 * line also ends the previous event when that event is already a complete payload.
 * @module
 */

/** One decoded event. */
export interface SseMessage {
  /** The `event:` name, if the upstream sent one. */
  event?: string;
  /** The `data:` payload (several data lines joined with `\n`). */
  data: string;
}

/** Incremental decoder: push bytes, get whole events. */
export class SseDecoder {
  #decoder = new TextDecoder();
  #line = "";
  #event: string | undefined;
  #data: string[] = [];

  /** Decodes a chunk of bytes; returns the events completed by it. */
  push(bytes: Uint8Array): SseMessage[] {
    return this.#lines(this.#decoder.decode(bytes, { stream: true }));
  }

  /** End of input: returns the last, unterminated event if any. */
  end(): SseMessage[] {
    const out = this.#lines(this.#decoder.decode());
    if (this.#line) this.#onLine(this.#line, out);
    this.#line = "";
    this.#dispatch(out);
    return out;
  }

  #lines(text: string): SseMessage[] {
    const out: SseMessage[] = [];
    const buffer = this.#line + text;
    let start = 0;
    let nl: number;
    while ((nl = buffer.indexOf("\n", start)) >= 0) {
      const line = buffer.slice(start, nl);
      start = nl + 1;
      this.#onLine(line.endsWith("\r") ? line.slice(0, -1) : line, out);
    }
    this.#line = buffer.slice(start);
    return out;
  }

  #onLine(line: string, out: SseMessage[]) {
    if (line === "") return this.#dispatch(out);
    if (line.startsWith(":")) return; // comment / keep-alive
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") {
      if (this.#data.length && looksComplete(this.#data.join("\n"))) this.#dispatch(out);
      this.#data.push(value);
    } else if (field === "event") {
      this.#event = value;
    }
  }

  #dispatch(out: SseMessage[]) {
    if (this.#data.length) {
      out.push({ ...(this.#event ? { event: this.#event } : {}), data: this.#data.join("\n") });
    }
    this.#data = [];
    this.#event = undefined;
  }
}

function looksComplete(data: string): boolean {
  const trimmed = data.trim();
  if (trimmed === "[DONE]") return true;
  if (!trimmed.startsWith("{")) return false;
  try {
    JSON.parse(trimmed);
    return true;
  } catch {
    return false;
  }
}
