/**
 * The state machine behind `openAIToAnthropicStream` (from_openai_stream.ts): decoded OpenAI SSE messages in,
 * Anthropic SSE text out (protocols.md §3.7). Separate from the byte-level TransformStream so
 * tests and other callers can drive it synchronously.
 * @module
 */
import { anthropicUsageFrom, newMessageId, sanitizeToolId, stopReasonFor } from "./common.ts";
import type { AnthropicErrorType } from "../protocol/anthropic_error.ts";
import type { ChatUsage } from "./openai_types.ts";
import { ToolArgsStream } from "./from_openai_json_args.ts";
import type { SseMessage } from "./from_openai_sse.ts";
import { ThinkTagSplitter } from "./from_openai_think.ts";
import { errorTypeOf } from "./from_openai_errors.ts";
import { clientToolName } from "./tool_names.ts";

/** Options for `openAIToAnthropicStream` (from_openai_stream.ts). */
export interface OpenAIStreamOptions {
  /** Model name reported to the client (the one it asked for). */
  model: string;
  /** Input-token estimate for `message_start` (0 there breaks Claude Code's context meter). */
  inputTokens: number;
  /** Upstream tool name → the client's (names shortened for the upstream, see tool_names.ts). */
  toolNames?: ReadonlyMap<string, string>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === "string" ? v : "");

/** One upstream tool call (keyed by its `index`) on its way to becoming a tool_use block. */
interface ToolSlot {
  id?: string;
  name?: string;
  args: ToolArgsStream;
  /** Validated argument text received while another block was open. */
  pending: string;
  state: "queued" | "open" | "closed";
}

type TextKind = "text" | "thinking";
type Item = { kind: TextKind; text: string } | { kind: "tool"; slot: ToolSlot };
type OpenBlock = { kind: TextKind; index: number } | {
  kind: "tool";
  index: number;
  slot: ToolSlot;
};

/**
 * The conversion state machine, fed with decoded SSE messages; each call returns the Anthropic
 * SSE text it produced. Content that arrives while a tool block is still receiving arguments
 * (parallel calls interleaving their fragments, text between them) is queued in arrival order
 * and emitted once that tool's JSON is complete, so no block is ever reopened or cut short.
 */
export class OpenAIStreamConverter {
  readonly #options: OpenAIStreamOptions;
  #out = "";
  #nextIndex = 0;
  #open: OpenBlock | null = null;
  #queue: Item[] = [];
  #slots = new Map<string, ToolSlot>();
  #usedIds = new Set<string>();
  #toolBlocks = 0;
  /** A tool block was closed before its JSON was complete (cut off by the token limit). */
  #truncatedTool = false;
  #finishReason: string | null = null;
  #usage: ChatUsage | null = null;
  #outputChars = 0;
  #ending = false;
  #ended = false;
  #think = new ThinkTagSplitter();

  /**
   * Creates a converter for one stream.
   * @param options model name and input-token estimate for `message_start`.
   */
  constructor(options: OpenAIStreamOptions) {
    this.#options = options;
  }

  /** True once `message_stop` or `error` was produced; later input is ignored. */
  get ended(): boolean {
    return this.#ended;
  }

