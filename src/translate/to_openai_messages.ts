/**
 * Anthropic `system` + `messages` → Chat Completions `messages` (protocols.md §3.5, pitfalls
 * §3.8 #7–#9). Used by {@link toOpenAIRequest}; split out to keep files small.
 * @module
 */
import { sanitizeToolId } from "./common.ts";
import type { ChatContentPart, ChatMessage, ChatToolCall } from "./openai_types.ts";

/** A parsed JSON object with unknown fields. */
export type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === "string" ? v : "");

/** How messages are shaped for the upstream. */
export interface MessageOptions {
  /** Role for the system prompt and for mid-conversation system messages. */
  systemRole: "system" | "developer";
  /** Send thinking text back as assistant `reasoning_content` (DeepSeek/Kimi thinking mode). */
  replayReasoning: boolean;
}

/** Claude Code's attribution block (`x-anthropic-billing-header: cc_version=…`): meaningless upstream. */
export function isBillingHeader(text: string): boolean {
  return /^\s*x-anthropic-billing-header:/i.test(text);
}

/** Text of a system prompt (string or text blocks), joined with blank lines, billing header dropped. */
export function systemText(system: unknown): string {
  const texts = typeof system === "string" ? [system] : Array.isArray(system)
    ? system.map((
      b,
    ) => (typeof b === "string" ? b : isObj(b) && b.type === "text" ? str(b.text) : ""))
    : [];
  return texts.filter((t) => t.trim() && !isBillingHeader(t)).join("\n\n");
}

/** Converts the whole conversation, system prompt first. */
export function toOpenAIMessages(body: Obj, options: MessageOptions): ChatMessage[] {
  const out: ChatMessage[] = [];
  const system = systemText(body.system);
  if (system) out.push({ role: options.systemRole, content: system });
  for (const message of Array.isArray(body.messages) ? body.messages : []) {
    if (!isObj(message)) continue;
    switch (message.role) {
      case "system": {
        // Claude Code ≥ 2.1.3xx sends system messages inside `messages`; keep them in place.
        const text = systemText(message.content);
        if (text) out.push({ role: options.systemRole, content: text });
        break;
      }
      case "assistant":
        assistantMessage(message.content, options, out);
        break;
      case "user":
        userMessages(message.content, out);
        break;
    }
  }
  return repairToolSequence(out);
}

// ------------------------------------------------------------------------------- content parts

function imagePart(block: Obj): ChatContentPart {
  const source = isObj(block.source) ? block.source : {};
  if (source.type === "base64") {
    return {
      type: "image_url",
      image_url: {
        url: `data:${str(source.media_type) || "image/png"};base64,${str(source.data)}`,
      },
    };
  }
  if (source.type === "url") return { type: "image_url", image_url: { url: str(source.url) } };
  // Anthropic Files API ids mean nothing to another provider.
  return {
    type: "text",
    text: "[image omitted: an Anthropic file reference cannot be sent to this model]",
  };
}

function documentParts(block: Obj): ChatContentPart[] {
  const source = isObj(block.source) ? block.source : {};
  const title = str(block.title);
  switch (source.type) {
    case "base64":
      return [{
        type: "file",
        file: {
          filename: title || "document.pdf",
          file_data: `data:${str(source.media_type) || "application/pdf"};base64,${
            str(source.data)
          }`,
        },
      }];
    case "text":
      return [{ type: "text", text: title ? `${title}\n\n${str(source.data)}` : str(source.data) }];
    case "content": {
      const inner = typeof source.content === "string"
        ? [{ type: "text", text: source.content }]
        : source.content;
      return Array.isArray(inner) ? inner.filter(isObj).flatMap(contentPart) : [];
    }
    case "url":
      return [{
        type: "text",
        text: `[document${title ? ` "${title}"` : ""}: ${str(source.url)}]`,
      }];
    default:
      return [{
        type: "text",
        text: "[document omitted: an Anthropic file reference cannot be sent to this model]",
      }];
  }
}

function searchResultText(block: Obj): string {
  const body = Array.isArray(block.content)
    ? block.content.map((c) => (isObj(c) ? str(c.text) : "")).join("\n")
    : "";
  return [str(block.title), str(block.source), body].filter(Boolean).join("\n");
}

/** One Anthropic user-side block → Chat content parts (empty for blocks with no equivalent). */
function contentPart(block: Obj): ChatContentPart[] {
  switch (block.type) {
    case "text":
      return str(block.text) ? [{ type: "text", text: str(block.text) }] : [];
    case "image":
      return [imagePart(block)];
    case "document":
      return documentParts(block);
    case "search_result":
      return [{ type: "text", text: searchResultText(block) }];
    default:
      return []; // thinking, server-tool results, container uploads…: nothing to send
  }
}

/** Plain string when the parts are all text (several upstreams reject part arrays). */
function collapse(parts: ChatContentPart[]): string | ChatContentPart[] {
  if (parts.every((p) => p.type === "text")) {
    return parts.map((p) => (p as { text: string }).text).join("\n\n");
  }
  return parts;
}

// ------------------------------------------------------------------------------------ user

