/**
 * Chat Completions tools, tool_choice and reasoning_effort → Anthropic `tools`, `tool_choice`
 * and `thinking` (protocols.md §1.4, §1.5, §3.5 read right-to-left).
 * @module
 */
import type { ChatRequest } from "./openai_types.ts";
import type { Block } from "./from_openai_request_content.ts";

interface FunctionDef {
  name?: unknown;
  description?: unknown;
  parameters?: unknown;
}

/**
 * `tools` (and the legacy `functions`) → Anthropic custom tools. Only function tools map:
 * OpenAI `custom` (free-text grammar) tools have no Anthropic equivalent and are dropped.
 * `strict` is dropped too (Anthropic's strict tool use is a separate, beta-gated feature).
 * `allowed`, from an `allowed_tools` tool_choice, narrows the list.
 */
export function anthropicTools(chat: ChatRequest, allowed?: Set<string>): Block[] {
  const defs: FunctionDef[] = [];
  for (const tool of (Array.isArray(chat.tools) ? chat.tools : []) as Record<string, any>[]) {
    if ((tool?.type ?? "function") === "function" && tool?.function) defs.push(tool.function);
  }
  if (Array.isArray(chat.functions)) defs.push(...(chat.functions as FunctionDef[]));
  const out: Block[] = [];
  for (const def of defs) {
    if (typeof def?.name !== "string" || !def.name) continue;
    if (allowed && !allowed.has(def.name)) continue;
    out.push({
      name: def.name,
      ...(typeof def.description === "string" && def.description
        ? { description: def.description }
        : {}),
      input_schema: inputSchema(def.parameters),
    });
  }
  return out;
}

/** Anthropic requires an object schema with `type: "object"`; OpenAI allows it to be omitted. */
function inputSchema(parameters: unknown): Record<string, unknown> {
  if (!parameters || typeof parameters !== "object" || Array.isArray(parameters)) {
    return { type: "object", properties: {} };
  }
  const schema = parameters as Record<string, unknown>;
  return schema.type === undefined ? { type: "object", ...schema } : schema;
}

/** The Anthropic tool_choice and, for `allowed_tools`, the names it allows. */
export interface ToolChoiceResult {
  /** `{type:"none"|"auto"|"any"|"tool", name?, disable_parallel_tool_use?}`, or undefined. */
  choice?: Block;
  /** Tool names an `allowed_tools` choice restricts the list to. */
  allowed?: Set<string>;
}

/**
 * `tool_choice` (or the legacy `function_call`) → Anthropic tool_choice: none → none, auto →
 * auto, required → any, `{type:"function", function:{name}}` → `{type:"tool", name}`,
 * `allowed_tools` → auto/any plus the allowed names. `parallel_tool_calls: false` adds
 * `disable_parallel_tool_use: true` (creating `{type:"auto"}` when no choice was given; `none`
 * takes no such flag).
 */
export function anthropicToolChoice(chat: ChatRequest): ToolChoiceResult {
  const raw = (chat.tool_choice ?? chat.function_call) as unknown;
  let choice: Block | undefined;
  let allowed: Set<string> | undefined;
  if (raw === "none" || raw === "auto") choice = { type: raw };
  else if (raw === "required") choice = { type: "any" };
  else if (raw && typeof raw === "object") {
    const r = raw as Record<string, any>;
    const name = r.function?.name ?? r.name;
    if (r.type === "allowed_tools") {
      const spec = r.allowed_tools ?? r;
      choice = { type: spec.mode === "required" ? "any" : "auto" };
      allowed = new Set(
        (Array.isArray(spec.tools) ? spec.tools : [])
          .map((t: Record<string, any>) => t?.function?.name ?? t?.name)
          .filter((n: unknown): n is string => typeof n === "string"),
      );
    } else if (typeof name === "string" && name) choice = { type: "tool", name };
  }
  if (chat.parallel_tool_calls === false) {
    choice ??= { type: "auto" };
    if (choice.type !== "none") choice = { ...choice, disable_parallel_tool_use: true };
  }
  return { choice, allowed };
}

/** Thinking budgets per `reasoning_effort` (`minimal` gets the API minimum, 1024). */
export const EFFORT_BUDGETS: Readonly<Record<string, number>> = {
  minimal: 1024,
  low: 1024,
  medium: 4096,
  high: 16384,
  // Beyond OpenAI's classic three; kept so budget + 1024 stays within a 32K output limit.
  xhigh: 24576,
  max: 30720,
};

/** `output_config.effort` per `reasoning_effort`, for adaptive thinking. */
const ADAPTIVE_EFFORT: Readonly<Record<string, string>> = {
  minimal: "low",
  low: "low",
  medium: "medium",
  high: "high",
  xhigh: "xhigh",
  max: "max",
};

/** Claude model ids from before adaptive thinking was required (3.x, 4.0–4.6, dated 4.0 ids). */
const BUDGET_ERA = /claude-(?:3(?:[.-]|$)|(?:opus|sonnet|haiku)-4(?:$|-[0-6](?!\d)|-\d{8}|@))/;

/**
 * The thinking style a model takes: `"adaptive"` for Claude 4.7 and later (they reject budgets,
 * protocols.md §1.5), `"budget"` for older Claude ids and for non-Claude names (Anthropic-compatible
 * third parties take the classic budget form). Pass the model the upstream will see.
 */
export function thinkingStyleFor(model: string): "budget" | "adaptive" {
  const id = model.toLowerCase();
  if (!id.includes("claude")) return "budget";
  return BUDGET_ERA.test(id) ? "budget" : "adaptive";
}

/** What {@link thinkingFor} decided. */
export interface ThinkingResult {
  /** The `thinking` config. */
  thinking: Block;
  /** `max_tokens` to send (raised when the budget needs room). */
  maxTokens: number;
  /** `output_config`, for adaptive thinking. */
  outputConfig?: Block;
}

/**
 * `reasoning_effort` → Anthropic thinking, or undefined for `none`, unknown values and no
 * effort. Budget style: `{type:"enabled", budget_tokens}` with the budget capped below an
 * explicit client limit (`min(budget, max_tokens - 1)`, never under the API minimum of 1024) and
 * `max_tokens` raised to `budget + 1024` when it would not leave room. Adaptive style (Claude
 * models that reject budgets): `{type:"adaptive"}` + `output_config.effort`.
 */
export function thinkingFor(
  effort: unknown,
  maxTokens: number,
  explicitMax: boolean,
  style: "budget" | "adaptive",
): ThinkingResult | undefined {
  if (typeof effort !== "string") return undefined;
  const key = effort.toLowerCase();
  const budget = EFFORT_BUDGETS[key];
  if (budget === undefined) return undefined;
  if (style === "adaptive") {
    return {
      thinking: { type: "adaptive" },
      maxTokens,
      outputConfig: { effort: ADAPTIVE_EFFORT[key] },
    };
  }
  // OpenAI's max_completion_tokens includes reasoning, so an explicit limit caps the budget.
  const capped = Math.max(1024, explicitMax ? Math.min(budget, maxTokens - 1) : budget);
  return {
    thinking: { type: "enabled", budget_tokens: capped },
    maxTokens: maxTokens > capped ? maxTokens : capped + 1024,
  };
}
