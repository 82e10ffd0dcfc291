/**
 * Non-streaming OpenAI Chat Completion → Anthropic Message (protocols.md §3.6).
 * @module
 */
import { anthropicUsageFrom, newMessageId, sanitizeToolId, stopReasonFor } from "./common.ts";
import { parseToolArguments } from "./from_openai_json_args.ts";
import { splitThinkTags } from "./from_openai_think.ts";
import type { ChatCompletion } from "./openai_types.ts";
import { clientToolName } from "./tool_names.ts";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === "string" ? v : "");

/** Text of a `content` that some servers send as an array of parts instead of a string. */
function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((p) => (isObj(p) && typeof p.text === "string" ? p.text : "")).join("");
}

/** True when tool arguments are a complete JSON document (or absent, meaning `{}`). */
function argumentsComplete(raw: unknown): boolean {
  if (typeof raw !== "string" || !raw.trim()) return true;
  try {
    JSON.parse(raw);
    return true;
  } catch {
    return false;
  }
}

/**
 * Converts a Chat Completion to an Anthropic Message for `model` (the name the client asked
 * for). Reasoning (`reasoning_content`, `reasoning`, or a leading `<think>…</think>`) becomes a
 * leading `thinking` block with `signature: ""` — no valid signature exists, so a gateway must
 * drop such blocks before sending a conversation to real Anthropic. Tool calls become
 * `tool_use` blocks whose `input` is always an object; `stop_reason` is `tool_use` whenever
 * one exists. `toolNames` maps names shortened for the upstream back to the client's.
 */
export function fromOpenAIResponse(
  json: ChatCompletion,
  model: string,
  toolNames?: ReadonlyMap<string, string>,
): Record<string, unknown> {
  const raw = json as unknown as Obj;
  const choices = Array.isArray(raw?.choices) ? raw.choices : [];
  const choice = (choices.find((c) => isObj(c) && (c.index ?? 0) === 0) ?? choices[0]) as
    | Obj
    | undefined;
  const message: Obj = isObj(choice?.message) ? choice.message : {};

  const content: Obj[] = [];
  const split = splitThinkTags(contentText(message.content));
  const thinking = str(message.reasoning_content) || str(message.reasoning) || split.thinking;
  if (thinking) content.push({ type: "thinking", thinking, signature: "" });
  const text = split.text || str(message.refusal);
  if (text) content.push({ type: "text", text });

  const calls = Array.isArray(message.tool_calls) ? [...message.tool_calls] : [];
  if (isObj(message.function_call)) calls.push({ function: message.function_call }); // legacy shape
  const usedIds = new Set<string>();
  let truncated = false;
  for (const call of calls) {
    if (!isObj(call)) continue;
    const fn = isObj(call.function) ? call.function : {};
    const name = str(fn.name);
    if (!name) continue; // a tool_use without a name cannot be executed
    let id = sanitizeToolId(str(call.id));
    for (let n = 2; usedIds.has(id); n++) id = `${sanitizeToolId(str(call.id))}_${n}`;
    usedIds.add(id);
    if (!argumentsComplete(fn.arguments)) truncated = true;
    content.push({
      type: "tool_use",
      id,
      name: clientToolName(name, toolNames),
      input: parseToolArguments(fn.arguments),
    });
  }

  const hasToolUse = content.some((b) => b.type === "tool_use");
  const finishReason = str(choice?.finish_reason) || null;
  // A refusal field with no answer is a refusal even when finish_reason says "stop".
  const refused = !split.text && !!str(message.refusal) && !hasToolUse;
  return {
    id: newMessageId(),
    type: "message",
    role: "assistant",
    model,
    content,
    // A call cut off by the limit is reported as max_tokens (as Anthropic does), so the client
    // does not run a truncated command as if it were complete.
    stop_reason: refused
      ? "refusal"
      : finishReason === "length" && truncated
      ? "max_tokens"
      : stopReasonFor(finishReason, hasToolUse),
    stop_sequence: null,
    usage: anthropicUsageFrom(isObj(raw?.usage) ? (raw.usage as never) : undefined),
  };
}
