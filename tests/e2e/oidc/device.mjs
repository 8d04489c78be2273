// SPDX-License-Identifier: BSD-3-Clause
// A minimal device authorization grant client (RFC 8628) with DPoP
// (RFC 9449), to get tokens from provider.mjs in tests without pamjwt:
//
//   NODE_EXTRA_CA_CERTS=ca.pem node device.mjs --issuer URL --client-id cli \
//     --resource ssh://HOST [--scope S] [--dpop-key KEY.pem] \
//     [--user-code-file FILE] [--timeout SECONDS]
//
// Finds the endpoints by discovery (URL/.well-known/openid-configuration,
// whose issuer must equal URL), asks for a device code, writes the user
// code to --user-code-file (or stderr), polls the token endpoint as the
// server says (interval, slow_down) and prints the access token on stdout.
// With --dpop-key every token request carries a DPoP proof made with that
// EC P-256 key (PKCS#8 PEM; created, mode 0600, if the file does not
// exist), so the token is bound to it (cnf.jkt): the same key can then
// answer pam_jwt's proof-of-possession prompt.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';

function usage(msg) {
  if (msg) process.stderr.write(`device.mjs: ${msg}\n`);
  process.stderr.write('usage: node device.mjs --issuer URL --client-id ID [--resource R] [--scope S]'
    + ' [--dpop-key KEY.pem] [--user-code-file FILE] [--timeout SECONDS]\n');
  process.exit(2);
}

const opt = { scope: '', timeout: '120' };
const argv = process.argv.slice(2);
const known = ['issuer', 'client-id', 'resource', 'scope', 'dpop-key', 'user-code-file', 'timeout'];
for (let i = 0; i < argv.length; i += 2) {
  const name = argv[i].replace(/^--/, '');
  if (!argv[i].startsWith('--') || !known.includes(name) || argv[i + 1] === undefined) usage(`bad argument ${argv[i]}`);
  opt[name] = argv[i + 1];
}
if (!opt.issuer || !opt['client-id']) usage();
const say = (line) => process.stderr.write(`device: ${line}\n`);
const deadline = Date.now() + Number(opt.timeout) * 1000;

async function post(url, params, headers = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params).toString(),
    signal: AbortSignal.timeout(10000),
  });
  return { res, body: await res.json().catch(() => ({})) };
}

// DPoP: the holder key and a proof for one request.
let holder;
if (opt['dpop-key']) {
  const file = opt['dpop-key'];
  if (!fs.existsSync(file)) {
    const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    fs.writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  }
  const key = crypto.createPrivateKey(fs.readFileSync(file));
  const { kty, crv, x, y } = crypto.createPublicKey(key).export({ format: 'jwk' });
  if (kty !== 'EC' || crv !== 'P-256') usage('--dpop-key must be an EC P-256 key');
  const jwk = { crv, kty, x, y };
  const jkt = crypto.createHash('sha256').update(JSON.stringify(jwk)).digest('base64url');
  holder = { key, jwk, jkt };
  say(`DPoP key ${file}, thumbprint ${jkt}`);
}
function dpopProof(htu, nonce) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${b64({ typ: 'dpop+jwt', alg: 'ES256', jwk: holder.jwk })}.${b64({
    jti: crypto.randomUUID(), htm: 'POST', htu, iat: Math.floor(Date.now() / 1000), ...(nonce ? { nonce } : {}),
  })}`;
  const sig = crypto.sign('sha256', Buffer.from(input), { key: holder.key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${sig.toString('base64url')}`;
}

const disco = await (await fetch(new URL(`${opt.issuer}/.well-known/openid-configuration`), {
  signal: AbortSignal.timeout(10000),
})).json();
if (disco.issuer !== opt.issuer) usage(`discovery says issuer ${disco.issuer}, not ${opt.issuer}`);
const req = { client_id: opt['client-id'] };
if (opt.scope) req.scope = opt.scope;
if (opt.resource) req.resource = opt.resource;
const { res: dres, body: da } = await post(disco.device_authorization_endpoint, req);
if (!dres.ok || !da.device_code) {
  say(`device authorization refused: ${dres.status} ${da.error || ''} ${da.error_description || ''}`);
  process.exit(1);
}
say(`user code ${da.user_code} at ${da.verification_uri} (expires in ${da.expires_in} s)`);
if (opt['user-code-file']) fs.writeFileSync(opt['user-code-file'], `${da.user_code}\n`);

let interval = Number(da.interval) || 5;
let nonce;
const tokenReq = {
  grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
  device_code: da.device_code,
  client_id: opt['client-id'],
};
while (Date.now() < deadline) {
  await new Promise((r) => { setTimeout(r, interval * 1000); });
  const headers = holder ? { dpop: dpopProof(disco.token_endpoint, nonce) } : {};
  const { res, body } = await post(disco.token_endpoint, tokenReq, headers);
  if (res.headers.get('dpop-nonce')) nonce = res.headers.get('dpop-nonce');
  if (res.ok && body.access_token) {
    say(`token_type ${body.token_type}, expires in ${body.expires_in} s`);
    process.stdout.write(`${body.access_token}\n`);
    process.exit(0);
  }
  if (body.error === 'slow_down') interval += 5;
  else if (body.error !== 'authorization_pending' && body.error !== 'use_dpop_nonce') {
    say(`token request refused: ${res.status} ${body.error || ''} ${body.error_description || ''}`);
    process.exit(1);
  }
}
say('timed out');
process.exit(1);
