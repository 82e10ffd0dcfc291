/**
 * Anthropic Messages request → OpenAI Chat Completions request (protocols.md §3.5).
 *
 * The output is built from an allow-list: fields with no Chat meaning (`cache_control`
 * anywhere, `context_management`, `output_config`, `container`, `mcp_servers`,
 * `service_tier`, `safeguards`, `top_k`, `betas`, `thinking.display`…) are dropped on purpose,
 * because OpenAI-compatible servers answer 400 to unknown fields (pitfall 6).
 * @module
 */
import { cleanSchema } from "./json_schema_clean.ts";
import type { ChatRequest } from "./openai_types.ts";
import { toOpenAIMessages } from "./to_openai_messages.ts";

export { shortenToolNames } from "./tool_names.ts";

/** How {@link toOpenAIRequest} shapes the request for one upstream. */
export interface ToOpenAIOptions {
  /** Upstream model id. */
  model: string;
  /** o-series / gpt-5 reject `max_tokens` and need `max_completion_tokens`. */
  maxTokensField: "max_tokens" | "max_completion_tokens";
  /** How thinking is requested: OpenAI `reasoning_effort`, OpenRouter `reasoning`, DeepSeek `thinking`, or not at all. */
  reasoning: "reasoning_effort" | "openrouter" | "deepseek" | "none";
  /** DeepSeek/Kimi: send thinking text back as assistant `reasoning_content` (required on tool-call turns). */
  replayReasoning: boolean;
  /** Role for system prompts (`developer` for OpenAI o1 and newer). */
  systemRole: "system" | "developer";
  /** Tool JSON Schema cleaning, see {@link cleanSchema}. */
  schemaDialect: "openai" | "gemini" | "plain";
  /** Set `stream_options.include_usage` when streaming (else most servers send no usage). */
  includeUsage: boolean;
  /**
   * Optional upper bound for the output-token field: Claude Code asks for 32k–128k, which many
   * models reject with 400 ("max_tokens is too large"). Unset = pass the client's value through.
   */
  maxTokensCap?: number;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === "string" ? v : "");