function userMessages(content: unknown, out: ChatMessage[]) {
  if (typeof content === "string") {
    out.push({ role: "user", content });
    return;
  }
  if (!Array.isArray(content)) return;
  const toolMessages: ChatMessage[] = [];
  const attachments: ChatContentPart[] = [];
  const parts: ChatContentPart[] = [];
  for (const block of content) {
    if (!isObj(block)) continue;
    if (block.type === "tool_result") toolMessages.push(toolMessage(block, attachments));
    else parts.push(...contentPart(block));
  }
  // Tool results must directly follow the assistant's tool_calls; the user's own text comes after.
  out.push(...toolMessages);
  const rest = [...attachments, ...parts];
  if (rest.length) out.push({ role: "user", content: collapse(rest) });
}

/**
 * A tool_result → one `role:"tool"` message. Tool messages take text only ("Image URLs are only
 * allowed for messages with role 'user'"), so images and files go to `attachments`, which the
 * caller sends in the user message that follows (pitfall 7).
 */
function toolMessage(block: Obj, attachments: ChatContentPart[]): ChatMessage {
  const id = sanitizeToolId(str(block.tool_use_id));
  const texts: string[] = [];
  const media: ChatContentPart[] = [];
  const items = typeof block.content === "string"
    ? [{ type: "text", text: block.content }]
    : block.content;
  for (const item of Array.isArray(items) ? items : []) {
    if (!isObj(item)) continue;
    if (item.type === "tool_reference") {
      // Tool search result: the named tool is now part of the request's tools.
      texts.push(`Tool loaded: ${str(item.tool_name)}`);
      continue;
    }
    for (const part of contentPart(item)) {
      if (part.type === "text") texts.push((part as { text: string }).text);
      else media.push(part);
    }
  }
  let text = texts.join("\n");
  if (media.length) {
    text += `${
      text ? "\n" : ""
    }[${media.length} attachment(s) from this tool result follow in the next user message]`;
    attachments.push({ type: "text", text: `Attachment(s) from tool result ${id}:` }, ...media);
  }
  if (!text) text = "(no output)"; // some upstreams reject empty tool messages
  if (block.is_error === true) text = `Error: ${text}`;
  return { role: "tool", tool_call_id: id, content: text };
}

// ------------------------------------------------------------------------------- assistant

function argumentsOf(input: unknown): string {
  if (typeof input === "string") {
    // A client that sent the JSON as a string: pass it on only when it is an object.
    try {
      const parsed = JSON.parse(input);
      return isObj(parsed) ? JSON.stringify(parsed) : "{}";
    } catch {
      return "{}";
    }
  }
  return isObj(input) ? JSON.stringify(input) : "{}"; // never "" (pitfall 3)
}

function assistantMessage(content: unknown, options: MessageOptions, out: ChatMessage[]) {
  const texts: string[] = [];
  const toolCalls: ChatToolCall[] = [];
  const reasoning: string[] = [];
  for (
    const block of typeof content === "string"
      ? [{ type: "text", text: content }]
      : Array.isArray(content)
      ? content
      : []
  ) {
    if (!isObj(block)) continue;
    if (block.type === "text" && str(block.text)) texts.push(str(block.text));
    else if (block.type === "tool_use") {
      toolCalls.push({
        id: sanitizeToolId(str(block.id)),
        type: "function",
        function: { name: str(block.name), arguments: argumentsOf(block.input) },
      });
    } else if (block.type === "thinking" && str(block.thinking)) {
      reasoning.push(str(block.thinking));
    }
    // redacted_thinking, server_tool_use and server-tool results have no Chat equivalent.
  }
  // Text after a tool_use cannot keep its position in Chat Completions (pitfall 8): all text
  // goes into `content`, in order.
  const message: Extract<ChatMessage, { role: "assistant" }> = {
    role: "assistant",
    content: texts.length ? texts.join("\n\n") : null,
  };
  if (toolCalls.length) message.tool_calls = toolCalls;
  if (options.replayReasoning && (reasoning.length || toolCalls.length)) {
    // DeepSeek/Kimi 400 when a tool-call turn lacks reasoning_content; "" is accepted.
    message.reasoning_content = reasoning.join("\n\n");
  }
  if (message.content === null && !toolCalls.length) {
    if (!message.reasoning_content) return; // nothing left to send (e.g. thinking only)
    message.content = "";
  }
  out.push(message);
}

// ------------------------------------------------------------------------------- repair

/**
 * Chat Completions requires every assistant `tool_calls` message to be followed directly by
 * one tool message per call. Anthropic input normally satisfies this; this pass makes sure:
 * system messages between a call and its results move after the results, a missing result
 * gets a placeholder, and a result without a call becomes user text.
 */
function repairToolSequence(messages: ChatMessage[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i];
    if (message.role === "tool") {
      out.push({
        role: "user",
        content: `Result of tool call ${message.tool_call_id}:\n${message.content}`,
      });
      continue;
    }
    out.push(message);
    if (message.role !== "assistant" || !message.tool_calls?.length) continue;
    const waiting = new Set(message.tool_calls.map((c) => c.id));
    const moved: ChatMessage[] = [];
    let j = i + 1;
    for (; j < messages.length && waiting.size; j++) {
      const next = messages[j];
      if (next.role === "tool" && waiting.has(next.tool_call_id)) {
        waiting.delete(next.tool_call_id);
        out.push(next);
      } else if (next.role === "system" || next.role === "developer") {
        moved.push(next);
      } else break;
    }
    for (const id of waiting) out.push({ role: "tool", tool_call_id: id, content: "(no result)" });
    out.push(...moved);
    i = j - 1;
  }
  return out;
}
