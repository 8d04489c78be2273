# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
# The test OpenID provider (provider.mjs) for end-to-end scripts: sourced by
# bash after tests/e2e/lib.sh (it uses tx, diag, stop_pid).  tests/e2e/oidc.sh
# shows every function in use.  TEST ONLY.
#
#   oidc_install DIR   copy this directory's package.json, package-lock.json
#                      and *.mjs into DIR (the caller's; root-owned, removed
#                      by the caller) and run "npm ci" there: oidc-provider as
#                      pinned by the lock file (needs the npm registry or
#                      npm's cache).  Sets OIDC_DIR=DIR, OIDC_NPM_SECS.
#   oidc_pki           a test CA and the provider's certificate for IP
#                      127.0.0.1 in $OIDC_DIR/pki.  Sets OIDC_CA (the CA
#                      certificate, mode 0644) and exports
#                      NODE_EXTRA_CA_CERTS=$OIDC_CA (node's fetch trusts it:
#                      approve.mjs, device.mjs).
#   oidc_keyset NAME KID...   a private JWK Set NAME of the signing keys KID,
#                      in that order (each made on first use: ec-* EC P-256,
#                      rsa-* RSA 2048).  The provider signs each alg with the
#                      first key of its set that fits.
#   oidc_start NAME    start provider.mjs with the key set NAME.  The first
#                      start picks a free port; later starts (after
#                      oidc_stop: key rotation) keep it, and so the issuer.
#                      Sets OIDC_ISSUER (https://127.0.0.1:PORT), OIDC_PID;
#                      writes $OIDC_DIR/provider.pid.  Returns 1 if it did
#                      not start within 20 s ($OIDC_DIR/provider.log says why).
#   oidc_stop          stop it (by PID); its "token issued/refused" lines go
#                      to the transcript.
#   oidc_cc_token RESOURCE OUT [SCOPE]
#                      a client credentials token of the client "deploy"
#                      (sub "deploy") for RESOURCE into the file OUT.
#   oidc_device_token ACCOUNT RESOURCE OUT [DPOP_KEY]
#                      the device flow of the public client "cli" (scope
#                      "login"), approved on the provider's pages as ACCOUNT
#                      (sub ACCOUNT) by approve.mjs; the token into OUT.  With
#                      DPOP_KEY (an EC P-256 PKCS#8 PEM file, made if
#                      missing) the token is bound to that key (cnf.jkt).
#                      Takes about 6 s (the provider's 5 s poll interval).
#                      Sets OIDC_DEVICE_PID while device.mjs runs.
#   OIDC_DEPLOY_SECRET the client secret of "deploy" (made here).
# Resources: "ssh://NAME" (ES256, aud ssh://NAME, scopes login sshd sudo;
# svc claim for the scope sshd or sudo) and "urn:pamjwt:long" (RS256, over
# 1,100 bytes); see provider.mjs.

OIDC_FIXTURE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OIDC_DIR=
OIDC_CA=
OIDC_ISSUER=
OIDC_PORT=0
OIDC_PID=
OIDC_DEVICE_PID=
OIDC_NPM_SECS=
OIDC_DEPLOY_SECRET="deploy-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"

