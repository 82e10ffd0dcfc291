/**
 * MiniMax (and some self-hosted reasoning models) put their reasoning inline at the start of
 * `content` as `<think>…</think>` instead of a `reasoning_content` field (protocols.md §3.3).
 * These helpers split it out so it becomes an Anthropic `thinking` block, not visible text.
 * @module
 */

const OPEN = "<think>";
const CLOSE = "</think>";

/** Splits a complete `content` string: a leading `<think>…</think>` becomes `thinking`. */
export function splitThinkTags(content: string): { thinking: string; text: string } {
  const trimmed = content.trimStart();
  if (!trimmed.startsWith(OPEN)) return { thinking: "", text: content };
  const body = trimmed.slice(OPEN.length);
  const end = body.indexOf(CLOSE);
  // No closing tag: the answer was cut off while still thinking (e.g. max_tokens).
  if (end < 0) return { thinking: body.trim(), text: "" };
  return { thinking: body.slice(0, end).trim(), text: body.slice(end + CLOSE.length).trimStart() };
}

/** One piece of streamed content, routed to a thinking or a text block. */
export interface ContentPiece {
  /** Which block the text belongs to. */
  kind: "thinking" | "text";
  /** The content, with think tags removed. */
  text: string;
}

/**
 * The streaming form of {@link splitThinkTags}: tags may be split across chunks at any
 * character, so a possible tag prefix is held back until the next chunk decides it.
 */
export class ThinkTagSplitter {
  #state: "start" | "think" | "text" = "start";
  #buffer = "";
  /** Drop whitespace right after a tag (models put newlines there). */
  #trimNext = false;

  /** Feeds a content delta; returns the pieces that are certain now. */
  push(delta: string): ContentPiece[] {
    this.#buffer += delta;
    const out: ContentPiece[] = [];
    this.#drain(out, false);
    return out;
  }

  /** End of content: everything held back is released. */
  end(): ContentPiece[] {
    const out: ContentPiece[] = [];
    this.#drain(out, true);
    return out;
  }

  #emit(out: ContentPiece[], kind: ContentPiece["kind"], text: string) {
    if (this.#trimNext) {
      text = text.trimStart();
      if (text) this.#trimNext = false;
    }
    if (text) out.push({ kind, text });
  }

  #drain(out: ContentPiece[], final: boolean) {
    if (this.#state === "start") {
      const trimmed = this.#buffer.trimStart();
      if (trimmed.startsWith(OPEN)) {
        this.#state = "think";
        this.#buffer = trimmed.slice(OPEN.length);
        this.#trimNext = true;
      } else if (!final && (trimmed === "" || OPEN.startsWith(trimmed))) {
        return; // could still become "<think>"
      } else {
        this.#state = "text";
      }
    }
    if (this.#state === "think") {
      const end = this.#buffer.indexOf(CLOSE);
      if (end >= 0) {
        this.#emit(out, "thinking", this.#buffer.slice(0, end).trimEnd());
        this.#buffer = this.#buffer.slice(end + CLOSE.length);
        this.#state = "text";
        this.#trimNext = true;
      } else {
        // Keep a tail that might be the start of "</think>".
        let keep = 0;
        if (!final) {
          for (let n = Math.min(CLOSE.length - 1, this.#buffer.length); n > 0; n--) {
            if (CLOSE.startsWith(this.#buffer.slice(-n))) {
              keep = n;
              break;
            }
          }
          // Whitespace right before "</think>" is trimmed, so hold it back as well.
          while (
            keep < this.#buffer.length && /\s/.test(this.#buffer[this.#buffer.length - keep - 1])
          ) keep++;
        }
        const ready = this.#buffer.slice(0, this.#buffer.length - keep);
        this.#buffer = this.#buffer.slice(this.#buffer.length - keep);
        this.#emit(out, "thinking", ready);
        return;
      }
    }
    if (this.#state === "text") {
      const text = this.#buffer;
      this.#buffer = "";
      this.#emit(out, "text", text);
    }
  }
}
