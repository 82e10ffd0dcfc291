/**
 * OpenAI Chat Completions request → Anthropic Messages body, for `/v1/chat/completions` calls
 * served by Anthropic upstreams (protocols.md §3.5 read right-to-left).
 *
 * Choices worth knowing:
 * - system/developer messages anywhere in the list become top-level `system` text blocks, in
 *   order (the mid-conversation system role is beta-gated on Anthropic).
 * - Roles alternate: consecutive same-role messages merge; tool (and legacy function) results
 *   form a user turn, and a user message right after them joins that turn after the results.
 * - A conversation that starts with an assistant turn is left as is: Anthropic's own API accepts
 *   it (anthropic-sdk-typescript#622; Bedrock does not). Only when nothing but system messages
 *   remains is a `(continue)` user turn added, since Anthropic needs one message.
 * - `reasoning_content`/`reasoning` on assistant messages is dropped: a thinking block needs the
 *   signature Anthropic issued, which OpenAI clients do not keep. For the same reason
 *   `reasoning_effort` enables thinking only on turns that start from a user message (not on
 *   tool-loop continuations or prefills, see thinkingAllowed).
 * - `response_format` is ignored (json_object/json_schema have no safe equivalent here; the model
 *   still follows instructions in the prompt). `n` is validated to be 1 at the door; `seed`,
 *   penalties, `logit_bias`, `logprobs`, `store`, OpenAI `metadata` and `service_tier` are dropped.
 * - Nothing throws: what cannot be translated is dropped or turned into a bracketed note.
 * @module
 */
import { sanitizeToolId } from "./common.ts";
import type { ChatMessage, ChatRequest } from "./openai_types.ts";
import {
  type Block,
  partBlocks,
  plainText,
  textBlock,
  textBlocks,
} from "./from_openai_request_content.ts";
import { anthropicToolChoice, anthropicTools, thinkingFor } from "./from_openai_request_tools.ts";

/** Re-exported: pick the `thinking` option from the upstream model id. */
export { thinkingStyleFor } from "./from_openai_request_tools.ts";

/** Options for {@link fromOpenAIRequest}. */
export interface FromOpenAIRequestOptions {
  /** `max_tokens` when the client sets neither max_completion_tokens nor max_tokens (4096). */
  defaultMaxTokens?: number;
  /**
   * How `reasoning_effort` becomes thinking: `"budget"` (default) sends
   * `{type:"enabled", budget_tokens}`; `"adaptive"` sends `{type:"adaptive"}` plus
   * `output_config.effort`, for models that reject budgets (Claude 4.7+; see
   * {@link thinkingStyleFor}).
   */
  thinking?: "budget" | "adaptive";
}

/** The default `max_tokens` (OpenAI's is "as many as fit"; Anthropic requires a number). */
export const DEFAULT_MAX_TOKENS = 4096;

/** Text of the user turn added when a request holds only system messages. */
export const CONTINUE_TEXT = "(continue)";

interface Turn {
  role: "user" | "assistant";
  content: Block[];
}

/** Translates a Chat Completions request into an Anthropic Messages request body. */
export function fromOpenAIRequest(
  chat: ChatRequest,
  options: FromOpenAIRequestOptions = {},
): Record<string, unknown> {
  const { system, turns } = conversation(Array.isArray(chat.messages) ? chat.messages : []);
  const body: Record<string, unknown> = { model: chat.model };
  body.messages = turns.length
    ? turns.map((t) => ({ role: t.role, content: t.content }))
    : [{ role: "user", content: CONTINUE_TEXT }];
  if (system.length) body.system = system;

  const { choice, allowed } = anthropicToolChoice(chat);
  const tools = anthropicTools(chat, allowed);
  // tool_choice without tools is a 400 on Anthropic.
  if (tools.length) {
    body.tools = tools;
    if (choice) body.tool_choice = choice;
  }

  const explicitMax = positive(chat.max_completion_tokens) ?? positive(chat.max_tokens);
  let maxTokens = explicitMax ?? positive(options.defaultMaxTokens) ?? DEFAULT_MAX_TOKENS;
  const thinking = !thinkingAllowed(turns, body.tool_choice as Block | undefined)
    ? undefined
    : thinkingFor(
      chat.reasoning_effort,
      maxTokens,
      explicitMax !== undefined,
      options.thinking ?? "budget",
    );
  if (thinking) {
    maxTokens = thinking.maxTokens;
    body.thinking = thinking.thinking;
    if (thinking.outputConfig) body.output_config = thinking.outputConfig;
  }
  body.max_tokens = maxTokens;

  const stops = stopSequences(chat.stop);
  if (stops.length) body.stop_sequences = stops;
  // Thinking forbids changing temperature/top_p/top_k.
  if (!thinking) {
    if (typeof chat.temperature === "number") {
      body.temperature = Math.min(1, Math.max(0, chat.temperature)); // OpenAI 0–2 → Anthropic 0–1
    }
    // Newer Claude models reject temperature and top_p together; temperature is the common knob.
    if (typeof chat.top_p === "number" && body.temperature === undefined) body.top_p = chat.top_p;
    if (typeof chat.top_k === "number") body.top_k = chat.top_k;
  }
  const user = typeof chat.user === "string" && chat.user
    ? chat.user
    : typeof chat.safety_identifier === "string" && chat.safety_identifier
    ? chat.safety_identifier
    : undefined;
  if (user) body.metadata = { user_id: user };
  if (typeof chat.stream === "boolean") body.stream = chat.stream;
  return body;
}

