#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Test helper for tests/test_client.sh (loopback only, no network).

  serve DIR [CERT KEY]   a minimal OpenID provider on 127.0.0.1 (random port,
                         written to DIR/port): discovery, device authorization
                         and a token endpoint that checks every DPoP proof.
                         What it does is chosen per request by DIR/mode; what
                         it saw is written to DIR/state.json.
  check-login DIR        the full login's sequence and timing, from state.json
  verify-proof PROOF NONCE TOKEN [AUD]  a pamjwt-pop+jwt proof, as the module would
  jkt-of-pem PEM         RFC 7638 thumbprint of a private key's public key
  claim TOKEN NAME[.NAME]          a claim of a token (signature not checked)
  tty PAMJWT PROMPT ANSWER         askpass on a pseudo-terminal: echo must be off
"""
import base64
import hashlib
import json
import os
import secrets
import ssl
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

CLIENT_ID = "pamjwt-test"
# the polling interval the stub asks for: 2 s for the full login, whose
# timing is checked (so an immediate retry is told from a poll even on a
# loaded machine), else 1 s
INTERVAL = {True: 2, False: 1}


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64u_dec(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def thumbprint(jwk):
    """RFC 7638, written here independently of pamjwt's C code."""
    required = {"EC": ("crv", "kty", "x", "y"), "RSA": ("e", "kty", "n"),
                "OKP": ("crv", "kty", "x")}[jwk["kty"]]
    text = json.dumps({k: jwk[k] for k in required}, separators=(",", ":"), sort_keys=True)
    return b64u(hashlib.sha256(text.encode()).digest())


def int_b64u(n, size=None):
    size = size or (n.bit_length() + 7) // 8
    return b64u(n.to_bytes(size, "big"))


def public_jwk(pub):
    if isinstance(pub, ec.EllipticCurvePublicKey):
        size = (pub.curve.key_size + 7) // 8
        nums = pub.public_numbers()
        crv = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}[pub.curve.name]
        return {"kty": "EC", "crv": crv, "x": int_b64u(nums.x, size), "y": int_b64u(nums.y, size)}
    if isinstance(pub, rsa.RSAPublicKey):
        nums = pub.public_numbers()
        return {"kty": "RSA", "n": int_b64u(nums.n), "e": int_b64u(nums.e)}
    if isinstance(pub, ed25519.Ed25519PublicKey):
        raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {"kty": "OKP", "crv": "Ed25519", "x": b64u(raw)}
    raise ValueError("key type")


def unverified_claims(token):
    return json.loads(b64u_dec(token.split(".")[1]))


PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")
ALG_FOR_KTY = {"EC": ("ES256", "ES384", "ES512"), "RSA": ("RS256",), "OKP": ("EdDSA",)}


def verify_jws_with_jwk(proof, typ):
    """The header's typ and jwk, the signature under that jwk: (header, claims)."""
    hdr = jwt.get_unverified_header(proof)
    if hdr.get("typ") != typ:
        raise ValueError("typ %r" % hdr.get("typ"))
    jwk = hdr.get("jwk")
    if not isinstance(jwk, dict):
        raise ValueError("no jwk")
    if any(m in jwk for m in PRIVATE_MEMBERS):
        raise ValueError("jwk has private members")
    if hdr.get("alg") not in ALG_FOR_KTY.get(jwk.get("kty"), ()):
        raise ValueError("alg %r does not fit kty %r" % (hdr.get("alg"), jwk.get("kty")))
    key = jwt.algorithms.get_default_algorithms()[hdr["alg"]].from_jwk(json.dumps(jwk))
    claims = jwt.decode(proof, key, algorithms=[hdr["alg"]],
                        options={"verify_aud": False, "verify_exp": False})
    if not isinstance(claims.get("iat"), int) or abs(claims["iat"] - time.time()) > 60:
        raise ValueError("iat %r" % claims.get("iat"))
    return hdr, claims


# ------------------------------------------------------------------ server

