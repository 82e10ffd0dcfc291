/**
 * The HTML of `GET /accounts/add`: one self-contained page (no external assets, no framework).
 * `{{nonce}}` and `{{provider}}` are replaced, HTML-escaped, by oauth_page.ts; the script only
 * ever writes text with `textContent`, so nothing the server answers is parsed as HTML.
 * @module
 */

/** The page template. */
export const ADD_ACCOUNT_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>ccgate — add a Claude subscription account</title>
<style nonce="{{nonce}}">
  body { font: 15px/1.5 system-ui, sans-serif; margin: 0; background: #f6f5f2; color: #222; }
  main { max-width: 40rem; margin: 3rem auto; padding: 1.5rem 2rem; background: #fff;
         border-radius: 8px; box-shadow: 0 1px 4px rgba(0,0,0,.1); }
  h1 { font-size: 1.3rem; margin-top: 0; }
  ol { padding-left: 1.2rem; } li { margin: .9rem 0; }
  label { display: block; font-weight: 600; margin-bottom: .2rem; }
  input { width: 100%; box-sizing: border-box; padding: .45rem; font: inherit;
          border: 1px solid #bbb; border-radius: 4px; }
  .row { display: flex; gap: .6rem; } .row > div { flex: 1; }
  a.button, button { display: inline-block; padding: .45rem .9rem; border-radius: 4px;
          border: 1px solid #b5541c; background: #d9692b; color: #fff; font: inherit;
          text-decoration: none; cursor: pointer; }
  a.button[aria-disabled="true"] { opacity: .5; pointer-events: none; }
  button.plain { background: #fff; color: #b5541c; }
  .hint { color: #666; font-size: .9rem; }
  #result.ok { color: #1d6b2f; font-weight: 600; } #result.err { color: #a11; }
</style>
</head>
<body>
<main>
<h1>Add a Claude Pro/Max account</h1>
<ol>
  <li>
    <div class="row">
      <div><label for="name">Account name <span class="hint">(optional)</span></label>
        <input id="name" autocomplete="off" placeholder="default: the e-mail's local part"></div>
      <div><label for="provider">Provider</label>
        <input id="provider" autocomplete="off" value="{{provider}}"></div>
    </div>
  </li>
  <li>
    <a id="signin" class="button" target="_blank" rel="noopener noreferrer"
       aria-disabled="true">Open Claude sign-in</a>
    <button id="restart" class="plain" type="button">New link</button>
    <span id="start-status" class="hint"></span>
  </li>
  <li>Sign in and approve. The page then shows a code (<code>code#state</code>); copy it.</li>
  <li>
    <form id="complete">
      <label for="code">Paste the code</label>
      <input id="code" autocomplete="off" spellcheck="false" required>
      <p><button type="submit">Add account</button></p>
    </form>
  </li>
</ol>
<p id="result" role="status"></p>
<p class="hint">The tokens are stored encrypted in the gateway's KV; the running gateway uses
the account without a restart. From a terminal: <code>ccgate login claude</code>.</p>
</main>
<script nonce="{{nonce}}">
(() => {
  const $ = (id) => document.getElementById(id);
  const field = (id) => $(id).value.trim() || undefined;
  let state = "";

  async function post(path, body) {
    const res = await fetch(path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify(body),
    });
    let json = null;
    try { json = await res.json(); } catch { /* not JSON */ }
    if (!res.ok) {
      throw new Error((json && json.error && json.error.message) || "HTTP " + res.status);
    }
    return json;
  }

  async function start() {
    const link = $("signin");
    link.removeAttribute("href");
    link.setAttribute("aria-disabled", "true");
    $("start-status").textContent = "preparing…";
    try {
      const r = await post("oauth/start", { name: field("name"), provider: field("provider") });
      state = r.state;
      link.href = r.url;
      link.setAttribute("aria-disabled", "false");
      $("start-status").textContent = "";
    } catch (e) {
      $("start-status").textContent = "Could not start: " + e.message;
    }
  }

  $("restart").addEventListener("click", start);
  $("complete").addEventListener("submit", async (event) => {
    event.preventDefault();
    const out = $("result");
    out.className = "";
    out.textContent = "Adding…";
    try {
      const r = await post("oauth/complete", {
        code: $("code").value,
        state,
        name: field("name"),
        provider: field("provider"),
      });
      const a = r.account;
      const details = [a.email, a.subscriptionType].filter(Boolean).join(", ");
      out.textContent = (r.replaced ? "Replaced " : "Added ") + a.provider + "/" + a.name +
        (details ? " (" + details + ")" : "") + ".";
      out.className = "ok";
      $("code").value = "";
      start();
    } catch (e) {
      out.textContent = e.message;
      out.className = "err";
    }
  });
  start();
})();
</script>
</body>
</html>
`;
