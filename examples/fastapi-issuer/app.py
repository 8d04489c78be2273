# SPDX-License-Identifier: BSD-3-Clause
"""A small token issuer for pam_jwt (example, not a product).

POST /token      checks a user's password (HTTP basic auth, or the form
                 fields username and password) and returns a short-lived
                 ES256 JWT: sub, iat, exp, jti (random), aud and, if
                 configured, iss.  The header carries the key's kid.
GET  /jwks.json  the public key as a JWK Set (for pam_jwt's jwks_file).

Configuration (environment):
  PAMJWT_ISSUER_KEY       PEM EC P-256 private key (required)
  PAMJWT_ISSUER_USERS     JSON users file {"alice": "scrypt$...", ...} (required)
  PAMJWT_ISSUER_AUDIENCE  aud claim (default "ssh://" and this machine's
                          name: the target pamjwt askpass names for ssh to
                          it; local://HOST for sudo on HOST)
  PAMJWT_ISSUER_ISSUER    iss claim (default: none)
  PAMJWT_ISSUER_TTL       token lifetime in seconds (default 120)
  PAMJWT_ISSUER_KID       kid (default: the key's RFC 7638 thumbprint)

Run (Debian 12: python3-fastapi python3-uvicorn python3-jwt):
  /usr/bin/python3 -m uvicorn --app-dir examples/fastapi-issuer app:app \\
      --host 127.0.0.1 --port 8000
Set a password in the users file (the password is read from stdin):
  /usr/bin/python3 app.py set-password users.json alice
"""

import base64
import binascii
import functools
import hashlib
import hmac
import json
import os
import secrets
import socket
import stat
import sys
import tempfile
import time
import urllib.parse

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

# scrypt parameters for new hashes (about 16 MiB and 50 ms per check)
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MAX_BODY = 4096  # bytes of form data accepted by POST /token


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# ---- passwords ------------------------------------------------------------

def hash_password(password: str) -> str:
    """'scrypt$N$r$p$SALT$HASH', salt and hash base64url."""
    salt = secrets.token_bytes(16)
    dk = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=SCRYPT_N,
                        r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64u(salt)}${b64u(dk)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, dk = stored.split("$")
        n, r, p = int(n), int(r), int(p)
        salt, dk = b64u_decode(salt), b64u_decode(dk)
    except (ValueError, binascii.Error):
        return False
    if scheme != "scrypt" or not (2 <= n <= 2**20 and 1 <= r <= 32 and 1 <= p <= 16):
        return False
    if len(salt) < 8 or not 16 <= len(dk) <= 64:
        return False
    try:
        calc = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                              dklen=len(dk), maxmem=256 * 1024 * 1024)
    except ValueError:
        return False
    return hmac.compare_digest(calc, dk)


# checked against for unknown users, so they take as long as known ones
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def load_users(path: str) -> dict:
    with open(path, encoding="utf-8") as f:
        users = json.load(f)
    if not isinstance(users, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in users.items()):
        raise ValueError(f"{path}: want a JSON object of user name -> password hash")
    return users


# ---- settings and key -----------------------------------------------------

class Settings:
    def __init__(self):
        key_path = os.environ.get("PAMJWT_ISSUER_KEY")
        self.users_path = os.environ.get("PAMJWT_ISSUER_USERS")
        if not key_path or not self.users_path:
            raise RuntimeError("set PAMJWT_ISSUER_KEY and PAMJWT_ISSUER_USERS")
        st = os.stat(key_path)
        if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            print(f"warning: {key_path} is accessible by group or others", file=sys.stderr)
        with open(key_path, "rb") as f:
            self.key = serialization.load_pem_private_key(f.read(), password=None)
        if not (isinstance(self.key, ec.EllipticCurvePrivateKey)
                and self.key.curve.name == "secp256r1"):
            raise RuntimeError(f"{key_path}: want an EC P-256 private key (ES256)")
        load_users(self.users_path)  # fail at start, not at the first login
        self.audience = os.environ.get("PAMJWT_ISSUER_AUDIENCE",
                                       "ssh://" + socket.gethostname())
        self.issuer = os.environ.get("PAMJWT_ISSUER_ISSUER") or None
        self.ttl = int(os.environ.get("PAMJWT_ISSUER_TTL", "120"))
        if not 1 <= self.ttl <= 3600:
            raise RuntimeError("PAMJWT_ISSUER_TTL: want 1 to 3600 seconds")
        nums = self.key.public_key().public_numbers()
        self.jwk = {"kty": "EC", "crv": "P-256",
                    "x": b64u(nums.x.to_bytes(32, "big")),
                    "y": b64u(nums.y.to_bytes(32, "big"))}
        # RFC 7638 thumbprint: the required members, sorted, no white space
        thumb = json.dumps(self.jwk, sort_keys=True, separators=(",", ":"))
        self.kid = (os.environ.get("PAMJWT_ISSUER_KID")
                    or b64u(hashlib.sha256(thumb.encode("ascii")).digest()))
        self.jwk.update({"use": "sig", "alg": "ES256", "kid": self.kid})

    def mint(self, user: str) -> str:
        now = int(time.time())
        claims = {"sub": user, "iat": now, "exp": now + self.ttl,
                  "jti": secrets.token_urlsafe(16), "aud": self.audience}
        if self.issuer:
            claims["iss"] = self.issuer
        return jwt.encode(claims, self.key, algorithm="ES256", headers={"kid": self.kid})


