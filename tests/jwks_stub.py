#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Test helper for tests/test_jwks_refresh.sh (loopback only, no network).

  serve DIR [CERT KEY]   serve the files of DIR/www on 127.0.0.1 (random
                         port, written to DIR/port), https with CERT and KEY;
                         a path listed in DIR/www/.redirects ("PATH URL"
                         lines) answers 302 to URL; GET only.
  jwks OUT SPEC...       write a JWK Set of new public keys: SPEC is
                         ec:KID, rsa:KID or ed:KID (an empty KID: no kid)
"""
import base64
import json
import os
import ssl
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_jwk(kind):
    if kind == "ec":
        n = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()
        return {"kty": "EC", "crv": "P-256", "x": b64u(n.x.to_bytes(32, "big")),
                "y": b64u(n.y.to_bytes(32, "big"))}
    if kind == "rsa":
        n = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key().public_numbers()
        return {"kty": "RSA", "n": b64u(n.n.to_bytes(256, "big")), "e": b64u(n.e.to_bytes(3, "big"))}
    if kind == "ed":
        from cryptography.hazmat.primitives import serialization
        raw = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {"kty": "OKP", "crv": "Ed25519", "x": b64u(raw)}
    raise SystemExit("unknown key kind " + kind)


def jwks(out, specs):
    keys = []
    for spec in specs:
        kind, _, kid = spec.partition(":")
        k = public_jwk(kind)
        if kid:
            k["kid"] = kid
        keys.append(k)
    with open(out, "w") as f:
        json.dump({"keys": keys}, f)


def serve(d, cert=None, key=None):
    www = os.path.join(d, "www")

    class H(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            redirects = {}
            try:
                with open(os.path.join(www, ".redirects")) as f:
                    for line in f:
                        p, _, url = line.strip().partition(" ")
                        redirects[p] = url
            except OSError:
                pass
            with open(os.path.join(d, "requests"), "a") as f:
                f.write(self.path + "\n")
            if self.path in redirects:
                self.send_response(302)
                self.send_header("Location", redirects[self.path])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            path = os.path.normpath(os.path.join(www, self.path.lstrip("/")))
            if not path.startswith(www + "/") or not os.path.isfile(path):
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            with open(path, "rb") as f:
                body = f.read()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    srv = HTTPServer(("127.0.0.1", 0), H)
    if cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(os.path.join(d, "port.tmp"), "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(os.path.join(d, "port.tmp"), os.path.join(d, "port"))
    srv.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "serve":
        serve(*sys.argv[2:5])
    elif len(sys.argv) >= 3 and sys.argv[1] == "jwks":
        jwks(sys.argv[2], sys.argv[3:])
    else:
        raise SystemExit(__doc__)