class Provider(BaseHTTPRequestHandler):
    server_version = "stub"
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    # -- helpers
    def mode(self):
        try:
            with open(os.path.join(self.server.dir, "mode")) as f:
                return f.read().strip()
        except OSError:
            return "full"

    def reply(self, status, body, headers=()):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, err, headers=()):
        self.reply(status, {"error": err}, headers)

    def form(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n).decode()
        if self.headers.get("Content-Type", "").split(";")[0] != "application/x-www-form-urlencoded":
            self.server.state["errors"].append("form content type %r" % self.headers.get("Content-Type"))
        return dict(urllib.parse.parse_qsl(body, keep_blank_values=True))

    # -- endpoints
    def do_GET(self):
        st, base, mode = self.server.state, self.server.base, self.mode()
        if self.path != "/.well-known/openid-configuration":
            return self.error(404, "not_found")
        st["discovery"] += 1
        if mode == "redirect":
            self.send_response(302)
            self.send_header("Location", base + "/elsewhere")
            self.send_header("Content-Length", "0")
            return self.end_headers()
        cfg = {"issuer": base, "device_authorization_endpoint": base + "/device",
               "token_endpoint": base + "/token", "jwks_uri": base + "/jwks",
               "dpop_signing_alg_values_supported": ["ES256", "EdDSA", "RS256"]}
        if mode == "issuer-mismatch":
            cfg["issuer"] = base + "/"
        if mode == "bad-endpoint":
            cfg["token_endpoint"] = "http://example.com/token"
        if mode == "no-device":
            del cfg["device_authorization_endpoint"]
        if mode == "escape":  # text from the provider that would drive a terminal
            # a right-to-left override (U+202E) in the URL curl takes, and
            # an answer that is not JSON: the URL is shown in the message
            cfg["device_authorization_endpoint"] = base + "/device\u202eevil"
        if mode in ("huge", "huge-unannounced"):
            cfg["padding"] = "x" * (100 * 1024)
        if mode == "huge-unannounced":  # no Content-Length: read until the connection closes
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            try:
                self.wfile.write(json.dumps(cfg).encode())
            except OSError:
                pass  # the client hung up once it had enough
            return
        self.reply(200, cfg)

    def do_POST(self):
        st, base, mode = self.server.state, self.server.base, self.mode()
        form = self.form()
        if form.get("client_id") != CLIENT_ID:
            st["errors"].append("client_id %r" % form.get("client_id"))
        if mode == "escape":
            return self.reply(500, b"<html>oops</html>")
        if self.path == "/device":
            st["device"] += 1
            st["scope"] = form.get("scope")
            st["resource"] = form.get("resource")
            self.server.resource = form.get("resource")
            st["device_at"] = time.monotonic()
            st["outcomes"], st["times"], st["dpop_algs"], st["nonce_used"] = [], [], [], 0
            if mode == "full":
                self.server.nonce = None  # each full login is asked for a nonce once
            self.server.device_code = secrets.token_urlsafe(16)
            return self.reply(200, {
                "device_code": self.server.device_code, "user_code": "WDJB-MJHT",
                "verification_uri": base + "/verify",
                "verification_uri_complete": base + "/verify?user_code=WDJB-MJHT",
                "expires_in": 3 if mode == "pending" else 60, "interval": INTERVAL[mode == "full"]})
        if self.path != "/token":
            return self.error(404, "not_found")
        return self.token(st, base, mode, form)

    def token(self, st, base, mode, form):
        now = time.monotonic()
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:device_code":
            st["errors"].append("grant_type %r" % form.get("grant_type"))
        if form.get("device_code") != self.server.device_code:
            st["errors"].append("device_code does not match")
        if mode == "forever":  # pamjwt-device (no DPoP): never approved
            return self.outcome(now, "authorization_pending")
        proof = self.headers.get("DPoP")
        try:
            if proof is None:
                raise ValueError("no DPoP header")
            hdr, claims = verify_jws_with_jwk(proof, "dpop+jwt")
            if claims.get("htm") != "POST" or claims.get("htu") != base + "/token":
                raise ValueError("htm %r htu %r" % (claims.get("htm"), claims.get("htu")))
            if not claims.get("jti") or claims["jti"] in self.server.jtis:
                raise ValueError("jti missing or reused")
            self.server.jtis.add(claims["jti"])
        except Exception as e:  # any flaw in the proof
            st["errors"].append("DPoP: %s" % e)
            self.save()
            return self.error(400, "invalid_dpop_proof")
        st["dpop_algs"].append(hdr["alg"])
        nonce = self.server.nonce
        if mode == "full":
            if nonce is None:  # demand a nonce once, on the first request
                self.server.nonce = secrets.token_urlsafe(12)
                return self.outcome(now, "use_dpop_nonce", [("DPoP-Nonce", self.server.nonce)])
            if claims.get("nonce") != nonce:
                st["errors"].append("DPoP nonce %r, wanted %r" % (claims.get("nonce"), nonce))
                return self.outcome(now, "use_dpop_nonce", [("DPoP-Nonce", nonce)])
            st["nonce_used"] += 1
            step = len([o for o in st["outcomes"] if o != "use_dpop_nonce"])
            sequence = ["authorization_pending", "authorization_pending", "slow_down"]
            if step < len(sequence):
                return self.outcome(now, sequence[step])
        elif mode in ("denied", "expired", "pending"):
            return self.outcome(now, {"denied": "access_denied", "expired": "expired_token",
                                      "pending": "authorization_pending"}[mode])
        jkt = thumbprint(hdr["jwk"])
        tclaims = {"iss": base, "sub": "alice", "aud": self.server.resource or "ssh", "iat": int(time.time()),
                   "exp": int(time.time()) + 600, "jti": secrets.token_hex(8),
                   "scope": form.get("scope", "")}
        if mode != "bearer":
            tclaims["cnf"] = {"jkt": jkt}
        if mode != "short":
            tclaims["groups"] = ["staff-%03d" % i for i in range(120)]  # a long token
        tok = jwt.encode(tclaims, self.server.key, algorithm="ES256", headers={"kid": "k1"})
        st["token"], st["jkt"] = tok, jkt
        st["outcomes"].append("token")
        st["times"].append(now)
        self.save()
        self.reply(200, {"access_token": tok, "token_type": "DPoP" if mode != "bearer" else "Bearer",
                         "expires_in": 600})

    def outcome(self, now, err, headers=()):
        st = self.server.state
        st["outcomes"].append(err)
        st["times"].append(now)
        self.save()
        self.error(400, err, headers)

    def save(self):
        path = os.path.join(self.server.dir, "state.json")
        with open(path + ".tmp", "w") as f:
            json.dump(self.server.state, f)
        os.replace(path + ".tmp", path)


