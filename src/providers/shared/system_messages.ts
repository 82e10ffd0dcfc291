/**
 * Claude Code (2.1.3xx, with 5.5 models) sends a `role: "system"` message inside `messages`
 * (environment, deferred tools, skills). Anthropic takes it; third-party Anthropic endpoints
 * and many OpenAI-compatible servers do not (chat templates such as Qwen's reject a system
 * message after the first turn). Folding turns it into user text in `<system-reminder>` tags —
 * the form Claude Code itself uses for models without system turns.
 * @module
 */

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
