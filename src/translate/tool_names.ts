/**
 * Tool names on the way to an OpenAI-compatible upstream. Anthropic takes tool names of up to
 * 128 characters; OpenAI's function names must match `^[a-zA-Z0-9_-]{1,64}$`, and one longer
 * name fails the whole request with a 400 (MCP tools, named `mcp__<server>__<tool>`, reach 64
 * easily). Such names are replaced by a short form that is the same on every request — tool
 * calls in the history keep matching their tools and upstream prompt caches stay warm — and the
 * answer's tool calls are mapped back to the names the client knows.
 * @module
 */
import { fingerprint } from "../util/secret.ts";
import type { ChatRequest } from "./openai_types.ts";

const VALID = /^[a-zA-Z0-9_-]{1,64}$/;

/** The name an OpenAI upstream accepts for `name`: itself when valid, else a stable short form. */
export function upstreamToolName(name: string): string {
  if (VALID.test(name)) return name;
  // 55 characters of the name, "_", and 8 hex digits of its hash: 64, and readable in logs.
  return `${name.replace(/[^a-zA-Z0-9_-]/g, "_").slice(0, 55)}_${fingerprint(name)}`;
}

/**
 * Replaces, in place, every tool name of `request` that an OpenAI upstream would reject: the
 * tools, a forced `tool_choice` and the tool calls of assistant turns. Returns upstream name →
 * client name for the names it changed, or undefined when none needed changing.
 */
export function shortenToolNames(request: ChatRequest): Map<string, string> | undefined {
  let names: Map<string, string> | undefined;
  const rename = (name: string): string => {
    const short = upstreamToolName(name);
    if (short !== name) (names ??= new Map()).set(short, name);
    return short;
  };
  for (const tool of request.tools ?? []) tool.function.name = rename(tool.function.name);
  const choice = request.tool_choice;
  if (typeof choice === "object") choice.function.name = rename(choice.function.name);
  for (const message of request.messages) {
    if (message.role !== "assistant") continue;
    for (const call of message.tool_calls ?? []) call.function.name = rename(call.function.name);
  }
  return names;
}

/** The client's name for a tool the upstream called `name`. */
export function clientToolName(name: string, names?: ReadonlyMap<string, string>): string {
  return names?.get(name) ?? name;
}
