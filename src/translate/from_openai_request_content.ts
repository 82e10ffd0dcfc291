/**
 * Chat Completions content parts → Anthropic content blocks (protocols.md §3.1, §3.5 read
 * right-to-left): text, images (data URI → base64 source, http(s) → url source), files (PDF →
 * document, text → text document, image → image). What Anthropic cannot take (audio, OpenAI file
 * ids) becomes a short bracketed note, so the model can say what it did not receive instead of
 * the whole request failing.
 * @module
 */
import type { ChatContentPart } from "./openai_types.ts";

/** An Anthropic content block. */
export type Block = Record<string, unknown>;

/** Content as a Chat Completions message carries it. */
export type ChatContent = string | ChatContentPart[] | null | undefined;

/** A text block, or nothing for text Anthropic would reject (empty or whitespace-only). */
export function textBlock(text: unknown, cacheControl?: unknown): Block[] {
  if (typeof text !== "string" || !text.trim()) return [];
  return [
    cacheControl ? { type: "text", text, cache_control: cacheControl } : { type: "text", text },
  ];
}

/**
 * Text blocks only (system/developer/assistant content): text and refusal parts, in order.
 * Non-text parts cannot appear there in Chat Completions and are skipped.
 */
export function textBlocks(content: ChatContent): Block[] {
  if (typeof content === "string") return textBlock(content);
  if (!Array.isArray(content)) return [];
  const out: Block[] = [];
  for (const part of content) {
    const p = part as Record<string, any>;
    if (p?.type === "text") out.push(...textBlock(p.text, p.cache_control));
    else if (p?.type === "refusal") out.push(...textBlock(p.refusal));
  }
  return out;
}

/** The plain text of some content (text parts joined by newlines). */
export function plainText(content: ChatContent): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part) =>
      (part as { type?: string; text?: unknown }).type === "text"
        ? (part as { text?: unknown }).text
        : undefined
    )
    .filter((text): text is string => typeof text === "string")
    .join("\n");
}

/** User (and tool-result) content → blocks: text, images, documents, notes for the rest. */
export function partBlocks(content: ChatContent): Block[] {
  if (typeof content === "string") return textBlock(content);
  if (!Array.isArray(content)) return [];
  const out: Block[] = [];
  for (const part of content) out.push(...partToBlocks(part as Record<string, any>));
  return out;
}

function partToBlocks(part: Record<string, any>): Block[] {
  switch (part?.type) {
    case "text":
      return textBlock(part.text, part.cache_control);
    case "image_url": {
      const url = typeof part.image_url === "string" ? part.image_url : part.image_url?.url;
      return withCache(urlToBlock(typeof url === "string" ? url : ""), part.cache_control);
    }
    case "file":
      return withCache(fileToBlock(part.file ?? {}), part.cache_control);
    case "input_audio":
      return note("audio input omitted: this upstream does not accept audio");
    case "refusal":
      return textBlock(part.refusal);
    default:
      return note(
        `${String(part?.type ?? "unknown")} content omitted: not supported by this upstream`,
      );
  }
}

function note(text: string): Block[] {
  return [{ type: "text", text: `[${text}]` }];
}

function withCache(blocks: Block[], cacheControl: unknown): Block[] {
  if (cacheControl && blocks.length === 1 && blocks[0].type !== "text") {
    return [{ ...blocks[0], cache_control: cacheControl }];
  }
  return blocks;
}

/** An `image_url` URL: a data URI (image or PDF) or an http(s) image URL. */
function urlToBlock(url: string): Block[] {
  const data = parseDataUri(url);
  if (data) return mediaBlock(data.mediaType, data.base64);
  if (/^https?:\/\//i.test(url)) return [{ type: "image", source: { type: "url", url } }];
  return note("image omitted: only data: and http(s) image URLs are supported");
}

/** A `file` part: inline data (data URI or bare base64); OpenAI file ids cannot be forwarded. */
function fileToBlock(
  file: { file_data?: unknown; file_id?: unknown; filename?: unknown },
): Block[] {
  const filename = typeof file.filename === "string" ? file.filename : undefined;
  if (typeof file.file_data === "string" && file.file_data) {
    const data = parseDataUri(file.file_data) ?? {
      mediaType: mediaTypeFromName(filename),
      base64: file.file_data.replace(/\s/g, ""),
    };
    return mediaBlock(data.mediaType, data.base64, filename);
  }
  const id = typeof file.file_id === "string" ? ` ${file.file_id}` : "";
  return note(`file${id} omitted: OpenAI file ids cannot be sent to this upstream`);
}

/** Base64 data of some media type → image block, PDF document or text document. */
function mediaBlock(mediaType: string, base64: string, title?: string): Block[] {
  const titled = (block: Block): Block => title ? { ...block, title } : block;
  if (mediaType.startsWith("image/")) {
    // Anthropic takes jpeg/png/gif/webp; others pass through so the upstream names the problem.
    const media_type = mediaType === "image/jpg" ? "image/jpeg" : mediaType;
    return [{ type: "image", source: { type: "base64", media_type, data: base64 } }];
  }
  if (mediaType.startsWith("text/")) {
    const text = decodeBase64Text(base64);
    if (text === undefined) return note("text file omitted: invalid base64 data");
    return [
      titled({ type: "document", source: { type: "text", media_type: "text/plain", data: text } }),
    ];
  }
  // PDF, and anything else a client labels as a file: Anthropic documents are PDFs.
  return [titled({
    type: "document",
    source: { type: "base64", media_type: "application/pdf", data: base64 },
  })];
}

function mediaTypeFromName(filename: string | undefined): string {
  const ext = filename?.toLowerCase().match(/\.([a-z0-9]+)$/)?.[1];
  switch (ext) {
    case "png":
      return "image/png";
    case "jpg":
    case "jpeg":
      return "image/jpeg";
    case "gif":
      return "image/gif";
    case "webp":
      return "image/webp";
    case "txt":
    case "md":
    case "csv":
      return "text/plain";
    default:
      return "application/pdf";
  }
}

/**
 * `data:<media type>[;base64],<payload>` → media type (lower case) and base64 data; a
 * percent-encoded payload is re-encoded as base64. Undefined when `uri` is not a data URI.
 */
export function parseDataUri(uri: string): { mediaType: string; base64: string } | undefined {
  if (!/^data:/i.test(uri)) return undefined;
  const comma = uri.indexOf(",");
  if (comma < 0) return undefined;
  const [type, ...params] = uri.slice(5, comma).split(";");
  const mediaType = (type.trim() || "text/plain").toLowerCase();
  const payload = uri.slice(comma + 1);
  if (params.some((p) => p.trim().toLowerCase() === "base64")) {
    return { mediaType, base64: payload.replace(/\s/g, "") };
  }
  let text: string;
  try {
    text = decodeURIComponent(payload);
  } catch {
    text = payload;
  }
  return { mediaType, base64: encodeBase64(new TextEncoder().encode(text)) };
}

function encodeBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function decodeBase64Text(base64: string): string | undefined {
  try {
    const binary = atob(base64);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return new TextDecoder().decode(bytes);
  } catch {
    return undefined;
  }
}