@functools.lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings()


# ---- the web app ----------------------------------------------------------

def _credentials(headers, body: bytes):
    """(user, password) from HTTP basic auth, else from form fields."""
    auth = headers.get("authorization", "")
    if auth[:6].lower() == "basic ":
        try:
            user, sep, password = base64.b64decode(auth[6:], validate=True) \
                .decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return (user, password) if sep else None
    ctype = headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "application/x-www-form-urlencoded":
        try:
            form = urllib.parse.parse_qs(body.decode("utf-8"), max_num_fields=10)
        except (UnicodeDecodeError, ValueError):
            return None
        user, password = form.get("username", []), form.get("password", [])
        if len(user) == 1 and len(password) == 1:
            return user[0], password[0]
    return None


def _check(user: str, password: str) -> bool:
    try:
        users = load_users(settings().users_path)  # read per request: edits apply at once
    except (OSError, ValueError) as e:
        print(f"error: users file: {e}", file=sys.stderr)
        return False
    stored = users.get(user)
    ok = verify_password(password, stored if stored is not None else _DUMMY_HASH)
    return ok and stored is not None


def create_app():
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse
    from starlette.concurrency import run_in_threadpool

    app = FastAPI(title="pam_jwt example issuer", docs_url=None, redoc_url=None,
                  openapi_url=None)

    @app.on_event("startup")
    def _load():
        settings()

    @app.post("/token")
    async def token(request: Request):
        denied = JSONResponse({"detail": "invalid credentials"}, status_code=401,
                              headers={"WWW-Authenticate": 'Basic realm="pam_jwt"',
                                       "Cache-Control": "no-store"})
        body = b""
        async for chunk in request.stream():  # bounded read
            body += chunk
            if len(body) > MAX_BODY:
                break
        if len(body) > MAX_BODY:
            return JSONResponse({"detail": "request too large"}, status_code=413)
        cred = _credentials(request.headers, body)
        if cred is None or not await run_in_threadpool(_check, *cred):
            return denied
        s = settings()
        return JSONResponse({"access_token": s.mint(cred[0]), "token_type": "Bearer",
                             "expires_in": s.ttl},
                            headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    @app.get("/jwks.json")
    def jwks():
        return {"keys": [settings().jwk]}

    return app


def _set_password(path: str, user: str) -> int:
    """Add or change USER in the users file; the password is read from stdin."""
    if sys.stdin.isatty():
        import getpass
        password = getpass.getpass(f"password for {user}: ")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        print("empty password", file=sys.stderr)
        return 1
    users = load_users(path) if os.path.exists(path) else {}
    users[user] = hash_password(password)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=".users.")
    with os.fdopen(fd, "w", encoding="utf-8") as f:  # mkstemp: mode 0600
        json.dump(users, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "set-password":
        sys.exit(_set_password(sys.argv[2], sys.argv[3]))
    if len(sys.argv) == 2 and sys.argv[1] == "hash-password":
        print(hash_password(sys.stdin.readline().rstrip("\r\n")))
        sys.exit(0)
    print("usage: app.py set-password USERS.json USER  (password on stdin)\n"
          "       app.py hash-password                 (password on stdin)\n"
          "serve: python3 -m uvicorn app:app --host 127.0.0.1 --port 8000", file=sys.stderr)
    sys.exit(2)
else:
    app = create_app()
