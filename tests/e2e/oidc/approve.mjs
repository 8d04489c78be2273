// SPDX-License-Identifier: BSD-3-Clause
// Approve a device authorization (RFC 8628) user code on provider.mjs's own
// pages, with plain HTTP requests (no browser), as a given account:
//
//   OIDC_ISSUER=https://127.0.0.1:PORT NODE_EXTRA_CA_CERTS=ca.pem \
//     node approve.mjs USER_CODE ACCOUNT [deny]
//
// It walks what a person would: GET /device (the user code form), submit
// the code, confirm it, the login form (dev interactions: the account id
// becomes "sub"; any password), the consent form, until the provider's
// "Sign-in Success" page.  Each request and its answer go to stderr.
// With "deny" it aborts at the confirmation instead (the device's token
// request then ends in access_denied).
// Exit 0 on success, 1 when the provider says no, 2 on usage errors.
// Node's fetch trusts the CA named by NODE_EXTRA_CA_CERTS.
const MAX_STEPS = 20;

function usage() {
  process.stderr.write('usage: OIDC_ISSUER=URL node approve.mjs USER_CODE ACCOUNT\n');
  process.exit(2);
}

const [userCode, account, mode] = process.argv.slice(2);
const issuer = process.env.OIDC_ISSUER;
const deny = mode === 'deny';
if (!userCode || !account || !issuer || process.argv.length !== (mode === undefined ? 4 : 5)
    || (mode !== undefined && !deny)) usage();
const say = (line) => process.stderr.write(`approve: ${line}\n`);

// The session, as a browser keeps it: cookie name -> value.
const jar = new Map();
function keepCookies(res) {
  const lines = typeof res.headers.getSetCookie === 'function'
    ? res.headers.getSetCookie()
    : (res.headers.get('set-cookie') || '').split(/,(?=\s*[^;,=\s]+=)/);
  for (const line of lines) {
    const [pair] = line.split(';');
    const eq = pair.indexOf('=');
    if (eq > 0) {
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '') jar.delete(name); else jar.set(name, value);
    }
  }
}
const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');

const unescape = (s) => s.replace(/&quot;/g, '"').replace(/&#39;|&#x27;/g, "'")
  .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
const attr = (tag, name) => {
  const m = tag.match(new RegExp(`\\s${name}\\s*=\\s*"([^"]*)"`, 'i'));
  return m ? unescape(m[1]) : undefined;
};

// The page's first POST form: its action and its fields, hidden ones with
// their values, ours (user_code, login, password) filled in.
function fillForm(html, url) {
  const m = html.match(/<form\b[^>]*>[\s\S]*?<\/form>/i);
  if (!m) return undefined;
  const open = m[0].match(/<form\b[^>]*>/i)[0];
  if ((attr(open, 'method') || 'get').toLowerCase() !== 'post') return undefined;
  const mine = { user_code: userCode, login: account, password: 'any-password' };
  const fields = new URLSearchParams();
  for (const tag of m[0].match(/<input\b[^>]*>/gi) || []) {
    const name = attr(tag, 'name');
    if (!name) continue;
    if (name in mine) fields.set(name, mine[name]);
    else if ((attr(tag, 'type') || '').toLowerCase() === 'hidden') fields.set(name, attr(tag, 'value') ?? '');
  }
  return { action: new URL(attr(open, 'action') || url, url), fields };
}

const text = (html) => html.replace(/<style[\s\S]*?<\/style>/gi, '').replace(/<[^>]+>/g, ' ')
  .replace(/\s+/g, ' ').trim().slice(0, 300);

async function request(method, url, body) {
  const res = await fetch(url, {
    method,
    redirect: 'manual',
    headers: {
      cookie: cookieHeader(),
      ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
    },
    body: body?.toString(),
    signal: AbortSignal.timeout(10000),
  });
  keepCookies(res);
  const html = await res.text();
  const shown = body ? ` (${[...body.keys()].join(', ')})` : '';
  say(`${method} ${url.pathname}${shown} -> ${res.status}${res.headers.get('location') ? ` ${new URL(res.headers.get('location'), url).pathname}` : ''}`);
  return { res, html };
}

let url = new URL('/device', issuer);
let { res, html } = await request('GET', url);
for (let step = 0; step < MAX_STEPS; step += 1) {
  if (res.status >= 300 && res.status < 400 && res.headers.get('location')) {
    url = new URL(res.headers.get('location'), url);
    ({ res, html } = await request('GET', url));
    continue;
  }
  if (res.status === 200 && /Sign-in Success/.test(html)) {
    say(`user code ${userCode} approved for ${account}`);
    process.exit(0);
  }
  const form = res.status === 200 ? fillForm(html, url) : undefined;
  if (!form || /class="red"/.test(html)) {
    say(`the provider says: ${text(html)}`);
    process.exit(1);
  }
  url = form.action;
  if (deny && form.fields.has('confirm')) { // the confirmation: abort it
    form.fields.delete('confirm');
    form.fields.set('abort', 'yes');
    ({ res, html } = await request('POST', url, form.fields));
    say(`user code ${userCode} denied (${res.status}: ${text(html)})`);
    process.exit(res.status < 500 ? 0 : 1);
  }
  ({ res, html } = await request('POST', url, form.fields));
}
say(`no success page after ${MAX_STEPS} steps`);
process.exit(1);
