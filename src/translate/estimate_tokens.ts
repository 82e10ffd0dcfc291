/**
 * A local input-token estimate for an Anthropic Messages body, for `/v1/messages/count_tokens`
 * against upstreams without that endpoint and for `message_start` usage estimates (an
 * `input_tokens` of 0 breaks Claude Code's context meter, protocols.md §3.8 #1).
 *
 * A real BPE tokenizer costs ~10 ms and a multi-megabyte rank table for a 100 KB Claude Code
 * body, so this mimics the o200k pre-tokenizer in one pass over the char codes (words split at
 * lower→upper case changes, numbers in groups of three, punctuation runs, whitespace runs) and
 * adds the average token count of each piece from tables calibrated against `gpt-tokenizer`
 * (o200k_base). tests/unit/estimate_tokens_test.ts holds the measured error on the captured
 * Claude Code bodies. Claude's own tokenizer is not public; its counts differ from o200k's.
 * @module
 */
import { estimateTextTokens } from "./estimate_tokens_scan.ts";

/** Re-exported: the estimate for a single text. */
export { estimateTextTokens } from "./estimate_tokens_scan.ts";

/** Tokens counted for each image (Anthropic: ~(w×h)/750, ~1,600 for a 1.15 MP image). */
export const IMAGE_TOKENS = 1600;
/** Tokens counted per PDF page; pages are guessed from the decoded size. */
const PDF_PAGE_TOKENS = 1500;
/** Decoded bytes per PDF page assumed when only the size is known (a rough guess). */
const PDF_PAGE_BYTES = 50_000;
/** Role and separator tokens around each message. */
const MESSAGE_OVERHEAD = 4;
/** Tokens that open the prompt. */
const BASE_OVERHEAD = 3;

/**
 * Walks the parts of an Anthropic body that reach the model: `onText` receives every text piece
 * (system, message text, tool_use inputs, tool_result text, tool definitions as JSON); the return
 * value is the fixed count for what is not text (images, documents, per-message overhead).
 * Thinking blocks are skipped: Anthropic drops earlier turns' thinking from the context.
 */
export function walkPromptText(
  body: Record<string, unknown>,
  onText: (text: string) => void,
): number {
  let fixed = BASE_OVERHEAD;
  const system = body.system;
  if (typeof system === "string") onText(system);
  else if (Array.isArray(system)) { for (const block of system) fixed += walkBlock(block, onText); }
  const messages = Array.isArray(body.messages) ? body.messages : [];
  for (const message of messages) {
    fixed += MESSAGE_OVERHEAD;
    const content = (message as { content?: unknown } | null)?.content;
    if (typeof content === "string") onText(content);
    else if (Array.isArray(content)) {
      for (const block of content) fixed += walkBlock(block, onText);
    }
  }
  const tools = Array.isArray(body.tools) ? body.tools : [];
  for (const tool of tools) onText(JSON.stringify(tool));
  return fixed;
}

/** One content block: text goes to `onText`, the fixed count is returned. */
function walkBlock(block: unknown, onText: (text: string) => void): number {
  if (typeof block === "string") {
    onText(block);
    return 0;
  }
  if (!block || typeof block !== "object") return 0;
  const b = block as Record<string, any>;
  switch (b.type) {
    case "text":
      if (typeof b.text === "string") onText(b.text);
      return 0;
    case "image":
      return IMAGE_TOKENS;
    case "document":
      return documentTokens(b.source, onText);
    case "tool_use":
    case "server_tool_use":
      if (typeof b.name === "string") onText(b.name);
      onText(typeof b.input === "string" ? b.input : JSON.stringify(b.input ?? {}));
      return 0;
    case "tool_result": {
      const content = b.content;
      if (typeof content === "string") onText(content);
      else if (Array.isArray(content)) {
        let fixed = 0;
        for (const inner of content) fixed += walkBlock(inner, onText);
        return fixed;
      }
      return 0;
    }
    case "thinking":
    case "redacted_thinking":
      return 0;
    default:
      // Server-tool results and future block types: their JSON is the best guess available.
      onText(JSON.stringify(b));
      return 0;
  }
}

/** A document block: text sources are counted as text, PDFs by their guessed page count. */
function documentTokens(source: any, onText: (text: string) => void): number {
  if (source?.type === "text" && typeof source.data === "string") {
    onText(source.data);
    return 0;
  }
  if (source?.type === "content" && Array.isArray(source.content)) {
    let fixed = 0;
    for (const inner of source.content) fixed += walkBlock(inner, onText);
    return fixed;
  }
  if (source?.type === "base64" && typeof source.data === "string") {
    const bytes = source.data.length * 0.75;
    return Math.max(1, Math.ceil(bytes / PDF_PAGE_BYTES)) * PDF_PAGE_TOKENS;
  }
  return PDF_PAGE_TOKENS;
}

/** Estimated input tokens of an Anthropic Messages body (system, messages, tools). */
export function estimateTokens(anthropicBody: Record<string, unknown>): number {
  let total = 0;
  const fixed = walkPromptText(anthropicBody, (text) => {
    total += estimateTextTokens(text);
  });
  return Math.round(total) + fixed;
}
