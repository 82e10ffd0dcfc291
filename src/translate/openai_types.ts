/**
 * The OpenAI Chat Completions shapes the translators read and write (the subset that matters;
 * unknown fields pass through untyped).
 * @module
 */

/** A content part of a user/system message. */
export type ChatContentPart =
  | { type: "text"; text: string }
  | { type: "image_url"; image_url: { url: string; detail?: string } }
  | { type: "file"; file: { file_data?: string; file_id?: string; filename?: string } }
  | { type: string; [key: string]: unknown };

/** One tool call in an assistant message. */
export interface ChatToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/** A Chat Completions message. */
export type ChatMessage =
  | { role: "system" | "developer"; content: string | ChatContentPart[]; name?: string }
  | { role: "user"; content: string | ChatContentPart[]; name?: string }
  | {
    role: "assistant";
    content?: string | ChatContentPart[] | null;
    tool_calls?: ChatToolCall[];
    reasoning_content?: string;
    reasoning?: string;
    refusal?: string | null;
    name?: string;
  }
  | { role: "tool"; tool_call_id: string; content: string | ChatContentPart[] };

/** A Chat Completions request body. */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  max_tokens?: number;
  max_completion_tokens?: number;
  temperature?: number;
  top_p?: number;
  stop?: string | string[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  tools?: {
    type: "function";
    function: { name: string; description?: string; parameters?: unknown; strict?: boolean };
  }[];
  tool_choice?: "none" | "auto" | "required" | { type: "function"; function: { name: string } };
  parallel_tool_calls?: boolean;
  reasoning_effort?: string;
  user?: string;
  [key: string]: unknown;
}

/** Usage as Chat Completions reports it. */
export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number; cache_write_tokens?: number } | null;
  completion_tokens_details?: { reasoning_tokens?: number } | null;
}

/** A non-streaming Chat Completions response. */
export interface ChatCompletion {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: {
    index: number;
    message: {
      role: "assistant";
      content: string | null;
      tool_calls?: ChatToolCall[];
      reasoning_content?: string | null;
      reasoning?: string | null;
      refusal?: string | null;
    };
    finish_reason: string | null;
    logprobs?: null;
  }[];
  usage?: ChatUsage;
}

/** One streamed chunk. */
export interface ChatChunk {
  id: string;
  object: "chat.completion.chunk";
  created: number;
  model: string;
  choices: {
    index: number;
    delta: {
      role?: "assistant";
      content?: string | null;
      reasoning_content?: string | null;
      reasoning?: string | null;
      refusal?: string | null;
      tool_calls?: {
        index?: number;
        id?: string;
        type?: "function";
        function?: { name?: string; arguments?: string };
      }[];
    };
    finish_reason: string | null;
  }[];
  usage?: ChatUsage | null;
}
