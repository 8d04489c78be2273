// SPDX-License-Identifier: BSD-3-Clause
// A real OpenID provider (panva's oidc-provider) on 127.0.0.1 behind https,
// for pam_jwt's end-to-end tests.  TEST ONLY: development interactions
// (any account id logs in, no password check), in-memory storage, cookie
// keys made at start.
//
//   OIDC_PORT=0 OIDC_JWKS=keys.json OIDC_TLS_CERT=server.pem \
//   OIDC_TLS_KEY=server.key OIDC_DEPLOY_SECRET=... node provider.mjs
//
// Environment:
//   OIDC_PORT           port on 127.0.0.1; 0 picks a free one (default 0).
//                       The issuer is https://127.0.0.1:PORT, so a restart
//                       that keeps the issuer must give the port it printed.
//   OIDC_JWKS           a JWK Set file of PRIVATE keys (jwk.mjs makes them).
//                       For each alg the provider signs with the first key
//                       of the set that fits it: restart with a new key
//                       first to rotate.  Needs an EC P-256 key (ES256) and
//                       an RSA key (RS256, also the ID token default).
//   OIDC_TLS_CERT, OIDC_TLS_KEY   the https server's certificate and key
//                       (subjectAltName IP:127.0.0.1; clients trust its CA)
//   OIDC_DEPLOY_SECRET  the client secret of the client "deploy"
//
// Prints "issuer https://127.0.0.1:PORT" on stdout once it listens, then
// one line per token issued or refused.  SIGTERM/SIGINT end it.
//
// Clients:
//   deploy  confidential (client_secret_basic or _post), client
//           credentials grant only.  Its tokens' "sub" is its client id
//           ("deploy"): oidc-provider's JWT access token format puts the
//           account id in "sub", and the client id when there is none.
//   cli     public (no secret), device authorization grant (RFC 8628).
//           The user code is approved on the provider's own pages:
//           GET /device, the code, the dev login form (any account id
//           becomes "sub"), consent.  approve.mjs does that with fetch.
//
// Resources (RFC 8707 "resource" parameter; JWT access tokens, 300 s):
//   ssh://NAME       NAME a host name: ES256, aud "ssh://NAME", scopes
//                    "login sshd sudo".  A token with exactly one of the
//                    scopes sshd/sudo also gets "svc": that name (for
//                    "require_claim svc %s").  Short: under sudo's 511 bytes.
//   urn:pamjwt:long  RS256, aud "urn:pamjwt:long", same scopes, plus
//                    directory claims (name, email, groups, roles, ...)
//                    that make the token over 1,100 bytes.
// Without "resource" a client gets an opaque token (not for pam_jwt).  A
// device authorization request needs a scope ("login", or "openid" for an
// ID token as well): without one the grant ends in access_denied ("no
// scope was granted").
// The token endpoint ignores "resource" for the device grant when the
// grant already holds one resource (useGrantedResource).
//
// DPoP (RFC 9449) is enabled: a token request with a DPoP proof gets a
// token with cnf.jkt (the proof key's RFC 7638 thumbprint), token_type DPoP.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as https from 'node:https';

import Provider, { errors } from 'oidc-provider';

function fail(msg) {
  process.stderr.write(`provider.mjs: ${msg}\n`);
  process.exit(2);
}

function env(name, fallback) {
  const v = process.env[name];
  if (v === undefined || v === '') {
    if (fallback !== undefined) return fallback;
    fail(`${name} is not set`);
  }
  return v;
}

const port = Number(env('OIDC_PORT', '0'));
if (!Number.isInteger(port) || port < 0 || port > 65535) fail('OIDC_PORT must be a port number');
let jwks;
try {
  jwks = JSON.parse(fs.readFileSync(env('OIDC_JWKS'), 'utf8'));
} catch (e) {
  fail(`OIDC_JWKS: ${e.message}`);
}
const tls = {
  cert: fs.readFileSync(env('OIDC_TLS_CERT')),
  key: fs.readFileSync(env('OIDC_TLS_KEY')),
};
const deploySecret = env('OIDC_DEPLOY_SECRET');
if (deploySecret.length < 16) fail('OIDC_DEPLOY_SECRET: at least 16 characters');

const SCOPES = 'login sshd sudo';
const SERVICES = ['sshd', 'sudo'];
const LONG = 'urn:pamjwt:long';
const TTL = 300;