/** Converts an Anthropic Messages request body to a Chat Completions request. Never throws on odd input. */
export function toOpenAIRequest(
  body: Record<string, unknown>,
  options: ToOpenAIOptions,
): ChatRequest {
  const out: ChatRequest = {
    model: options.model,
    messages: toOpenAIMessages(body, options),
  };

  if (typeof body.max_tokens === "number" && body.max_tokens > 0) {
    const cap = options.maxTokensCap;
    out[options.maxTokensField] = cap && cap > 0 ? Math.min(body.max_tokens, cap) : body.max_tokens;
  }
  if (typeof body.temperature === "number") out.temperature = body.temperature;
  if (typeof body.top_p === "number") out.top_p = body.top_p;
  // top_k has no Chat Completions field.
  if (Array.isArray(body.stop_sequences)) {
    const stop = body.stop_sequences.filter((s): s is string => typeof s === "string" && s !== "");
    if (stop.length) out.stop = stop;
  }

  const tools = openAITools(body.tools, body.messages, options.schemaDialect);
  if (tools.length) {
    out.tools = tools;
    const choice = isObj(body.tool_choice) ? body.tool_choice : undefined;
    switch (choice?.type) {
      case "auto":
        out.tool_choice = "auto";
        break;
      case "any":
        out.tool_choice = "required";
        break;
      case "none":
        out.tool_choice = "none";
        break;
      case "tool": {
        const name = str(choice.name);
        // Forcing a tool that was dropped (a server tool) would 400: let the model choose.
        out.tool_choice = tools.some((t) => t.function.name === name)
          ? { type: "function", function: { name } }
          : "auto";
        break;
      }
    }
    if (choice?.disable_parallel_tool_use === true) out.parallel_tool_calls = false;
  }

  applyReasoning(out, body, options.reasoning);

  const userId = isObj(body.metadata) ? body.metadata.user_id : undefined;
  // Claude Code's user_id is a JSON blob with device/session ids: not a user name, and too long.
  if (typeof userId === "string" && /^[\x21-\x7e]{1,64}$/.test(userId) && !/^[{[]/.test(userId)) {
    out.user = userId;
  }

  if (body.stream === true) {
    out.stream = true;
    if (options.includeUsage) out.stream_options = { include_usage: true };
  }
  return out;
}

/** Anthropic thinking config → effort, or undefined when thinking is off (protocols.md §3.5). */
export function reasoningEffortFor(
  body: Record<string, unknown>,
): "low" | "medium" | "high" | undefined {
  const thinking = isObj(body.thinking) ? body.thinking : undefined;
  if (thinking?.type === "enabled") {
    const budget = Number(thinking.budget_tokens);
    if (!Number.isFinite(budget)) return "medium";
    return budget <= 1024 ? "low" : budget <= 8192 ? "medium" : "high";
  }
  if (thinking?.type === "adaptive") {
    const effort = isObj(body.output_config) ? str(body.output_config.effort) : "";
    if (effort === "low" || effort === "medium") return effort;
    // "high", "xhigh", "max" — and no effort at all, where Anthropic's default is high.
    return "high";
  }
  return undefined;
}

function applyReasoning(out: ChatRequest, body: Obj, mode: ToOpenAIOptions["reasoning"]) {
  const effort = reasoningEffortFor(body);
  if (!effort) return;
  switch (mode) {
    case "reasoning_effort":
      out.reasoning_effort = effort;
      break;
    case "openrouter":
      out.reasoning = { effort };
      break;
    case "deepseek":
      out.thinking = { type: "enabled" };
      out.reasoning_effort = effort;
      break;
  }
}

/** Names that a tool-search result (`tool_reference` inside a tool_result) has made visible. */
function referencedTools(messages: unknown): Set<string> {
  const names = new Set<string>();
  for (const message of Array.isArray(messages) ? messages : []) {
    if (!isObj(message) || !Array.isArray(message.content)) continue;
    for (const block of message.content) {
      if (!isObj(block) || block.type !== "tool_result" || !Array.isArray(block.content)) continue;
      for (const item of block.content) {
        if (isObj(item) && item.type === "tool_reference" && str(item.tool_name)) {
          names.add(str(item.tool_name));
        }
      }
    }
  }
  return names;
}

/**
 * Client tools → Chat function tools. Server tools (`web_search_*`, `bash_*`,
 * `text_editor_*`… anything typed other than "custom") run on Anthropic's side and have no
 * upstream equivalent, so they are dropped. `defer_loading` tools stay hidden until a tool
 * search result references them, as on Anthropic (Claude Code's `DeferredToolPlaceholder`).
 */
export function openAITools(
  tools: unknown,
  messages: unknown,
  dialect: ToOpenAIOptions["schemaDialect"],
): NonNullable<ChatRequest["tools"]> {
  const out: NonNullable<ChatRequest["tools"]> = [];
  if (!Array.isArray(tools)) return out;
  const referenced = referencedTools(messages);
  const seen = new Set<string>();
  for (const tool of tools) {
    if (!isObj(tool)) continue;
    if (tool.type !== undefined && tool.type !== null && tool.type !== "custom") continue;
    const name = str(tool.name);
    if (!name || seen.has(name)) continue;
    if (tool.defer_loading === true && !referenced.has(name)) continue;
    seen.add(name);
    const fn: NonNullable<ChatRequest["tools"]>[number]["function"] = {
      name,
      ...(str(tool.description) ? { description: str(tool.description) } : {}),
      parameters: cleanSchema(tool.input_schema, dialect),
    };
    // Strict mode needs OpenAI's own schema rules; other servers may reject the flag.
    if (dialect === "openai" && tool.strict === true) fn.strict = true;
    out.push({ type: "function", function: fn });
  }
  return out;
}
