/**
 * Request cleaning for Anthropic-compatible third parties: drop fields they reject and fold
 * Claude Code's mid-conversation `role: "system"` messages into user turns.
 * @module
 */
import type { ProviderConfig } from "../../config/schema.ts";
import type { BodyCleaner } from "../anthropic/request.ts";

/** The part of an Anthropic message the system-message folding reads. */
export type Message = { role: string; content: unknown };

function asBlocks(content: unknown): unknown[] {
  if (typeof content === "string") return [{ type: "text", text: content }];
  return Array.isArray(content) ? content : [];
}

/**
 * Turns `role: "system"` entries into user text and merges neighbouring user turns, so the
 * conversation still alternates user/assistant. Returns undefined when there were none.
 */
export function foldSystemMessages(messages: unknown): Message[] | undefined {
  if (!Array.isArray(messages) || !messages.some((m) => m?.role === "system")) return undefined;
  const out: Message[] = [];
  for (const m of messages as Message[]) {
    const role = m.role === "system" ? "user" : m.role;
    const content = m.role === "system"
      ? asBlocks(m.content).map((b) =>
        (b as { type?: string }).type === "text"
          ? {
            ...(b as object),
            text: `<system-reminder>\n${(b as { text: string }).text}\n</system-reminder>`,
          }
          : b
      )
      : m.content;
    const last = out.at(-1);
    if (last && last.role === role && role === "user") {
      last.content = [...asBlocks(last.content), ...asBlocks(content)];
    } else {
      out.push({ ...m, role, content });
    }
  }
  return out;
}

/** The cleaner for a provider config, or undefined when it cleans nothing. */
export function cleanerFor(config: ProviderConfig): BodyCleaner | undefined {
  const fields = config.stripFields ?? [];
  const fold = config.systemMessages === "to-user";
  if (!fields.length && !fold) return undefined;
  return (body) => {
    let changed = false;
    for (const field of fields) {
      if (field in body) {
        delete body[field];
        changed = true;
      }
    }
    if (fold) {
      const folded = foldSystemMessages(body.messages);
      if (folded) {
        body.messages = folded;
        changed = true;
      }
    }
    return changed;
  };
}