def serve(d, cert=None, key=None):
    srv = HTTPServer(("127.0.0.1", 0), Provider)
    scheme = "http"
    if cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        scheme = "https"
    srv.dir = d
    srv.base = "%s://127.0.0.1:%d" % (scheme, srv.server_address[1])
    srv.state = {"errors": [], "outcomes": [], "times": [], "dpop_algs": [], "discovery": 0,
                 "device": 0, "nonce_used": 0}
    srv.nonce = None
    srv.jtis = set()
    srv.device_code = None
    srv.resource = None
    srv.key = ec.generate_private_key(ec.SECP256R1())
    with open(os.path.join(d, "port.tmp"), "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.replace(os.path.join(d, "port.tmp"), os.path.join(d, "port"))
    srv.serve_forever()


# ------------------------------------------------------------------ checks

def check_login(d):
    with open(os.path.join(d, "state.json")) as f:
        st = json.load(f)
    problems = list(st["errors"])
    want = ["use_dpop_nonce", "authorization_pending", "authorization_pending", "slow_down", "token"]
    if st["outcomes"] != want:
        problems.append("outcomes %r" % st["outcomes"])
    else:
        t = st["times"]
        gaps = [t[0] - st["device_at"]] + [b - a for a, b in zip(t, t[1:])]
        print("# gaps between token requests: %s" % ", ".join("%.2f" % g for g in gaps))
        iv = INTERVAL[True]
        if gaps[0] < iv - 0.05:
            problems.append("first poll %.2f s after the device code (interval %d)" % (gaps[0], iv))
        if gaps[1] > iv * 0.75 and not os.environ.get("TEST_WRAPPER"):
            problems.append("nonce retry %.2f s later, not at once" % gaps[1])
        for i in (2, 3):
            if gaps[i] < iv - 0.05:
                problems.append("poll %d only %.2f s after the last (interval %d)" % (i, gaps[i], iv))
        if gaps[4] < iv + 5 - 0.05:
            problems.append("after slow_down only %.2f s (interval %d + 5)" % (gaps[4], iv))
    if st["nonce_used"] != 4:
        problems.append("nonce used in %d requests, wanted 4" % st["nonce_used"])
    if set(st["dpop_algs"]) != {"ES256"}:
        problems.append("DPoP algs %r" % st["dpop_algs"])
    for p in problems:
        print("# " + p)
    return 1 if problems else 0


def verify_proof(proof, nonce, token, aud=None):
    try:
        hdr, claims = verify_jws_with_jwk(proof, "pamjwt-pop+jwt")
        jkt = unverified_claims(token).get("cnf", {}).get("jkt")
        if thumbprint(hdr["jwk"]) != jkt:
            raise ValueError("jwk thumbprint %s is not cnf.jkt %s" % (thumbprint(hdr["jwk"]), jkt))
        if claims.get("nonce") != nonce:
            raise ValueError("nonce %r" % claims.get("nonce"))
        if claims.get("ath") != b64u(hashlib.sha256(token.encode()).digest()):
            raise ValueError("ath %r" % claims.get("ath"))
        if aud is not None and claims.get("aud") != aud:
            raise ValueError("aud %r, wanted %r" % (claims.get("aud"), aud))
    except Exception as e:
        print("# proof refused: %s" % e)
        return 1
    print(hdr["alg"])
    return 0


def tty(pamjwt, prompt, answer):
    """askpass reads a line from /dev/tty: echo off, the line on stdout."""
    import pty
    import select
    master, slave = pty.openpty()
    rd, wr = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.setsid()
        import fcntl
        import termios
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        os.dup2(slave, 0)
        os.dup2(wr, 1)
        os.dup2(slave, 2)
        os.close(master)
        os.environ.pop("PAMJWT_ASKPASS_FALLBACK", None)
        os.execv(pamjwt, [pamjwt, "askpass", prompt])
    os.close(slave)
    os.close(wr)
    seen = b""
    deadline = time.monotonic() + 10
    while prompt.encode() not in seen and time.monotonic() < deadline:
        if select.select([master], [], [], 0.5)[0]:
            seen += os.read(master, 1024)
    os.write(master, answer.encode() + b"\n")
    out = b""
    while True:
        chunk = os.read(rd, 1024)
        if not chunk:
            break
        out += chunk
    while select.select([master], [], [], 0.2)[0]:
        try:
            seen += os.read(master, 1024)
        except OSError:
            break
    _, status = os.waitpid(pid, 0)
    ok = (os.WEXITSTATUS(status) == 0 and out == answer.encode() + b"\n"
          and answer.encode() not in seen)
    print("# terminal saw %r, stdout %r, exit %d" % (seen, out, os.WEXITSTATUS(status)))
    return 0 if ok else 1


def main(argv):
    cmd = argv[1]
    if cmd == "serve":
        return serve(*argv[2:])
    if cmd == "check-login":
        return check_login(argv[2])
    if cmd == "verify-proof":
        return verify_proof(*argv[2:6])
    if cmd == "jkt-of-pem":
        with open(argv[2], "rb") as f:
            key = serialization.load_pem_private_key(f.read(), None)
        print(thumbprint(public_jwk(key.public_key())))
        return 0
    if cmd == "claim":
        v = unverified_claims(argv[2])
        for part in argv[3].split("."):
            v = v[part]
        print(v)
        return 0
    if cmd == "tty":
        return tty(argv[2], argv[3], argv[4])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
