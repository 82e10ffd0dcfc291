/**
 * The part of an Anthropic Messages request the gateway validates and reads. Only the top
 * level is checked here: the upstream validates content, and checking 100 KB bodies deeply on
 * every request would cost more than it catches.
 * @module
 */
import { z } from "zod/v3"; // why v3: src/config/schema.ts

/** `POST /v1/messages` top level. */
export const MessagesRequestHead = z.object({
  model: z.string().min(1, "model must not be empty"),
  messages: z.array(z.unknown()),
  max_tokens: z.number().int().positive(),
  stream: z.boolean().optional(),
  metadata: z.object({ user_id: z.string().nullish() }).passthrough().nullish(),
}).passthrough();

/** `POST /v1/messages/count_tokens` top level. */
export const CountTokensRequestHead = z.object({
  model: z.string().min(1, "model must not be empty"),
  messages: z.array(z.unknown()),
}).passthrough();

/**
 * Formats zod issues as one readable line: `max_tokens: Expected number, received string`.
 * `spell` writes a non-empty path (dotted by default; the OpenAI door passes its own).
 */
export function describeIssues(
  error: z.ZodError,
  spell: (path: (string | number)[]) => string = (path) => path.join("."),
): string {
  return error.issues.map((i) => {
    const path = i.path.length ? spell(i.path) : "body";
    const missing = i.code === "invalid_type" && i.received === "undefined";
    return missing ? `${path}: Field required` : `${path}: ${i.message}`;
  }).join("; ");
}

/**
 * The Claude Code session id inside `metadata.user_id`: a JSON string with `session_id`
 * (Claude Code ≥ 2.1.78) or the older `user_<hash>_account_<uuid>_session_<uuid>` form.
 */
export function sessionIdFromUserId(userId: string | null | undefined): string | undefined {
  if (!userId) return undefined;
  if (userId.startsWith("{")) {
    try {
      const parsed = JSON.parse(userId);
      return typeof parsed?.session_id === "string" && parsed.session_id
        ? parsed.session_id
        : undefined;
    } catch {
      return undefined;
    }
  }
  return userId.match(/_session_([0-9a-f-]{8,})$/i)?.[1];
}
