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
  /** Call id, echoed by the matching tool message. */
  id: string;
  /** Always `function`. */
  type: "function";
  /** Function name and its arguments as a JSON string. */
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
  /** Model to run. */
  model: string;
  /** The conversation. */
  messages: ChatMessage[];
  /** Output token limit (legacy spelling). */
  max_tokens?: number;
  /** Output token limit (o-series and newer models). */
  max_completion_tokens?: number;
  /** Sampling temperature. */
  temperature?: number;
  /** Nucleus sampling mass. */
  top_p?: number;
  /** Stop sequence(s). */
  stop?: string | string[];
  /** Answer as server-sent chunks. */
  stream?: boolean;
  /** Streaming options; `include_usage` adds a final usage chunk. */
  stream_options?: { include_usage?: boolean };
  /** Functions the model may call. */
  tools?: {
    type: "function";
    function: { name: string; description?: string; parameters?: unknown; strict?: boolean };
  }[];
  /** Whether and which tool the model must call. */
  tool_choice?: "none" | "auto" | "required" | { type: "function"; function: { name: string } };
  /** Allow several tool calls in one turn. */
  parallel_tool_calls?: boolean;
  /** Reasoning effort for reasoning models (e.g. low, medium, high). */
  reasoning_effort?: string;
  /** End-user identifier. */
  user?: string;
  /** Other fields pass through untyped. */
  [key: string]: unknown;
}

/** Usage as Chat Completions reports it. */
export interface ChatUsage {
  /** Input tokens. */
  prompt_tokens: number;
  /** Output tokens (reasoning included). */
  completion_tokens: number;
  /** Input plus output tokens. */
  total_tokens: number;
  /** Cached-input breakdown, when the upstream reports it. */
  prompt_tokens_details?: { cached_tokens?: number; cache_write_tokens?: number } | null;
  /** Reasoning-token breakdown, when the upstream reports it. */
  completion_tokens_details?: { reasoning_tokens?: number } | null;
}

/** A non-streaming Chat Completions response. */
export interface ChatCompletion {
  /** Completion id. */
  id: string;
  /** Object type tag. */
  object: "chat.completion";
  /** Creation time (epoch seconds). */
  created: number;
  /** Model that answered. */
  model: string;
  /** The answers (one per request here). */
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
  /** Token usage. */
  usage?: ChatUsage;
}

/** One streamed chunk. */
export interface ChatChunk {
  /** Completion id, the same on every chunk. */
  id: string;
  /** Object type tag. */
  object: "chat.completion.chunk";
  /** Creation time (epoch seconds). */
  created: number;
  /** Model that answered. */
  model: string;
  /** Deltas for each choice. */
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
  /** Token usage (on the final chunk when requested). */
  usage?: ChatUsage | null;
}
