/**
 * The browser half of Claude's subscription OAuth login (PKCE, RFC 7636): the constants Claude
 * Code uses, the verifier/challenge/state triple, the authorize URL, and reading back what the
 * user pastes from the callback page. Pure WebCrypto, no I/O.
 * @module
 */

/** Where the user logs in (claude.ai serves both Pro and Max accounts). */
export const CLAUDE_AUTHORIZE_URL = "https://claude.ai/oauth/authorize";

/** The token endpoint for code exchange and refresh (the older console.anthropic.com one moved here). */
export const CLAUDE_TOKEN_URL = "https://platform.claude.com/v1/oauth/token";

/** Claude Code's public PKCE client id; a public client has no secret. */
export const CLAUDE_CLIENT_ID = "9d1c250a-e61b-44d9-88ed-5944d1962f5e";

/**
 * The manual-paste redirect: with `code=true` the page shows `<code>#<state>` for the user to
 * copy, so the gateway needs no reachable callback (it may run headless or remote).
 */
export const CLAUDE_REDIRECT_URI = "https://platform.claude.com/oauth/code/callback";

/**
 * The scopes Claude Code ≥ 2.x asks for in its browser login. `org:create_api_key` is what the
 * browser flow adds; it is kept so the consent screen matches Claude Code's.
 */
export const CLAUDE_SCOPES: readonly string[] = Object.freeze([
  "org:create_api_key",
  "user:profile",
  "user:inference",
  "user:sessions:claude_code",
  "user:mcp_servers",
  "user:file_upload",
]);

/** One login attempt's secrets: keep `verifier` and `state` server-side until the code returns. */
export interface Pkce {
  /** base64url (no padding) of 32 random bytes: 43 characters. */
  verifier: string;
  /** base64url (no padding) of SHA-256(verifier). */
  challenge: string;
  /** base64url of 32 random bytes; must come back with the code. */
  state: string;
}

/** base64url without padding (RFC 4648 §5), as PKCE and the state parameter require. */
export function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Decodes base64url (padding optional); throws on characters outside the alphabet. */
export function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(text)) throw new Error("not base64url");
  const b64 = text.replace(/=+$/, "").replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** The S256 code challenge for a verifier: base64url(SHA-256(ascii(verifier))). */
export async function challengeFor(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

/** A fresh verifier, its challenge and a state value, all from the platform CSPRNG. */
export async function createPkce(): Promise<Pkce> {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = base64url(crypto.getRandomValues(new Uint8Array(32)));
  return { verifier, challenge: await challengeFor(verifier), state };
}

/** What `authorizeUrl` needs; everything but the challenge and state has Claude Code's default. */
export interface AuthorizeUrlOptions {
  /** Defaults to {@link CLAUDE_AUTHORIZE_URL}. */
  authorizeUrl?: string;
  /** Defaults to {@link CLAUDE_CLIENT_ID}. */
  clientId?: string;
  /** Defaults to {@link CLAUDE_REDIRECT_URI}. */
  redirectUri?: string;
  /** Defaults to {@link CLAUDE_SCOPES}; sent space-separated. */
  scopes?: readonly string[];
  /** From {@link createPkce}. */
  challenge: string;
  /** From {@link createPkce}. */
  state: string;
}

/**
 * The URL to open in a browser. `code=true` asks the callback page to display the code for
 * pasting. Spaces in `scope` are encoded as `+` (form encoding, as the peer projects send it).
 */
export function authorizeUrl(options: AuthorizeUrlOptions): string {
  const url = new URL(options.authorizeUrl ?? CLAUDE_AUTHORIZE_URL);
  const params: [string, string][] = [
    ["code", "true"],
    ["client_id", options.clientId ?? CLAUDE_CLIENT_ID],
    ["response_type", "code"],
    ["redirect_uri", options.redirectUri ?? CLAUDE_REDIRECT_URI],
    ["scope", (options.scopes ?? CLAUDE_SCOPES).join(" ")],
    ["code_challenge", options.challenge],
    ["code_challenge_method", "S256"],
    ["state", options.state],
  ];
  for (const [key, value] of params) url.searchParams.set(key, value);
  return url.toString();
}

/** The code (and state, when the paste carried one) read from what the user pasted. */
export interface PastedCode {
  /** The authorization code to exchange. */
  code: string;
  /** The state that came back; compare it with the one sent before exchanging. */
  state?: string;
}

/**
 * Reads the authorization code out of what a user pasted: `<code>#<state>` (the callback page's
 * format), a bare code, or the whole callback URL (`…/callback?code=…&state=…`), with stray
 * quotes, whitespace and trailing `&…` parameters removed. Throws an Error (never echoing the
 * input) when no code can be found.
 */
export function parsePastedCode(input: string): PastedCode {
  // Terminals wrap long lines and users copy quotes; neither can be part of a code.
  const text = input.trim().replace(/^["'<]+|["'>]+$/g, "").replace(/\s+/g, "");
  if (!text) throw new Error("no authorization code was pasted");

  if (/^https?:\/\//i.test(text) || /^\??(code|state)=/.test(text)) {
    const url = /^https?:/i.test(text)
      ? new URL(text)
      : new URL(`https://x.invalid/?${text.replace(/^\?/, "")}`);
    if (url.searchParams.has("response_type") || url.searchParams.get("code") === "true") {
      throw new Error(
        "that is the login URL; open it, log in, then paste the code the page shows",
      );
    }
    const code = url.searchParams.get("code");
    if (!code) throw new Error("the pasted URL has no code parameter");
    const hashState = url.hash.replace(/^#/, "").split("&")[0];
    const state = url.searchParams.get("state") ?? (hashState || undefined);
    return state ? { code, state } : { code };
  }

  const [rawCode, rawState] = text.split("#", 2);
  const code = rawCode.split("&")[0];
  const state = rawState?.split("&")[0];
  if (!code) throw new Error("no authorization code before '#'");
  return state ? { code, state } : { code };
}