/**
 * Thinking is possible only when Anthropic's thinking rules can be met without signatures:
 * - not with forced tool use (`any`/`tool`) — the client's tool_choice wins;
 * - not in the middle of a tool loop (last turn holds tool results) or after an assistant
 *   prefill: Anthropic then requires that assistant turn to start with its signed thinking
 *   block ("a final assistant message must start with a thinking block"), which OpenAI clients
 *   do not keep. Such continuations run without thinking; the next fresh user turn has it again.
 */
function thinkingAllowed(turns: Turn[], toolChoice: Block | undefined): boolean {
  if (toolChoice && (toolChoice.type === "any" || toolChoice.type === "tool")) return false;
  const last = turns.at(-1);
  if (!last) return true;
  return last.role === "user" && !last.content.some((b) => b.type === "tool_result");
}

/** Whether a streamed answer must end with a usage chunk (`stream_options.include_usage`). */
export function wantsUsage(chat: ChatRequest): boolean {
  return chat.stream === true && chat.stream_options?.include_usage === true;
}

function positive(n: unknown): number | undefined {
  return typeof n === "number" && Number.isFinite(n) && n > 0 ? Math.floor(n) : undefined;
}

/** `stop` → `stop_sequences`; Anthropic rejects empty and whitespace-only sequences. */
function stopSequences(stop: unknown): string[] {
  const list = typeof stop === "string" ? [stop] : Array.isArray(stop) ? stop : [];
  return list.filter((s): s is string => typeof s === "string" && s.trim() !== "");
}

/** Messages → system blocks and alternating user/assistant turns. */
function conversation(messages: ChatMessage[]): { system: Block[]; turns: Turn[] } {
  const system: Block[] = [];
  const turns: Turn[] = [];
  // Legacy function calling has no ids: pair each `function` result with the oldest open call.
  const openLegacyCalls = new Map<string, string[]>();
  let legacyCount = 0;

  const push = (role: Turn["role"], blocks: Block[]) => {
    if (!blocks.length) return;
    const last = turns.at(-1);
    if (last?.role === role) last.content.push(...blocks);
    else turns.push({ role, content: blocks });
  };

  messages.forEach((message, index) => {
    const m = message as Record<string, any>;
    switch (m?.role) {
      case "system":
      case "developer":
        system.push(...textBlocks(m.content));
        break;
      case "user":
        push("user", partBlocks(m.content));
        break;
      case "assistant": {
        // reasoning_content is dropped: no signature, no thinking block (see module doc).
        const blocks = textBlocks(m.content ?? null);
        if (!blocks.length && typeof m.refusal === "string") blocks.push(...textBlock(m.refusal));
        const calls = Array.isArray(m.tool_calls) ? m.tool_calls : [];
        calls.forEach((call: Record<string, any>, j: number) => {
          const id = call?.id ? sanitizeToolId(String(call.id)) : `call_${index}_${j}`;
          blocks.push(toolUse(id, call?.function?.name, call?.function?.arguments));
        });
        if (m.function_call?.name) {
          const id = `call_function_${legacyCount++}`;
          const name = String(m.function_call.name);
          openLegacyCalls.set(name, [...(openLegacyCalls.get(name) ?? []), id]);
          blocks.push(toolUse(id, name, m.function_call.arguments));
        }
        push("assistant", blocks);
        break;
      }
      case "tool":
        push("user", [toolResult(sanitizeToolId(m.tool_call_id ?? `call_${index}`), m.content)]);
        break;
      case "function": {
        const name = String(m.name ?? "");
        const id = openLegacyCalls.get(name)?.shift();
        // Without a matching call, a tool_result would be a 400: keep the text as user text.
        push(
          "user",
          id
            ? [toolResult(id, m.content)]
            : textBlock(`Result of function ${name}:\n${plainText(m.content)}`),
        );
        break;
      }
    }
  });

  for (const turn of turns) {
    // Anthropic wants tool_result blocks first in their user turn.
    if (turn.role === "user") turn.content = orderToolResultsFirst(turn.content);
  }
  trimFinalAssistant(turns);
  return { system, turns };
}

function toolUse(id: string, name: unknown, args: unknown): Block {
  return {
    type: "tool_use",
    id,
    name: typeof name === "string" ? name : "",
    input: parseArguments(args),
  };
}

/** Tool-call arguments (a JSON string) → an object; anything else → `{}` (never a string). */
export function parseArguments(args: unknown): Record<string, unknown> {
  if (args && typeof args === "object" && !Array.isArray(args)) {
    return args as Record<string, unknown>;
  }
  if (typeof args !== "string" || !args.trim()) return {};
  try {
    const parsed = JSON.parse(args);
    return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

function toolResult(toolUseId: string, content: unknown): Block {
  const block: Block = { type: "tool_result", tool_use_id: toolUseId };
  if (typeof content === "string") {
    if (content) block.content = content;
  } else {
    const blocks = partBlocks(content as Parameters<typeof partBlocks>[0]);
    if (blocks.length) block.content = blocks;
  }
  return block;
}

function orderToolResultsFirst(blocks: Block[]): Block[] {
  const results = blocks.filter((b) => b.type === "tool_result");
  if (!results.length || results.length === blocks.length) return blocks;
  return [...results, ...blocks.filter((b) => b.type !== "tool_result")];
}

/** A final assistant turn is a prefill, and Anthropic rejects trailing whitespace in it. */
function trimFinalAssistant(turns: Turn[]): void {
  const last = turns.at(-1);
  if (last?.role !== "assistant") return;
  const block = last.content.at(-1);
  if (block?.type !== "text") return;
  const text = String(block.text).trimEnd();
  if (text) last.content[last.content.length - 1] = { ...block, text };
  else last.content.pop();
  if (!last.content.length) turns.pop();
}