oidc_install() {
    local t0=$EPOCHREALTIME
    OIDC_DIR=$1
    mkdir -m 0755 "$OIDC_DIR" && mkdir -m 0700 "$OIDC_DIR/pki" "$OIDC_DIR/keys" &&
        cp "$OIDC_FIXTURE/package.json" "$OIDC_FIXTURE/package-lock.json" \
            "$OIDC_FIXTURE"/*.mjs "$OIDC_DIR/" || return 1
    tx "(cd $OIDC_DIR && npm ci --ignore-scripts --no-audit --no-fund)" \
        bash -c 'cd "$0" && timeout 300 npm ci --ignore-scripts --no-audit --no-fund' "$OIDC_DIR"
    OIDC_NPM_SECS=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
    [ "$rc" = 0 ] && [ -f "$OIDC_DIR/node_modules/oidc-provider/package.json" ]
}

oidc_pki() {
    (
        cd "$OIDC_DIR/pki" &&
            openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
                -keyout ca.key -out ca.pem -subj "/CN=pamjwt oidc e2e test CA" \
                -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign &&
            openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
                -keyout server.key -out server.csr -subj "/CN=127.0.0.1" &&
            printf '%s\n' subjectAltName=IP:127.0.0.1 basicConstraints=CA:FALSE \
                extendedKeyUsage=serverAuth >server.ext &&
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 \
                -extfile server.ext -out server.pem
    ) >"$OIDC_DIR/pki/openssl.log" 2>&1 || { cat "$OIDC_DIR/pki/openssl.log"; return 1; }
    OIDC_CA=$OIDC_DIR/ca.pem
    cp "$OIDC_DIR/pki/ca.pem" "$OIDC_CA" && chmod 0644 "$OIDC_CA" || return 1
    export NODE_EXTRA_CA_CERTS=$OIDC_CA
    diag "\$ openssl req ...: test CA ($(openssl x509 -in "$OIDC_CA" -noout -subject))," \
        "  server certificate for IP:127.0.0.1 signed by it"
}

oidc_keyset() {
    local name=$1 kid
    shift
    for kid in "$@"; do
        [ -f "$OIDC_DIR/keys/$kid.jwk" ] && continue
        case $kid in
        ec-*) node "$OIDC_DIR/jwk.mjs" ec "$kid" ;;
        rsa-*) node "$OIDC_DIR/jwk.mjs" rsa "$kid" ;;
        *) echo "oidc_keyset: $kid: not ec-* or rsa-*" >&2; return 1 ;;
        esac >"$OIDC_DIR/keys/$kid.jwk" || return 1
    done
    (cd "$OIDC_DIR/keys" && node "$OIDC_DIR/jwk.mjs" set "${@/%/.jwk}") >"$OIDC_DIR/keys/$name.json"
}

oidc_start() {
    local set=$1 iss ready=''
    echo "# \$ OIDC_PORT=$OIDC_PORT OIDC_JWKS=$set.json ($(jq -r '[.keys[].kid] | join(", ")' \
        "$OIDC_DIR/keys/$set.json")) OIDC_TLS_CERT=server.pem ... node provider.mjs &"
    : >"$OIDC_DIR/provider.log"
    OIDC_PORT=$OIDC_PORT OIDC_JWKS="$OIDC_DIR/keys/$set.json" \
        OIDC_TLS_CERT="$OIDC_DIR/pki/server.pem" OIDC_TLS_KEY="$OIDC_DIR/pki/server.key" \
        OIDC_DEPLOY_SECRET="$OIDC_DEPLOY_SECRET" \
        node "$OIDC_DIR/provider.mjs" >>"$OIDC_DIR/provider.log" 2>&1 </dev/null &
    OIDC_PID=$!
    echo "$OIDC_PID" >"$OIDC_DIR/provider.pid"
    for _ in $(seq 100); do # at most 20 s
        grep -q '^issuer https://' "$OIDC_DIR/provider.log" && { ready=1; break; }
        kill -0 "$OIDC_PID" 2>/dev/null || break
        sleep 0.2
    done
    [ -n "$ready" ] || return 1
    iss=$(sed -n 's/^issuer //p' "$OIDC_DIR/provider.log")
    [ -z "$OIDC_ISSUER" ] || [ "$iss" = "$OIDC_ISSUER" ] || return 1
    OIDC_ISSUER=$iss
    OIDC_PORT=${OIDC_ISSUER##*:}
}

oidc_stop() {
    stop_pid "$OIDC_PID"
    OIDC_PID=
    sed -n '/^token \|^server error/s/^/#   provider: /p' "$OIDC_DIR/provider.log"
}

oidc_cc_token() {
    local res=$1 outf=$2 scope=${3:-}
    tx "curl -u deploy:\$SECRET -d grant_type=client_credentials -d resource=$res${scope:+ -d scope=$scope} $OIDC_ISSUER/token" \
        curl -fsS --max-time 10 --cacert "$OIDC_CA" -u "deploy:$OIDC_DEPLOY_SECRET" \
        -d grant_type=client_credentials --data-urlencode "resource=$res" \
        ${scope:+--data-urlencode "scope=$scope"} "$OIDC_ISSUER/token"
    [ "$rc" = 0 ] && printf '%s' "$out" | jq -re .access_token >"$outf" && [ -s "$outf" ]
}

oidc_device_token() {
    local acct=$1 res=$2 outf=$3 key=${4:-} code='' arc drc
    local t0=$EPOCHREALTIME codef=$OIDC_DIR/user_code log=$OIDC_DIR/device.log
    rm -f "$codef" "$outf"
    echo "# \$ node device.mjs --issuer $OIDC_ISSUER --client-id cli --resource $res --scope login${key:+ --dpop-key $(basename "$key")} > $(basename "$outf") &"
    timeout 90 node "$OIDC_DIR/device.mjs" --issuer "$OIDC_ISSUER" --client-id cli \
        --resource "$res" --scope login ${key:+--dpop-key "$key"} \
        --user-code-file "$codef" --timeout 60 >"$outf" 2>"$log" </dev/null &
    OIDC_DEVICE_PID=$!
    echo "$OIDC_DEVICE_PID" >"$OIDC_DIR/device.pid"
    for _ in $(seq 100); do # at most 20 s
        [ -s "$codef" ] && { code=$(cat "$codef"); break; }
        kill -0 "$OIDC_DEVICE_PID" 2>/dev/null || break
        sleep 0.2
    done
    if [ -z "$code" ]; then
        stop_pid "$OIDC_DEVICE_PID"
        OIDC_DEVICE_PID=
        sed 's/^/#   /' "$log"
        return 1
    fi
    tx "OIDC_ISSUER=$OIDC_ISSUER node approve.mjs $code $acct" \
        env OIDC_ISSUER="$OIDC_ISSUER" timeout 30 node "$OIDC_DIR/approve.mjs" "$code" "$acct"
    arc=$rc
    # device.mjs polls every 5 s (the provider's interval) for at most 60 s;
    # timeout(1) ends it after 90 s
    wait "$OIDC_DEVICE_PID"
    drc=$?
    OIDC_DEVICE_PID=
    sed 's/^/#   /' "$log"
    diag "device flow: $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
    [ "$arc" = 0 ] && [ "$drc" = 0 ] && [ -s "$outf" ]
}
