/**
 * The system-prompt identity Claude subscription tokens require (protocols.md §2.4): the first
 * system block must be Claude Code's identity line. Claude Code sends one of two lines itself;
 * other clients get the Claude Code line prepended.
 * @module
 */
import { bytesInclude } from "../../protocol/anthropic_peek.ts";

/** The line the API checks for. */
export const CLAUDE_CODE_IDENTITY = "You are Claude Code, Anthropic's official CLI for Claude.";
/** The line Claude Code sends in `-p` (Agent SDK) mode, also accepted. */
export const AGENT_SDK_IDENTITY = "You are a Claude agent, built on Anthropic's Claude Agent SDK.";

/** True when the raw body already carries an identity line (no parse needed). */
export function hasIdentityBytes(raw: Uint8Array): boolean {
  return bytesInclude(raw, CLAUDE_CODE_IDENTITY) || bytesInclude(raw, AGENT_SDK_IDENTITY);
}

function startsWithIdentity(text: unknown): boolean {
  return typeof text === "string" &&
    (text.startsWith(CLAUDE_CODE_IDENTITY) || text.startsWith(AGENT_SDK_IDENTITY));
}

/**
 * Puts the identity block first unless one of the first two system blocks already is one
 * (Claude Code's billing-header block comes before its identity line). Returns true if changed.
 */
export function ensureIdentity(body: Record<string, unknown>): boolean {
  const system = body.system;
  const block = { type: "text", text: CLAUDE_CODE_IDENTITY };
  if (system === undefined || system === null || system === "") {
    body.system = [block];
    return true;
  }
  if (typeof system === "string") {
    if (startsWithIdentity(system)) return false;
    body.system = [block, { type: "text", text: system }];
    return true;
  }
  if (Array.isArray(system)) {
    if (system.slice(0, 2).some((b) => startsWithIdentity((b as { text?: unknown })?.text))) {
      return false;
    }
    body.system = [block, ...system];
    return true;
  }
  return false;
}
