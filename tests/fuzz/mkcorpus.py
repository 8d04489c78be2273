#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Regenerate the seed corpora in tests/fuzz/corpus/ (optional: the files are
in the repository; this documents how they were made).  Needs python3 and
python3-cryptography (for real JWK key material).

    python3 tests/fuzz/mkcorpus.py [tests/fuzz/corpus]
"""
import base64
import json
import os
import sys

from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives import serialization

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")


def b64(b):
    if isinstance(b, str):
        b = b.encode()
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def tok(header, claims, sig=b"\x01" * 64):
    h = header if isinstance(header, str) else json.dumps(header, separators=(",", ":"))
    c = claims if isinstance(claims, str) else json.dumps(claims, separators=(",", ":"))
    return b64(h) + "." + b64(c) + "." + (sig if isinstance(sig, str) else b64(sig))


def put(harness, name, data):
    d = os.path.join(out, harness)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ------------------------------------------------------------------ tokens
claims = {"sub": "alice", "iss": "https://issuer.example", "aud": ["pam"], "iat": 1700000000,
          "exp": 1700000300, "nbf": 1699999990, "jti": "j-1", "scope": "openid login",
          "amr": ["pwd", "mfa"], "n": 42, "b": True}
tokens = {
    "es256": tok({"alg": "ES256", "typ": "JWT", "kid": "k1"}, claims, b"\x02" * 64),
    "es384": tok({"alg": "ES384"}, claims, b"\x03" * 96),
    "es512": tok({"alg": "ES512"}, claims, b"\x04" * 132),
    "rs256": tok({"alg": "RS256", "kid": "rsa"}, claims, b"\x05" * 256),
    "ps256": tok({"alg": "PS256"}, claims, b"\x06" * 256),
    "eddsa": tok({"alg": "EdDSA", "kid": "ed1"}, claims, b"\x07" * 64),
    "hs256": tok({"alg": "HS256", "typ": "JWT"}, {"sub": "root", "exp": 4102444800}, b"\x08" * 32),
    "hs512": tok({"alg": "HS512"}, {"sub": "root", "exp": 4102444800}, b"\x09" * 64),
    "alg-none": tok({"alg": "none"}, {"sub": "root", "exp": 4102444800}, "AA"),
    "alg-none-nosig": tok({"alg": "none"}, {"sub": "root"}, ""),
    "alg-None-case": tok({"alg": "NoNe"}, {"sub": "root"}, "AA"),
    "crit": tok({"alg": "ES256", "crit": ["exp"]}, claims),
    "kid-number": tok({"alg": "ES256", "kid": 7}, claims),
    "kid-nul": tok('{"alg":"ES256","kid":"a\\u0000b"}', claims),
    "dup-members": tok({"alg": "ES256"}, '{"sub":"alice","sub":"root","exp":4102444800}'),
    "nul-in-claim": tok({"alg": "ES256"}, '{"sub":"ro\\u0000ot","exp":4102444800}'),
    "deep-ok": tok({"alg": "ES256"}, '{"a":' + "[" * 30 + "]" * 30 + ',"sub":"x"}'),
    "deep-too": tok({"alg": "ES256"}, '{"a":' + "[" * 40 + "]" * 40 + "}"),
    "deep-string": tok({"alg": "ES256"}, '{"a":"' + "[" * 40 + '\\"{","sub":"x"}'),
    "claims-array": tok({"alg": "ES256"}, "[1,2,3]"),
    "header-not-json": tok("alg", claims),
    "huge-numbers": tok({"alg": "ES256"}, '{"sub":"x","exp":1e400,"iat":-1e308,"nbf":18446744073709551616}'),
    "time-strings": tok({"alg": "ES256"}, {"sub": "x", "exp": "4102444800", "iat": None}),
    "noncanonical": "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In1.AB",
    "padding": "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0=.AA",
    "four-parts": "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.AA.AA",
    "empty-segment": "eyJhbGciOiJFUzI1NiJ9..AA",
    "password": "hunter2",
    "whitespace": " \t" + tok({"alg": "ES256"}, {"sub": "root", "exp": 4102444800}) + " \r\n",
    "unicode-sub": tok({"alg": "ES256"}, {"sub": "r\u00f6\u00f6t\n\x1b[31m", "exp": 4102444800}),
}
for name, t in tokens.items():
    put("token", name, t)

# ------------------------------------------------------------------ configs
full = """# every key pj_config_parse knows
key_file = /etc/pam_jwt/issuer.pem
key_file = /etc/pam_jwt/issuer2.crt
jwks_file = /etc/pam_jwt/jwks.json
hmac_secret_file = /etc/pam_jwt/hmac.secret
algorithms = RS256 RS384 RS512, PS256 PS384 PS512 ES256 ES384 ES512 EdDSA HS256 HS384 HS512
issuer = https://issuer.example/#frag
audience = pam
allowed_subjects = alice bob *
allowed_subjects_file = /etc/pam_jwt/subjects
subject_claim = preferred_username
user_map_file = /etc/pam_jwt/user_map
leeway = 30
max_lifetime = 3600
require_claim = scope login
require_claim = amr mfa
require_claim = n 42
revoked_file = /etc/pam_jwt/revoked
replay_cache = /var/lib/pam_jwt/replay
"""
put("config", "full.conf", full)
put("config", "minimal.conf", "key_file = /etc/k.pem\nallowed_subjects = *\n")
put("config", "crlf.conf", "key_file = /k.pem\r\nallowed_subjects = *\r\n\r\n")
put("config", "comments.conf", "# c\n   # indented\nissuer = https://x/#notacomment # comment\n\n")
put("config", "duplicate.conf", "issuer = a\nissuer = b\n")
put("config", "bad-algs.conf", "algorithms = none\n")
put("config", "eddsa.conf", "algorithms = EdDSA\n")
put("config", "bad-seconds.conf", "leeway = 86401\nmax_lifetime = -1\n")
put("config", "max-seconds.conf", "leeway = 86400\nmax_lifetime = 31536000\n")
put("config", "relative.conf", "key_file = relative/path.pem\n")
put("config", "spaces-in-path.conf", "key_file = /a b.pem\n")
put("config", "no-equals.conf", "key_file /k.pem\n")
put("config", "unknown.conf", "keyfile = /k.pem\n")
put("config", "empty-value.conf", "issuer =   \n")
put("config", "claim-one-word.conf", "require_claim = scope\n")
put("config", "long-line.conf", "issuer = " + "x" * 5000 + "\n")
put("config", "nul.conf", b"issuer = a\x00b\n")
put("config", "user-map", "# subject  user\n*@example.com  %l\nsvc-*  nobody\n[a-c]* %s%%\nroot root # me\n")
put("config", "user-map-bad", "alice\n")
put("config", "user-map-percent", "* %x\n")
put("config", "claims.json", json.dumps(claims))
put("config", "claims-edge.json", '{"exp":1700000000,"aud":[1,"pam",null],"scope":"a  login ","n":42.0,"b":"true"}')
put("config", "args", "debug use_first_pass try_first_pass config=/etc/x.conf prompt=Token: junk config=rel")

# ------------------------------------------------------------------ JWK Sets
def ec_jwk(curve, crv, coord, **extra):
    k = ec.generate_private_key(curve).public_key().public_numbers()
    j = {"kty": "EC", "crv": crv, "x": b64(k.x.to_bytes(coord, "big")),
         "y": b64(k.y.to_bytes(coord, "big"))}
    j.update(extra)
    return j


def rsa_jwk(bits=2048, **extra):
    k = rsa.generate_private_key(public_exponent=65537, key_size=bits).public_key().public_numbers()
    j = {"kty": "RSA", "n": b64(k.n.to_bytes((k.n.bit_length() + 7) // 8, "big")),
         "e": b64(k.e.to_bytes(3, "big"))}
    j.update(extra)
    return j


def okp_jwk(mod, crv, **extra):
    raw = mod.generate().public_key().public_bytes(serialization.Encoding.Raw,
                                                   serialization.PublicFormat.Raw)
    j = {"kty": "OKP", "crv": crv, "x": b64(raw)}
    j.update(extra)
    return j


def jwks(*keys):
    return json.dumps({"keys": list(keys)}, indent=1)


put("jwks", "rsa.json", jwks(rsa_jwk(kid="rsa1", alg="RS256", use="sig")))
put("jwks", "rsa-pss.json", jwks(rsa_jwk(kid="pss", alg="PS384")))
put("jwks", "rsa-1024.json", jwks(rsa_jwk(1024, kid="small")))
put("jwks", "ec.json", jwks(ec_jwk(ec.SECP256R1(), "P-256", 32, kid="p256", alg="ES256"),
                            ec_jwk(ec.SECP384R1(), "P-384", 48, kid="p384"),
                            ec_jwk(ec.SECP521R1(), "P-521", 66, alg="ES512")))
put("jwks", "okp.json", jwks(okp_jwk(ed25519.Ed25519PrivateKey, "Ed25519", kid="ed1", alg="EdDSA"),
                             okp_jwk(ed448.Ed448PrivateKey, "Ed448", kid="ed448")))
put("jwks", "mixed.json", jwks(
    rsa_jwk(kid="r"),
    ec_jwk(ec.SECP256R1(), "P-256", 32, kid="e", use="enc"),
    {"kty": "oct", "k": b64("secret"), "kid": "o"},
    dict(ec_jwk(ec.SECP256R1(), "P-256", 32), d=b64(b"\x01" * 32)),
    {"kty": "EC", "crv": "P-256", "x": b64(b"\x00" * 32), "y": b64(b"\x00" * 32)},
    {"kty": "EC", "crv": "secp256k1", "x": b64(b"\x01" * 32), "y": b64(b"\x01" * 32)},
    okp_jwk(ed25519.Ed25519PrivateKey, "Ed25519", alg="ES256"),
    okp_jwk(ed25519.Ed25519PrivateKey, "X25519"),
    {"kty": "RSA", "n": b64(b"\xff" * 256), "e": b64(b"\x01"), "alg": "HS256"},
    {"kty": "RSA", "n": b64(b"\xff" * 256), "e": "AQAB", "kid": ""},
    {"kty": "RSA", "n": "not base64!", "e": "AQAB"},
    {"kty": 7},
    [],
))
put("jwks", "empty.json", '{"keys":[]}')
put("jwks", "not-array.json", '{"keys":{"kty":"RSA"}}')
put("jwks", "deep.json", '{"keys":[' + "[" * 40 + "]" * 40 + "]}")
put("jwks", "dup.json", '{"keys":[],"keys":[]}')

# ------------------------------------------------------------------ PAM
# Raw tokens, and 0xFF U M PAYLOAD inputs the harness signs (see fuzz_pam.c).
for name in ("es256", "hs256", "alg-none", "whitespace", "password", "deep-too", "dup-members"):
    put("pam", "raw-" + name, tokens[name])
put("pam", "raw-long", tok({"alg": "ES256"}, {"sub": "root", "pad": "x" * 12400}))


def signed(user, mode, payload):
    return bytes([0xFF, user, mode]) + payload.encode()


B = ('"iss":"https://issuer.example","aud":"pam-fuzz","iat":@T,"exp":@E,'
     '"scope":"openid login"')
pam = {
    "a-es256-root": signed(1, 1, '{"sub":"root","exp":4102444800}'),
    "a-es256-unset": signed(0, 1, '{"sub":"root","exp":@E,"iat":@T,"nbf":@P}'),
    "a-es256-wronguser": signed(2, 1, '{"sub":"root","exp":@E}'),
    "a-es256-nosuchuser": signed(3, 1, '{"sub":"pjfuzz-nosuchuser","exp":@E}'),
    "a-es256-expired": signed(0, 1, '{"sub":"root","exp":@P}'),
    "a-es256-future": signed(0, 1, '{"sub":"root","exp":@E,"nbf":@F}'),
    "a-es256-map": signed(0, 1, '{"sub":"svc-backup","exp":@E}'),
    "a-es256-map-bad": signed(0, 1, '{"sub":"carol","exp":@E}'),
    "a-rs256-map-domain": signed(0, 2, '{"sub":"root@example.com","exp":@E}'),
    "a-ps256-header": signed(4, 3, '{"alg":"PS256","kid":"rsa-pss"}\n{"sub":"root","exp":@E}'),
    "a-es256-crit": signed(0, 1, '{"alg":"ES256","crit":["b64"]}\n{"sub":"root","exp":@E}'),
    "a-es256-alg-mismatch": signed(0, 1, '{"alg":"ES384"}\n{"sub":"root","exp":@E}'),
    "a-es256-no-sub": signed(0, 1, '{"exp":@E}'),
    "b-hs256-root": signed(1, 4, '{"sub":"root@example.com","jti":"j-1",' + B + '}'),
    "b-hs384-unset": signed(0, 5, '{"sub":"root@example.com","jti":"j-2",' + B + '}'),
    "b-hs512-revoked": signed(0, 6, '{"sub":"root@example.com","jti":"revoked-1",' + B + '}'),
    "b-hs256-nojti": signed(0, 4, '{"sub":"root@example.com",' + B + '}'),
    "b-hs256-wrongaud": signed(0, 4, '{"sub":"root@example.com","jti":"x","aud":["a","b"],"iss":"https://issuer.example","iat":@T,"exp":@E,"scope":"login"}'),
    "b-hs256-lifetime": signed(0, 4, '{"sub":"root@example.com","jti":"x","aud":"pam-fuzz","iss":"https://issuer.example","iat":@P,"exp":@F,"scope":"login"}'),
    "b-eddsa-root": signed(0, 7, '{"sub":"root@example.com","jti":"j-3",' + B + '}'),
    "b-eddsa-wrongkid": signed(0, 7, '{"alg":"EdDSA","kid":"nope"}\n{"sub":"root@example.com","jti":"j-4",' + B + '}'),
    "b-es384-svc": signed(0, 8, '{"sub":"svc-backup","jti":"j-5",' + B + '}'),
    "b-es384-subject-list": signed(5, 8, '{"sub":"alice","jti":"j-6",' + B + '}'),
    "b-rs512-rsa": signed(0, 11, '{"sub":"root@example.com","jti":"j-7",' + B + '}'),
    "c-es384-onetime": signed(0, 8, '{"preferred_username":"root","jti":"c-1","exp":@F}'),
    "c-es384-nojti": signed(1, 8, '{"preferred_username":"root","exp":@F,"iat":@P}'),
    "c-es384-far-exp": signed(0, 8, '{"preferred_username":"nobody","jti":"c-2","exp":4102444800}'),
    "untrusted-ed448": signed(0, 9, '{"sub":"root","exp":@E}'),
    "alg-confusion-hs256": signed(1, 10, '{"alg":"HS256"}\n{"sub":"root","exp":@E}'),
    "conv-fail": signed(6, 1, '{"sub":"root","exp":@E}'),
    "conv-null": signed(7, 1, '{"sub":"root","exp":@E}'),
    "raw-mode-with-user": signed(1, 0, tokens["es256"]),
}
for name, data in pam.items():
    put("pam", name, data)

# ------------------------------------------------------------------ key files
# DER SubjectPublicKeyInfo (for pj_pkey_spki) and PEM key_file texts.
import datetime
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes

SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
PEM = (serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
rsa_small = rsa.generate_private_key(public_exponent=3, key_size=1024)
p256 = ec.generate_private_key(ec.SECP256R1())
p384 = ec.generate_private_key(ec.SECP384R1())
p521 = ec.generate_private_key(ec.SECP521R1())
k1 = ec.generate_private_key(ec.SECP256K1())
edk = ed25519.Ed25519PrivateKey.generate()
ed4 = ed448.Ed448PrivateKey.generate()
for name, k in (("rsa2048", rsa_key), ("rsa1024-e3", rsa_small), ("p256", p256), ("p384", p384),
                ("p521", p521), ("secp256k1", k1), ("ed25519", edk), ("ed448", ed4)):
    put("keyfile", name + ".der", k.public_key().public_bytes(*SPKI))
put("keyfile", "p256-compressed.der", bytes.fromhex(
    "3039301306072a8648ce3d020106082a8648ce3d030107032200") +
    p256.public_key().public_bytes(serialization.Encoding.X962,
                                   serialization.PublicFormat.CompressedPoint))
der = rsa_key.public_key().public_bytes(*SPKI)
put("keyfile", "rsa-no-null-params.der", bytes.fromhex("30820120300b06092a864886f70d010101") + der[19:])
put("keyfile", "rsa-long-length.der", b"\x30\x83\x00\x01\x22" + der[4:])
put("keyfile", "trailing.der", der + b"\x00")

def cert(key, signer):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pam_jwt fuzz")])
    now = datetime.datetime(2025, 1, 1)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=3650))
            .sign(signer, None if isinstance(signer, ed25519.Ed25519PrivateKey) else hashes.SHA256()))

put("keyfile", "pem-multi.pem", b"# comment\n" + rsa_key.public_key().public_bytes(*PEM) +
    p384.public_key().public_bytes(*PEM) + edk.public_key().public_bytes(*PEM))
put("keyfile", "pem-rsa-pkcs1.pem", rsa_key.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.PKCS1))
put("keyfile", "pem-cert.pem", cert(p256, p256).public_bytes(serialization.Encoding.PEM))
put("keyfile", "pem-cert-ed25519.pem", cert(edk, edk).public_bytes(serialization.Encoding.PEM))
put("keyfile", "pem-private.pem", p256.private_bytes(serialization.Encoding.PEM,
    serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
put("keyfile", "pem-small-rsa.pem", rsa_small.public_key().public_bytes(*PEM))
put("keyfile", "pem-k1.pem", k1.public_key().public_bytes(*PEM))
put("keyfile", "pem-damaged.pem", b"-----BEGIN PUBLIC KEY-----\nMFkw!!!\n-----END PUBLIC KEY-----\n")
put("keyfile", "pem-headers.pem", b"-----BEGIN PUBLIC KEY-----\nProc-Type: 4,ENCRYPTED\n\n" +
    b"\n".join(p256.public_key().public_bytes(*PEM).split(b"\n")[1:]))
put("keyfile", "pem-other.pem", b"-----BEGIN DH PARAMETERS-----\nMAA=\n-----END DH PARAMETERS-----\n")
put("keyfile", "empty", b"")
# ------------------------------------------------------------------ proofs
# fuzz_pop: answers to the proof prompt for its fixed token, nonce and now,
# with its fixed test key (the same PEM as in fuzz_pop.c).
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
import hashlib
pop_key = serialization.load_pem_private_key(b"""-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgZkIq5Hx9adEfOI2Q
hzOAIFcjo/0WIHXIxrNxMrUEtyihRANCAATs6gXqs7cIQBEciH2vJ5nZ8lNbe0yK
GML0/DP3n88KdS40cgbZQCI4Fv2V2sbnUciTV8iKqPORzuZdFJ4uZVtw
-----END PRIVATE KEY-----
""", None)
pn = pop_key.public_key().public_numbers()
pop_jwk = {"crv": "P-256", "kty": "EC", "x": b64(pn.x.to_bytes(32, "big")),
           "y": b64(pn.y.to_bytes(32, "big"))}
POP_TOKEN = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln"
POP_NONCE = "bm9uY2Utbm9uY2Utbm9uY2Utbm9uY2Utbm9uY2Utbm8"
pop_claims = {"nonce": POP_NONCE, "iat": 1700000000, "ath": b64(hashlib.sha256(POP_TOKEN.encode()).digest()),
              "aud": "ssh://fuzz.example"}


def es256(header, claims):
    h = b64(json.dumps(header, separators=(",", ":")))
    c = b64(json.dumps(claims, separators=(",", ":")))
    r, s_ = decode_dss_signature(pop_key.sign((h + "." + c).encode(), ec.ECDSA(hashes.SHA256())))
    return h + "." + c + "." + b64(r.to_bytes(32, "big") + s_.to_bytes(32, "big"))


pop_hdr = {"typ": "pamjwt-pop+jwt", "alg": "ES256", "jwk": pop_jwk}
put("pop", "good", es256(pop_hdr, pop_claims))
put("pop", "good-spaces", " \t" + es256(pop_hdr, pop_claims) + "\r\n")
put("pop", "other-nonce", es256(pop_hdr, dict(pop_claims, nonce="x")))
put("pop", "iat-late", es256(pop_hdr, dict(pop_claims, iat=1700000031)))
put("pop", "iat-string", es256(pop_hdr, dict(pop_claims, iat="1700000000")))
put("pop", "no-ath", es256(pop_hdr, {"nonce": POP_NONCE, "iat": 1700000000, "aud": "ssh://fuzz.example"}))
# aud: the target the client named; fuzz_pop accepts ssh://fuzz.example,
# ssh://alias.example and local://sshd.fuzz.example
put("pop", "aud-alias", es256(pop_hdr, dict(pop_claims, aud="ssh://alias.example")))
put("pop", "aud-local", es256(pop_hdr, dict(pop_claims, aud="local://sshd.fuzz.example")))
put("pop", "aud-other", es256(pop_hdr, dict(pop_claims, aud="ssh://evil.example")))
put("pop", "aud-unexpanded", es256(pop_hdr, dict(pop_claims, aud="local://%s.%h")))
put("pop", "aud-array", es256(pop_hdr, dict(pop_claims, aud=["ssh://fuzz.example"])))
put("pop", "aud-number", es256(pop_hdr, dict(pop_claims, aud=1)))
put("pop", "aud-escape", es256(pop_hdr, dict(pop_claims, aud="ssh://fuzz.example\u001b\\")))
put("pop", "no-aud", es256(pop_hdr, {k: v for k, v in pop_claims.items() if k != "aud"}))
put("pop", "typ-jwt", es256(dict(pop_hdr, typ="JWT"), pop_claims))
put("pop", "crit", es256(dict(pop_hdr, crit=["x"]), pop_claims))
put("pop", "hs256", es256(dict(pop_hdr, alg="HS256"), pop_claims))
put("pop", "es384", es256(dict(pop_hdr, alg="ES384"), pop_claims))
put("pop", "private-d", es256(dict(pop_hdr, jwk=dict(pop_jwk, d="AAAA")), pop_claims))
put("pop", "jwk-string", es256(dict(pop_hdr, jwk="x"), pop_claims))
put("pop", "jwk-okp", es256(dict(pop_hdr, jwk={"kty": "OKP", "crv": "Ed25519", "x": pop_jwk["x"]}), pop_claims))
put("pop", "jwk-rsa", es256(dict(pop_hdr, jwk={"kty": "RSA", "n": pop_jwk["x"], "e": "AQAB"}), pop_claims))
put("pop", "bad-sig", es256(pop_hdr, pop_claims)[:-4] + "AAAA")
put("pop", "two-segments", tok(pop_hdr, pop_claims).rsplit(".", 1)[0])
put("pop", "password", "hunter2")
# fuzz_pop also reads every input as a target (pop_audience, a proof's aud)
put("pop", "aud-case-dot", es256(pop_hdr, dict(pop_claims, aud="SSH://Fuzz.Example.")))
put("pop", "target-host-case-dot", "SSH://Fuzz.Example./x")
put("pop", "target-other-scheme", "host://x")
# fuzz_device: the helper's output; byte 0 picks the piece size.
dev_tok = tok({"alg": "ES256"}, {"sub": "alice"}) + ".c2ln"
dev_show = "show https://idp.example/device ABCD-EFGH https://idp.example/device?user_code=ABCD-EFGH\n"
put("device", "approved", "\x00" + dev_show + "token " + dev_tok + "\n")
put("device", "approved-short", "\x03show http://127.0.0.1:3000/device WDJB-MJHT\ntoken " + dev_tok + "\n")
for w in ("denied", "expired", "timeout", "error"):
    put("device", "error-" + w, "\x07" + dev_show + "error " + w + "\n")
put("device", "error-first", "\x00error error\n")
put("device", "token-first", "\x00token " + dev_tok + "\n")
put("device", "extra", "\x10" + dev_show + "error denied\nshow x\n")
put("device", "escape", "\x00show https://idp.example/\x1b[2J ABCD\n")
put("device", "not-jwt", "\x00" + dev_show + "token hunter2\n")
# fuzz_groups: a group_map file, a line "%%", claims JSON.
put("groups", "keycloak-entra", "/admins adm\n0a1b2c3d-0000-4000-8000-000000000001 developers # Entra\n"
    "/Engineering Team eng\n%%\n" + json.dumps({"groups": ["/admins", 5, "/Engineering Team"]}) + "\n")
put("groups", "string", "a b\na c\nb c\n%%\n" + json.dumps({"groups": "a"}) + "\n")
put("groups", "odd", "# only comments\r\n\t\n x y \r\n%%\n" + json.dumps({"groups": [["x"], {"x": 1}, "x", "x"]}) + "\n")
# fuzz_roster: a roster payload (JSON text).
put("roster", "full.json", """{"serial": 42, "iat": 1796670000, "exp": 1897274800,
 "users": [{"name": "alice", "uid": 200001, "iss": "https://idp.example.com", "sub": "248289761001",
            "groups": ["developers"], "real_name": "Alice Doe", "shell": "/bin/bash"},
           {"name": "bob", "uid": 200002, "iss": "https://idp.example.com", "sub": "b"}],
 "groups": [{"name": "developers", "gid": 200100}]}
""")
put("roster", "local.json", '{"serial":1,"users":[{"name":"root","uid":200003,"iss":"i","sub":"s"}],'
    '"groups":[{"name":"sudo","gid":200004}]}\n')
put("roster", "localuid.json", '{"serial":1,"users":[{"name":"x","uid":200077,"iss":"i","sub":"s"}]}\n')
print("corpus written to", out)
