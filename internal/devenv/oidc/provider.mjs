// The local OpenID Connect provider `make run` and the browser tests sign
// employees in with. Development only: accounts come from the demo data
// (internal/demo/employees.json), everything is kept in memory, and the
// one client is the portal.
//
// Environment: OIDC_PORT, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET,
// OIDC_REDIRECT_URIS and OIDC_POST_LOGOUT_URIS (comma-separated).
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { randomBytes } from "node:crypto";
import Provider from "oidc-provider";

const env = process.env;
const port = Number(env.OIDC_PORT || 5556);
const issuer = `http://localhost:${port}`;
const demo = JSON.parse(readFileSync(new URL("../../demo/employees.json", import.meta.url), "utf8"));
const people = [...demo.employees, ...demo.outsiders];
const byLogin = new Map(people.map((p) => [p.login, p]));

const provider = new Provider(issuer, {
  clients: [{
    client_id: env.OIDC_CLIENT_ID || "ciam-portal",
    client_secret: env.OIDC_CLIENT_SECRET,
    redirect_uris: (env.OIDC_REDIRECT_URIS || "http://localhost:8080/auth/callback").split(","),
    post_logout_redirect_uris: (env.OIDC_POST_LOGOUT_URIS || "http://localhost:8080/login?reason=signed_out").split(","),
    grant_types: ["authorization_code"],
    response_types: ["code"],
    token_endpoint_auth_method: "client_secret_basic",
  }],
  pkce: { required: () => true },
  cookies: { keys: [randomBytes(32).toString("hex")] },
  claims: {
    openid: ["sub"],
    email: ["email", "email_verified"],
    profile: ["name"],
    groups: ["groups"],
  },
  // The portal reads the claims from the ID token, not from userinfo.
  conformIdTokenClaims: false,
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      // Sign-out needs no confirmation here: the form submits itself.
      logoutSource: async (ctx, form) => {
        ctx.body = `<!doctype html><html><head><title>Signing out</title></head><body>
          <p>Signing out…</p>${form}<script>var f=document.forms[0],i=document.createElement("input");i.type="hidden";i.name="logout";i.value="yes";f.appendChild(i);f.submit()</script>
          <noscript><button form="op.logoutForm" type="submit" name="logout" value="yes">Sign out</button></noscript></body></html>`;
      },
    },
  },
  async findAccount(ctx, sub) {
    const person = byLogin.get(sub);
    if (!person) return undefined;
    return {
      accountId: sub,
      async claims() {
        return { sub, email: person.email, email_verified: true, name: person.name, groups: person.groups || [] };
      },
    };
  },
  ttl: { Session: 3600, Interaction: 600, Grant: 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
});
provider.proxy = false;

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

function loginPage(uid, error) {
  const rows = demo.employees.map((e) => `<tr><td><code>${esc(e.login)}</code></td><td>${esc(e.role)}</td><td>${esc(e.name)}</td></tr>`).join("");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Local sign-in</title>
<style>body{font:14px system-ui,sans-serif;background:#f8fafc;color:#0f172a;display:flex;justify-content:center;padding:48px}
main{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:24px;width:380px}
label{display:block;margin-top:12px;font-weight:500}input{width:100%;box-sizing:border-box;padding:6px 8px;border:1px solid #cbd5e1;border-radius:6px;margin-top:4px}
button{margin-top:16px;width:100%;padding:8px;background:#4f46e5;color:#fff;border:0;border-radius:6px;font-weight:600}
.err{color:#b91c1c;margin-top:12px}table{margin-top:16px;font-size:12px;color:#475569;border-collapse:collapse}td{padding:2px 6px}</style></head>
<body><main><h1 style="font-size:18px;margin:0">Local identity provider</h1>
<p style="color:#64748b">Development only. Password for every demo account: <code>${esc(demo.password)}</code></p>
<form method="post" action="/interaction/${esc(uid)}/login" autocomplete="off">
<label for="login">Username</label><input id="login" name="login" required autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" required>
${error ? `<p class="err" role="alert">${esc(error)}</p>` : ""}
<button type="submit" id="submit">Sign in</button></form>
<table><tbody>${rows}<tr><td><code>outsider</code></td><td colspan="2">known here, unknown to every tenant</td></tr></tbody></table></main></body></html>`;
}

async function readForm(req) {
  let body = "";
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 10000) throw new Error("form too large");
  }
  return new URLSearchParams(body);
}

// Consent is implicit: the portal is the provider's only, first-party client.
async function grantFor(details, accountId) {
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId, clientId: details.params.client_id });
  const missing = details.prompt.details || {};
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(" "));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  return grant.save();
}

const callback = provider.callback();
const server = createServer(async (req, res) => {
  const m = req.url.match(/^\/interaction\/([\w-]+)(\/login)?$/);
  if (!m) return callback(req, res);
  try {
    const details = await provider.interactionDetails(req, res);
    if (details.prompt.name === "consent") {
      const grantId = await grantFor(details, details.session.accountId);
      return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    }
    if (req.method === "GET") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
      return res.end(loginPage(m[1]));
    }
    const form = await readForm(req);
    const login = (form.get("login") || "").trim();
    if (!byLogin.has(login) || form.get("password") !== demo.password) {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
      return res.end(loginPage(m[1], "Unknown username or wrong password."));
    }
    const grantId = await grantFor(details, login);
    return provider.interactionFinished(req, res, { login: { accountId: login }, consent: { grantId } }, { mergeWithLastSubmission: false });
  } catch (err) {
    res.writeHead(400, { "content-type": "text/plain" });
    res.end(`sign-in failed: ${err.message}`);
  }
});

// localhost may resolve to either loopback address; answer on both.
server.listen(port, "127.0.0.1", () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
const server6 = createServer(server.listeners("request")[0]);
server6.on("error", () => {}); // no IPv6 loopback here: fine
server6.listen(port, "::1");
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(0));
