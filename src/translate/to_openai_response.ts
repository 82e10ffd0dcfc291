/**
 * Anthropic Messages response (non-streaming) → OpenAI Chat Completion (protocols.md §3.6).
 *
 * Thinking goes to `message.reasoning_content` (the DeepSeek/Kimi spelling most OpenAI-style
 * clients read; OpenRouter's `reasoning` is not set to avoid showing it twice). Signatures and
 * redacted thinking are dropped. Server-tool blocks (web search…) have no Chat Completions
 * equivalent and are dropped; their effect is in the text.
 * @module
 */
import { finishReasonFor, openAIUsageFrom } from "./common.ts";
import type { ChatCompletion, ChatToolCall, ChatUsage } from "./openai_types.ts";

/** `msg_01abc` → `chatcmpl-01abc`, so logs on both sides can be matched; else a fresh id. */
export function completionIdFor(messageId: unknown): string {
  if (typeof messageId === "string" && messageId) {
    return `chatcmpl-${messageId.replace(/^msg_/, "")}`;
  }
  return `chatcmpl-${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`;
}

/**
 * The finish_reason for a stop_reason, consistent with the tool calls actually present: a
 * `tool_calls` finish without calls would make clients wait for calls that never come, and
 * calls under a `stop` finish get ignored by some clients (protocols.md §3.8 #5).
 */
export function finishReasonWithTools(
  stopReason: string | null | undefined,
  toolCalls: number,
): string | null {
  const reason = finishReasonFor(stopReason);
  if (reason === "tool_calls" && toolCalls === 0) return "stop";
  if (reason === "stop" && toolCalls > 0) return "tool_calls";
  return reason;
}

/** Anthropic usage → OpenAI usage, with thinking tokens as reasoning tokens when reported. */
export function chatUsageFrom(usage: Record<string, any> | null | undefined): ChatUsage {
  const out = openAIUsageFrom(usage ?? undefined);
  const thinking = usage?.output_tokens_details?.thinking_tokens;
  if (typeof thinking === "number") out.completion_tokens_details = { reasoning_tokens: thinking };
  return out;
}

/** Translates an Anthropic Message into a Chat Completion reported under `model`. */
export function toOpenAIResponse(message: Record<string, any>, model: string): ChatCompletion {
  let text = "";
  let hasText = false;
  let reasoning = "";
  let hasReasoning = false;
  const toolCalls: ChatToolCall[] = [];
  for (const block of Array.isArray(message?.content) ? message.content : []) {
    switch (block?.type) {
      case "text":
        if (typeof block.text === "string") {
          text += block.text;
          hasText = true;
        }
        break;
      case "thinking":
        if (typeof block.thinking === "string") {
          reasoning += block.thinking;
          hasReasoning = true;
        }
        break;
      case "tool_use":
        toolCalls.push({
          id: String(block.id ?? ""),
          type: "function",
          function: {
            name: String(block.name ?? ""),
            arguments: JSON.stringify(block.input ?? {}),
          },
        });
        break;
    }
  }
  const choiceMessage: ChatCompletion["choices"][number]["message"] = {
    role: "assistant",
    content: hasText ? text : null,
    refusal: null,
  };
  if (hasReasoning) choiceMessage.reasoning_content = reasoning;
  if (toolCalls.length) choiceMessage.tool_calls = toolCalls;
  return {
    id: completionIdFor(message?.id),
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{
      index: 0,
      message: choiceMessage,
      finish_reason: finishReasonWithTools(message?.stop_reason, toolCalls.length),
      logprobs: null,
    }],
    usage: chatUsageFrom(message?.usage),
  };
}