async function getResourceServerInfo(ctx, indicator) {
  if (/^ssh:\/\/[A-Za-z0-9][A-Za-z0-9.-]{0,252}$/.test(indicator)) {
    return {
      scope: SCOPES,
      audience: indicator,
      accessTokenTTL: TTL,
      accessTokenFormat: 'jwt',
      jwt: { sign: { alg: 'ES256' } },
    };
  }
  if (indicator === LONG) {
    return {
      scope: SCOPES,
      audience: LONG,
      accessTokenTTL: TTL,
      accessTokenFormat: 'jwt',
      jwt: { sign: { alg: 'RS256' } },
    };
  }
  throw new errors.InvalidTarget(`unknown resource ${indicator}`);
}

// Claims an enterprise directory would add: they make the long token long.
function directoryClaims(sub) {
  return {
    name: `Test Account ${sub}`,
    email: `${sub}@accounts.pamjwt.example`,
    email_verified: true,
    department: 'Platform Engineering / Site Reliability',
    employee_id: 'E-000-4711-0815',
    groups: [
      'ops-oncall', 'ops-release', 'platform-admins', 'platform-readers',
      'ssh-bastion-users', 'ssh-production', 'ssh-staging', 'sudo-operators',
      'sudo-package-install', 'k8s-cluster-admins', 'db-readonly', 'audit-log-readers',
    ],
    roles: ['operator', 'release-manager', 'incident-commander', 'auditor'],
  };
}

async function extraTokenClaims(ctx, token) {
  const extra = {};
  const scopes = new Set((token.scope || '').split(' '));
  const svc = SERVICES.filter((s) => scopes.has(s));
  if (svc.length === 1) [extra.svc] = svc;
  if (token.resourceServer?.audience === LONG) {
    Object.assign(extra, directoryClaims(token.accountId || token.clientId));
  }
  return extra;
}

function startProvider(issuer) {
  const provider = new Provider(issuer, {
    jwks,
    clients: [
      {
        client_id: 'deploy',
        client_secret: deploySecret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
      {
        client_id: 'cli',
        grant_types: ['urn:ietf:params:oauth:grant-type:device_code'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'none',
        application_type: 'native',
      },
    ],
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      deviceFlow: { enabled: true },
      dPoP: { enabled: true },
      introspection: { enabled: false },
      revocation: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (ctx, client, oneOf) => oneOf,
        useGrantedResource: async () => true,
        getResourceServerInfo,
      },
    },
    async findAccount(ctx, id) {
      if (!/^[A-Za-z0-9._@-]{1,64}$/.test(id)) return undefined;
      return { accountId: id, async claims() { return { sub: id }; } };
    },
    extraTokenClaims,
    scopes: ['openid', 'offline_access'],
    cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
    clientBasedCORS: () => false,
    ttl: {
      AccessToken: TTL,
      ClientCredentials: TTL,
      DeviceCode: 600,
      Grant: 3600,
      IdToken: TTL,
      Interaction: 600,
      Session: 3600,
    },
  });

  const log = (line) => process.stdout.write(`${line}\n`);
  provider.on('grant.success', (ctx) => {
    const b = ctx.oidc.body || {};
    const dpop = ctx.oidc.entities.AccessToken?.jkt || ctx.oidc.entities.ClientCredentials?.jkt;
    log(`token issued: grant_type=${b.grant_type} client=${ctx.oidc.client?.clientId}${dpop ? ' dpop' : ''}`);
  });
  provider.on('grant.error', (ctx, err) => {
    if (err.error === 'authorization_pending' || err.error === 'slow_down') return;
    log(`token refused: ${err.error}: ${err.error_description}`);
  });
  provider.on('server_error', (ctx, err) => log(`server error: ${err.stack || err}`));
  // every device authorization request, for tests/e2e/device.sh to count
  provider.use(async (ctx, next) => {
    const device = ctx.method === 'POST' && ctx.path === '/device/auth';
    await next();
    if (device) log(`device authorization request: ${ctx.status} at ${Date.now()}`);
  });
  return provider;
}

const server = https.createServer(tls);
server.on('error', (e) => fail(`listen: ${e.message}`));
server.listen(port, '127.0.0.1', () => {
  const issuer = `https://127.0.0.1:${server.address().port}`;
  const provider = startProvider(issuer);
  server.on('request', provider.callback());
  process.stdout.write(`issuer ${issuer}\n`);
});

function stop() {
  server.close();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
