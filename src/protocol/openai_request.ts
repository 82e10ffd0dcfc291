/**
 * The part of an OpenAI Chat Completions request the gateway validates before routing. Like
 * {@link MessagesRequestHead}, only the top level and each message's role are checked: content
 * is the upstream's (or the translator's) business.
 * @module
 */
import { z } from "zod/v3"; // why v3: src/config/schema.ts
import { describeIssues } from "./anthropic_request.ts";

/** Message roles Chat Completions accepts (`function` is the legacy tool-result role). */
export const CHAT_ROLES = ["system", "developer", "user", "assistant", "tool", "function"] as const;

const positiveInt = z.number().int().positive();

/**
 * `POST /v1/chat/completions` top level. Optional fields also accept `null`, which OpenAI treats
 * as "not set" and several clients send.
 */
export const ChatRequestHead = z.object({
  model: z.string().min(1, "model must not be empty"),
  messages: z.array(
    z.object({
      role: z.enum(CHAT_ROLES, {
        errorMap: () => ({ message: `role must be one of ${CHAT_ROLES.join(", ")}` }),
      }),
    }).passthrough(),
  ).min(1, "messages must contain at least one message"),
  stream: z.boolean().nullish(),
  max_tokens: positiveInt.nullish(),
  max_completion_tokens: positiveInt.nullish(),
  // One choice per request: the Anthropic Messages API has no equivalent of n > 1.
  n: z.literal(1, {
    errorMap: () => ({ message: "n > 1 is not supported: this gateway returns a single choice" }),
  }).nullish(),
}).passthrough();

/** The validated head (other fields pass through untyped). */
export type ChatRequestHeadShape = z.infer<typeof ChatRequestHead>;

/** `messages.3.role` → OpenAI's own spelling of a parameter path, `messages[3].role`. */
function paramPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    out += typeof part === "number" ? `[${part}]` : `${out ? "." : ""}${String(part)}`;
  }
  return out;
}

/** Formats zod issues as one readable line: `messages[0].role: role must be one of …`. */
export function describeOpenAIIssues(error: z.ZodError): string {
  return describeIssues(error, paramPath);
}

/** The parameter the first issue is about, for the `param` field of the OpenAI error. */
export function openAIIssueParam(error: z.ZodError): string | null {
  const path = error.issues[0]?.path;
  return path?.length ? paramPath(path) : null;
}
