/**
 * `ccgate login claude`: adds a Claude Pro/Max subscription account with the same browser
 * login Claude Code uses (PKCE, code pasted back), so it works on a headless or remote host.
 * The tokens go straight into the sealed KV store; nothing secret is printed.
 * @module
 */
import { authorizeUrl, createPkce, parsePastedCode } from "../auth/pkce.ts";
import {
  describeAccount,
  describeExpiry,
  exchangeAndSave,
  oauthEndpointsFromEnv,
} from "../auth/oauth_login.ts";
import { OAuthError } from "../auth/token_client.ts";
import { CliError, CONFIG_FLAGS, parseFlags } from "./args.ts";
import { oauthTarget, withOAuthStore } from "./oauth_cli.ts";

/** Help text. */
export const LOGIN_HELP = `ccgate login — add a Claude Pro/Max subscription account

Usage: ccgate login claude [--name NAME] [--provider P]

Prints a claude.ai sign-in URL. Open it in any browser, sign in, approve, and paste the code
the page shows (code#state) back here. The tokens are stored encrypted in the gateway's KV; a
running gateway picks the account up by itself.

Options:
      --name NAME      account name (default: the e-mail's local part, else claude-N);
                       an existing account of that name is replaced (log in again to fix one)
      --provider P     a provider of type claude-oauth (default "claude")
  -c, --config FILE    config file;  --kv PATH|URL   state store

Environment: CCGATE_OAUTH_AUTHORIZE_URL, CCGATE_OAUTH_TOKEN_URL override Claude's endpoints
(tests, self-hosting). Other ways to add accounts: \`ccgate accounts import\`, or the
gateway's page /accounts/add.
`;

/** Longest line accepted as a pasted code (a callback URL is well under this). */
const MAX_PASTE = 16 * 1024;

/**
 * Reads one line from standard input (a terminal or a pipe). Undefined at end of input with
 * nothing read. Only the first line is consumed, so a pipe may carry more.
 */
async function readLine(): Promise<string | undefined> {
  const reader = Deno.stdin.readable.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      const end = text.search(/\r?\n/);
      if (end >= 0) return text.slice(0, end);
      if (text.length > MAX_PASTE) throw new CliError("the pasted line is too long", 2);
    }
    text += decoder.decode();
    return text.trim() ? text : undefined;
  } finally {
    reader.releaseLock();
  }
}

/** Runs `login`. */
export async function loginCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseFlags(args, {
    ...CONFIG_FLAGS,
    name: { type: "string" },
    provider: { type: "string" },
  });
  if (values.help) {
    console.log(LOGIN_HELP);
    return;
  }
  const [service, extra] = positionals;
  if (service !== "claude" || extra !== undefined) {
    console.log(LOGIN_HELP);
    throw new CliError(
      service === undefined
        ? "missing what to log in to: ccgate login claude"
        : `cannot log in to "${positionals.join(" ")}": only "claude" is supported`,
      2,
    );
  }
  const { config, provider } = await oauthTarget(values);
  const endpoints = oauthEndpointsFromEnv();
  // The config's own override (oauth.tokenUrl) applies when the environment sets none.
  const tokenUrl = endpoints.tokenUrl ?? config.oauth.tokenUrl;

  // The store is opened first so a KV or key-file problem shows before the browser round trip,
  // not after a single-use code has been spent.
  await withOAuthStore(config, async (store) => {
    const pkce = await createPkce();
    const url = authorizeUrl({
      authorizeUrl: endpoints.authorizeUrl,
      challenge: pkce.challenge,
      state: pkce.state,
    });
    console.log(
      [
        "To add a Claude Pro/Max account:",
        "  1. Open this URL in a browser (any machine will do):",
        "",
        url,
        "",
        "  2. Sign in and approve. The page then shows a code (code#state).",
        "  3. Paste that code here and press Enter.",
        "",
      ].join("\n"),
    );
    if (Deno.stdin.isTerminal()) await Deno.stdout.write(new TextEncoder().encode("Code: "));
    const line = await readLine();
    if (line === undefined) throw new CliError("no code was pasted (end of input)", 2);

    let pasted;
    try {
      pasted = parsePastedCode(line);
    } catch (error) {
      throw new CliError((error as Error).message, 2);
    }
    if (pasted.state !== undefined && pasted.state !== pkce.state) {
      throw new CliError(
        "the pasted code belongs to a different login attempt (state mismatch): paste the code " +
          "from the URL printed above, or run ccgate login again",
        2,
      );
    }

    try {
      const { record, replaced } = await exchangeAndSave({
        store,
        provider,
        name: values.name,
        code: pasted.code,
        verifier: pkce.verifier,
        state: pkce.state,
        tokenUrl,
      });
      console.log(`${replaced ? "replaced" : "added"} ${describeAccount(record)}`);
      console.log(
        `  access token ${describeExpiry(record.expiresAt)}; ` +
          (record.refresh ? "it is refreshed automatically" : "no refresh token was issued"),
      );
    } catch (error) {
      if (error instanceof OAuthError) throw new CliError(error.message);
      throw error;
    }
  });
}
