/**
 * Request bodies and headers for the benchmark: a small Messages request, and a Claude Code
 * request of 100–150 KB taken from a captured fixture (`../shared/fixtures/claude-code` beside
 * the repository), padded to the wanted size with one more realistic tool round trip, or
 * synthesised in the same shape when the fixtures are absent.
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const encoder = new TextEncoder();

/** The model every benchmark request asks for (no mapping, so the gateway forwards the bytes). */
export const BENCH_MODEL = "claude-sonnet-4-5";

/** A small Messages request (about 130 bytes), streaming or not. */
export function smallBody(stream: boolean): Uint8Array<ArrayBuffer> {
  return encoder.encode(JSON.stringify({
    model: BENCH_MODEL,
    max_tokens: 256,
    messages: [{ role: "user", content: "Say hello in one short sentence." }],
    ...(stream ? { stream: true } : {}),
  }));
}

/** Headers of every benchmark request (the client key is the gateway's; the others ignore it). */
export function baseHeaders(clientKey: string): Record<string, string> {
  return {
    "content-type": "application/json",
    "anthropic-version": "2023-06-01",
    "x-api-key": clientKey,
  };
}

/** A large Claude Code request body. */
export interface ClaudeCodeRequest {
  /** The JSON bytes. */
  body: Uint8Array<ArrayBuffer>;
  /** Claude Code's own headers from the capture (credentials and hop-by-hop removed). */
  headers: Record<string, string>;
  /** Request path and query as Claude Code sends it. */
  path: string;
  /** Where it came from (fixture file, or "synthesized"). */
  source: string;
}

/** The repository root (two levels above this file). */
export function repoRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
}

/** `../shared/fixtures/claude-code` relative to the repository, when it exists. */
export function findFixturesDir(root = repoRoot()): string | undefined {
  const dir = join(root, "..", "shared", "fixtures", "claude-code");
  try {
    return Deno.statSync(dir).isDirectory ? dir : undefined;
  } catch {
    return undefined;
  }
}

const DROP_HEADERS = new Set([
  "x-api-key",
  "authorization",
  "host",
  "content-length",
  "connection",
  "accept-encoding",
]);

interface Fixture {
  path?: string;
  url?: string;
  headers?: Record<string, string>;
  body?: Record<string, unknown>;
}

/** The captured Messages request with the largest body, or undefined. */
function largestFixture(dir: string): { file: string; fixture: Fixture; size: number } | undefined {
  let best: { file: string; fixture: Fixture; size: number } | undefined;
  for (const entry of Deno.readDirSync(dir)) {
    if (!entry.isFile || !entry.name.endsWith(".request.json")) continue;
    try {
      const fixture = JSON.parse(Deno.readTextFileSync(join(dir, entry.name))) as Fixture;
      const body = fixture.body;
      if (fixture.path !== "/v1/messages" || !body || !Array.isArray(body.messages)) continue;
      const size = JSON.stringify(body).length;
      if (!best || size > best.size) best = { file: entry.name, fixture, size };
    } catch { /* not a request fixture */ }
  }
  return best;
}

const SOURCE_LINE =
  "export function handle(request: Request): Promise<Response> { return route(request); }";

/**
 * Grows a Messages body to `targetBytes` (as compact JSON) by appending one Read tool round trip
 * (assistant `tool_use`, user `tool_result` with file contents), the way a Claude Code
 * conversation grows. Bodies already that large are returned unchanged.
 */
