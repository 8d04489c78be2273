// SPDX-License-Identifier: BSD-3-Clause
// Private signing keys for the test provider (provider.mjs), as JWKs.
//
//   node jwk.mjs ec KID          a new EC P-256 private JWK (alg ES256)
//   node jwk.mjs rsa KID         a new RSA 2048 private JWK (alg RS256)
//   node jwk.mjs set FILE...     a JWK Set {"keys": [...]} of the JWKs in
//                                the files, in that order (the provider
//                                signs with the first key that fits an alg)
//
// Output on stdout; test keys only.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';

function usage() {
  process.stderr.write('usage: node jwk.mjs ec|rsa KID | node jwk.mjs set FILE...\n');
  process.exit(2);
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === 'ec' || cmd === 'rsa') {
  if (args.length !== 1 || !/^[A-Za-z0-9._-]{1,64}$/.test(args[0])) usage();
  const { privateKey } = cmd === 'ec'
    ? crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  process.stdout.write(`${JSON.stringify({
    ...jwk, kid: args[0], use: 'sig', alg: cmd === 'ec' ? 'ES256' : 'RS256',
  })}\n`);
} else if (cmd === 'set') {
  if (args.length === 0) usage();
  const keys = args.map((f) => JSON.parse(fs.readFileSync(f, 'utf8')));
  process.stdout.write(`${JSON.stringify({ keys })}\n`);
} else {
  usage();
}