  /** `message_start` and a `ping`: sent before any upstream data. */
  start(): string {
    this.#event("message_start", {
      type: "message_start",
      message: {
        id: newMessageId(),
        type: "message",
        role: "assistant",
        model: this.#options.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: {
          input_tokens: Math.max(0, Math.round(this.#options.inputTokens || 0)),
          output_tokens: 1,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 0,
        },
      },
    });
    this.#event("ping", { type: "ping" });
    return this.#take();
  }

  /** Handles one upstream SSE message (`data: {chunk}`, `data: [DONE]`, an error payload…). */
  message(message: SseMessage): string {
    if (this.#ended) return "";
    try {
      const data = message.data.trim();
      if (data === "[DONE]") this.#finish();
      else if (data) this.#payload(data, message.event);
    } catch (error) {
      this.#safeFail(
        "api_error",
        `Stream translation failed: ${(error as Error)?.message ?? error}`,
      );
    }
    return this.#take();
  }

  /** Upstream EOF: finishes normally after a `finish_reason`, otherwise reports an error. */
  end(): string {
    if (this.#ended) return "";
    try {
      if (this.#finishReason !== null) this.#finish();
      else this.#fail("api_error", "The upstream stream ended before the response was complete.");
    } catch (error) {
      this.#safeFail(
        "api_error",
        `Stream translation failed: ${(error as Error)?.message ?? error}`,
      );
    }
    return this.#take();
  }

  /** Ends the stream with an `error` event (closing the open block first). */
  fail(type: AnthropicErrorType, message: string): string {
    if (!this.#ended) this.#safeFail(type, message);
    return this.#take();
  }

  // ------------------------------------------------------------------ upstream payloads

  #payload(data: string, eventName: string | undefined) {
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      return this.#fail(
        "api_error",
        `The upstream sent an invalid stream chunk: ${data.slice(0, 200)}`,
      );
    }
    if (!isObj(json)) {
      return this.#fail(
        "api_error",
        `The upstream sent an invalid stream chunk: ${data.slice(0, 200)}`,
      );
    }
    if (typeof json.error === "string" && json.error) {
      return this.#fail(errorTypeOf({ message: json.error }), json.error);
    }
    if (isObj(json.error) || eventName === "error") {
      const error = isObj(json.error) ? json.error : json;
      return this.#fail(
        errorTypeOf(error),
        str(error.message) || "The upstream reported an error.",
      );
    }
    if (isObj(json.usage)) this.#usage = json.usage as unknown as ChatUsage;
    const choices = Array.isArray(json.choices) ? json.choices : [];
    // n = 1 is all a Messages client can use; other choices are ignored.
    const choice = choices.find((c) => isObj(c) && (c.index ?? 0) === 0) as Obj | undefined;
    if (!choice) return;
    const delta = isObj(choice.delta) ? choice.delta : isObj(choice.message) ? choice.message : {};
    // DeepSeek/Kimi: reasoning_content; OpenRouter/Ollama: reasoning (both may carry the same text).
    const reasoning = str(delta.reasoning_content) || str(delta.reasoning);
    if (reasoning) this.#add("thinking", reasoning);
    const content = str(delta.content);
    if (content) {
      for (const piece of this.#think.push(content)) {
        this.#add(piece.kind, piece.text);
      }
    }
    const refusal = str(delta.refusal);
    if (refusal) this.#add("text", refusal);
    if (Array.isArray(delta.tool_calls)) delta.tool_calls.forEach((tc, i) => this.#tool(tc, i));
    if (isObj(delta.function_call)) this.#tool({ index: -1, function: delta.function_call }, 0);
    if (typeof choice.finish_reason === "string" && choice.finish_reason) {
      this.#finishReason = choice.finish_reason;
    }
  }

  #add(kind: TextKind, text: string) {
    this.#outputChars += text.length;
    const last = this.#queue[this.#queue.length - 1];
    if (last && last.kind === kind) last.text += text;
    else this.#queue.push({ kind, text });
    this.#pump();
  }

  #tool(tc: unknown, position: number) {
    if (!isObj(tc)) return;
    const fn = isObj(tc.function) ? tc.function : {};
    const id = str(tc.id) || undefined;
    const name = str(fn.name) || undefined;
    const args = typeof fn.arguments === "string"
      ? fn.arguments
      : isObj(fn.arguments)
      ? JSON.stringify(fn.arguments)
      : "";
    // tc.index keys the call; without it, the position in the array (labring/FastGPT#4755).
    const key = typeof tc.index === "number" ? `i${tc.index}` : `p${position}`;
    let slot = this.#slots.get(key);
    // A different id (with a name) under a known index is a new call (some servers restart at 0).
    if (slot && id && slot.id && id !== slot.id && name) slot = undefined;
    if (!slot) {
      slot = { id, name, args: new ToolArgsStream(), pending: "", state: "queued" };
      this.#slots.set(key, slot);
      this.#queue.push({ kind: "tool", slot });
    }
    slot.id ??= id;
    slot.name ??= name;
    // Fragments for a closed call cannot be delivered any more (its JSON is already complete).
    if (args && slot.state !== "closed") {
      const safe = slot.args.push(args);
      this.#outputChars += args.length;
      if (slot.state === "open") this.#jsonDelta(safe);
      else slot.pending += safe;
    }
    this.#pump();
  }

  // ------------------------------------------------------------------ block scheduling

  /** Emits queued items while the open block allows it (an unfinished tool blocks the queue). */
  #pump() {
    while (this.#queue.length) {
      const open = this.#open;
      if (open?.kind === "tool" && !open.slot.args.complete && !this.#ending) return;
      const item = this.#queue[0];
      if (item.kind === "tool") {
        if (!item.slot.name) {
          if (!this.#ending) return; // wait for the name; at the end a nameless call is dropped
          this.#queue.shift();
          continue;
        }
        this.#queue.shift();
        this.#closeOpen();
        this.#openTool(item.slot);
        continue;
      }
      this.#queue.shift();
      if (open?.kind !== item.kind) {
        this.#closeOpen();
        const index = this.#nextIndex++;
        const block = item.kind === "text"
          ? { type: "text", text: "" }
          : { type: "thinking", thinking: "", signature: "" };
        this.#event("content_block_start", {
          type: "content_block_start",
          index,
          content_block: block,
        });
        this.#open = { kind: item.kind, index };
      }
      const delta = item.kind === "text"
        ? { type: "text_delta", text: item.text }
        : { type: "thinking_delta", thinking: item.text };
      this.#event("content_block_delta", {
        type: "content_block_delta",
        index: this.#open!.index,
        delta,
      });
    }
  }

  #openTool(slot: ToolSlot) {
    const index = this.#nextIndex++;
    let id = sanitizeToolId(slot.id);
    // tool_use ids must be unique within a message; some servers repeat or omit them.
    for (let n = 2; this.#usedIds.has(id); n++) id = `${sanitizeToolId(slot.id)}_${n}`;
    this.#usedIds.add(id);
    this.#event("content_block_start", {
      type: "content_block_start",
      index,
      content_block: {
        type: "tool_use",
        id,
        name: clientToolName(slot.name!, this.#options.toolNames),
        input: {},
      },
    });
    slot.state = "open";
    this.#open = { kind: "tool", index, slot };
    this.#toolBlocks++;
    const pending = slot.pending;
    slot.pending = "";
    this.#jsonDelta(pending);
  }

  #jsonDelta(partial: string) {
    if (!partial || this.#open?.kind !== "tool") return;
    this.#event("content_block_delta", {
      type: "content_block_delta",
      index: this.#open.index,
      delta: { type: "input_json_delta", partial_json: partial },
    });
  }

  #closeOpen() {
    const open = this.#open;
    if (!open) return;
    if (open.kind === "tool") {
      // Completes truncated JSON, or sends "{}" for a call that got no arguments.
      if (!open.slot.args.complete) this.#truncatedTool = true;
      this.#jsonDelta(open.slot.args.finish());
      open.slot.state = "closed";
    }
    this.#event("content_block_stop", { type: "content_block_stop", index: open.index });
    this.#open = null;
  }

  // ------------------------------------------------------------------ endings

  #finish() {
    for (const piece of this.#think.end()) this.#add(piece.kind, piece.text);
    this.#ending = true;
    this.#pump();
    this.#closeOpen();
    const usage = this.#usage ? anthropicUsageFrom(this.#usage) : undefined;
    const reported = usage &&
      usage.input_tokens + (usage.cache_read_input_tokens ?? 0) +
            (usage.cache_creation_input_tokens ?? 0) > 0;
    this.#event("message_delta", {
      type: "message_delta",
      delta: {
        // A call cut off by the limit is reported like Anthropic does (max_tokens), so the
        // client does not run a truncated command as if it were complete.
        stop_reason: this.#finishReason === "length" && this.#truncatedTool
          ? "max_tokens"
          : stopReasonFor(this.#finishReason, this.#toolBlocks > 0),
        stop_sequence: null,
      },
      usage: {
        input_tokens: usage && reported
          ? usage.input_tokens
          : Math.max(0, Math.round(this.#options.inputTokens || 0)),
        output_tokens: usage?.output_tokens || Math.max(1, Math.ceil(this.#outputChars / 4)),
        cache_read_input_tokens: usage?.cache_read_input_tokens ?? 0,
        ...(usage?.cache_creation_input_tokens
          ? { cache_creation_input_tokens: usage.cache_creation_input_tokens }
          : {}),
      },
    });
    this.#event("message_stop", { type: "message_stop" });
    this.#ended = true;
  }

  #fail(type: AnthropicErrorType, message: string) {
    this.#closeOpen();
    this.#event("error", { type: "error", error: { type, message } });
    this.#ended = true;
  }

  /** {@link #fail} that survives a broken state: the error event must always get out. */
  #safeFail(type: AnthropicErrorType, message: string) {
    try {
      this.#fail(type, message);
    } catch {
      this.#event("error", { type: "error", error: { type, message } });
      this.#ended = true;
    }
  }

  #event(name: string, data: unknown) {
    this.#out += `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
  }

  #take(): string {
    const out = this.#out;
    this.#out = "";
    return out;
  }
}