export function padToSize(
  body: Record<string, unknown>,
  targetBytes: number,
): Record<string, unknown> {
  const size = (b: unknown) => encoder.encode(JSON.stringify(b)).length;
  if (size(body) >= targetBytes) return body;
  const messages = [...(body.messages as unknown[])];
  const id = "toolu_bench000000000000000001";
  const build = (fill: number) => {
    const lines: string[] = [];
    let length = 0;
    for (let n = 1; length < fill; n++) {
      const line = `${String(n).padStart(6)}\t${SOURCE_LINE}`;
      lines.push(line);
      length += line.length + 1;
    }
    let text = lines.join("\n");
    text = text.slice(0, Math.max(fill, 0));
    return {
      ...body,
      messages: [
        ...messages,
        {
          role: "assistant",
          content: [{
            type: "tool_use",
            id,
            name: "Read",
            input: { file_path: "/home/user/work/src/server.ts" },
          }],
        },
        {
          role: "user",
          content: [{ type: "tool_result", tool_use_id: id, content: text }],
        },
      ],
    };
  };
  const overhead = size(build(0));
  let padded = build(targetBytes - overhead);
  // Tabs and newlines are escaped in JSON (two bytes each): correct once.
  const excess = size(padded) - targetBytes;
  if (excess > 0) padded = build(targetBytes - overhead - excess);
  return padded;
}

/** A body in the shape of Claude Code's requests, for when the fixtures are absent. */
export function synthesizeClaudeCodeBody(): Record<string, unknown> {
  const tool = (name: string, i: number) => ({
    name,
    description: `${name}: ${"Performs one Claude Code operation on the workspace. ".repeat(24)}`,
    input_schema: {
      type: "object",
      properties: {
        [`arg_${i}`]: { type: "string", description: "The main argument of the tool." },
        options: { type: "object", additionalProperties: true },
      },
      required: [`arg_${i}`],
      additionalProperties: false,
      $schema: "https://json-schema.org/draft/2020-12/schema",
    },
  });
  const names = ["Task", "Bash", "Glob", "Grep", "Read", "Edit", "Write", "WebFetch", "TodoWrite"];
  return {
    model: BENCH_MODEL,
    messages: [{
      role: "user",
      content: [
        {
          type: "text",
          text:
            "<system-reminder>\n# Environment\n - Primary working directory: /home/user/work\n" +
            "</system-reminder>",
        },
        { type: "text", text: "say hello", cache_control: { type: "ephemeral" } },
      ],
    }],
    system: [
      { type: "text", text: "x-anthropic-billing-header: cc_version=2.1.328; cc_entrypoint=cli" },
      {
        type: "text",
        text: "You are Claude Code, Anthropic's official CLI for Claude. " +
          "Follow the instructions below when helping the user with software engineering tasks. "
            .repeat(120),
        cache_control: { type: "ephemeral" },
      },
    ],
    tools: names.map(tool),
    metadata: { user_id: "user_bench_account__session_00000000-0000-0000-0000-000000000000" },
    max_tokens: 32000,
    thinking: { type: "enabled", budget_tokens: 31999 },
    context_management: { edits: [{ type: "clear_thinking_20251015", keep: "all" }] },
    stream: false,
  };
}

/**
 * The large request: the biggest captured fixture (or a synthesised body), made non-streaming
 * so the run measures the request side, padded to `targetBytes`.
 */
export function claudeCodeRequest(targetBytes: number, root = repoRoot()): ClaudeCodeRequest {
  const dir = findFixturesDir(root);
  const found = dir ? largestFixture(dir) : undefined;
  let body: Record<string, unknown>;
  let headers: Record<string, string> = {};
  let path = "/v1/messages?beta=true";
  let source = "synthesized (no ../shared/fixtures/claude-code found)";
  if (found) {
    body = { ...found.fixture.body! };
    for (const [name, value] of Object.entries(found.fixture.headers ?? {})) {
      const lower = name.toLowerCase();
      if (!DROP_HEADERS.has(lower)) headers[lower] = value;
    }
    path = found.fixture.url ?? path;
    source = `${dir}/${found.file}`;
  } else {
    body = synthesizeClaudeCodeBody();
    headers = {
      "anthropic-beta": "claude-code-20250219,interleaved-thinking-2025-05-14",
      "user-agent": "claude-cli/2.1.328 (external, sdk-cli)",
      "x-app": "cli",
    };
  }
  // Same model as the other scenarios, and a JSON answer: this scenario is about the request.
  body.model = BENCH_MODEL;
  body.stream = false;
  const padded = padToSize(body, targetBytes);
  return { body: encoder.encode(JSON.stringify(padded)), headers, path, source };
}
