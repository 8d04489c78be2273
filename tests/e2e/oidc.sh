#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# End-to-end tests of pam_jwt with a real OpenID provider: panva's
# oidc-provider (tests/e2e/oidc/provider.mjs) on 127.0.0.1 behind https with
# a test CA, the JWK Set refresher (conf/pamjwt-jwks-refresh) finding its
# keys by discovery, and logins through the real sshd and sudo with the
# provider's tokens: client credentials, the device flow with DPoP, key
# rotation.  TAP output; the transcript of every command and its answer is
# printed as "#" comment lines.
#
#   sudo tests/e2e/oidc.sh                          # module from ../../build
#   sudo E2E_BUILD_DIR=/tmp/be tests/e2e/oidc.sh
#   sudo OIDC_TWO_ISSUERS=0 E2E_BUILD_DIR=... tests/e2e/oidc.sh   # without the policy directory part
#
# E2E_BUILD_DIR is a configured and built tree holding .libs/pam_jwt.so and
# pamjwt.  The tests of a policy directory (config= names a directory: one
# policy per issuer) run unless OIDC_TWO_ISSUERS=0.  Must run as root (prints
# "1..0 # SKIP not root" otherwise).  Node.js 18 or later and npm; it
# installs oidc-provider with "npm ci" from tests/e2e/oidc/package-lock.json
# into its temporary directory (needs the npm registry, or npm's cache).
# Debian 12 packages: nodejs npm openssh-server openssh-client sshpass sudo
# openssl passwd curl jq python3.
#
# It runs beside tests/e2e/run.sh: its own user, PAM services, sudoers
# file, ports and temporary directory.  What it changes while it runs, and
# undoes on exit, INT or TERM:
#   - test user pjwt-oidc-user (useradd -l -m; userdel -r), and the
#     /etc/{passwd,shadow,group,gshadow,subuid,subgid}- backups that
#     useradd and userdel rewrite;
#   - /etc/pam.d/pjwt-oidc-sshd and /etc/pam.d/pjwt-oidc-sudo (any file
#     of that name is saved and put back);
#   - /etc/sudoers.d/pamjwt-oidc ("Defaults:pjwt-oidc-user pam_service=...");
#   - /run/sshd (created if missing), /run/sudo/ts/pjwt-oidc-user;
#   - processes: one sshd, one node (the provider; restarted for key
#     rotation), one openssl s_server, started here and stopped by PID;
#   - /tmp/pamjwt-oidc.XXXXXX (the provider, its keys, the configuration).
# sshd runs with the PAM service pjwt-oidc-sshd: from a symlink of that name
# (OpenSSH 9.2 takes the name from argv[0]) and, on OpenSSH 9.8 and later,
# with "PAMServiceName pjwt-oidc-sshd"; /etc/pam.d/sshd, /etc/pam.d/sudo and
# /etc/ssh are never written.  Records sshd appends to /var/log/btmp for
# refused logins are taken back when nothing else was logged there.
set -u

t_start=$EPOCHREALTIME
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
e2e_env --no-proxy
U="pjwt-oidc-user"  # the test user, created and removed here
GECOS="pam_jwt oidc e2e test user"
SVC_SSHD="pjwt-oidc-sshd" # at most 15 characters: pgrep -x matches it
SVC_SUDO="pjwt-oidc-sudo"
SUDOERS=/etc/sudoers.d/pamjwt-oidc
MARK="# pamjwt-oidc-e2e: temporary file written by tests/e2e/oidc.sh; removed when it ends"
RESOURCE="ssh://pamjwt-oidc-e2e" # the ES256 resource: aud of the login tokens
LONG="urn:pamjwt:long"           # the RS256 resource with directory claims
MINT_ISSUER="pamjwt-oidc-mint"   # the second issuer (pamjwt mint's key)

skip_unless_ready "nodejs npm openssh-server openssh-client sshpass sudo openssl curl jq python3" \
    /usr/sbin/sshd ssh ssh-keygen sshpass sudo visudo runuser useradd userdel chpasswd \
    openssl curl jq timeout node npm "$PY"
skip_unless_node_18
. "$here/oidc/fixture.sh"

# ---- cleanup: everything below is undone here, whatever happens ----------

E2E_TAG=oidc
sserver_pid=
stop_services() {
    stop_pid "$OIDC_DEVICE_PID"
    stop_pid "$sserver_pid"
    stop_pid "$OIDC_PID"
    stop_pid "$sshd_pid"
}
cleanup_on_exit

# ---- setup ------------------------------------------------------------------

find_built # pam_so, pamjwt_built; cd /
pamjwt=$pamjwt_built
diag "module: $pam_so" "tool: $pamjwt ($("$pamjwt" --version | head -n 1))" \
    "node $(node --version), npm $(npm --version 2>/dev/null)"

e2e_tmpdir
mkdir -m 0700 "$tmp/keys"
mkdir -m 0755 "$tmp/etc" # the host's pam_jwt configuration
etc=$tmp/etc

add_user "$U" # a password nobody knows: only tokens log in
ok "test user $U created"

# ---- the provider: npm ci, CA, keys, start ---------------------------------------

provider_install # CA
# signing keys: EC P-256 (ES256) and RSA 2048 (RS256), later a second EC key
oidc_keyset set1 ec-1 rsa-1 && oidc_keyset set2 ec-2 ec-1 rsa-1 && oidc_keyset set3 ec-2 rsa-1 ||
    bail "signing keys and private JWK Sets made (jwk.mjs)"

provider_start set1 --timed # ISSUER, provider_time

tx "curl --cacert ca.pem $ISSUER/.well-known/openid-configuration | jq '{issuer, jwks_uri, token_endpoint, device_authorization_endpoint, grant_types_supported, dpop_signing_alg_values_supported}'" \
    bash -c 'curl -fsS --max-time 10 --cacert "$1" "$2/.well-known/openid-configuration" |
        jq "{issuer, jwks_uri, token_endpoint, device_authorization_endpoint, grant_types_supported, dpop_signing_alg_values_supported}"' \
    _ "$CA" "$ISSUER"
check "discovery: issuer is $ISSUER, jwks_uri, token and device endpoints, DPoP" \
    eval '[ "$rc" = 0 ] && has "\"issuer\": \"$ISSUER\"" && has "\"jwks_uri\": \"$ISSUER/jwks\"" && has "urn:ietf:params:oauth:grant-type:device_code" && has ES256'

# ---- the host: configuration, refresher -------------------------------------------

conf=$etc/pam_jwt.conf
JWKS=$etc/provider.jwks
cat >"$etc/users.map" <<EOF
# provider subjects -> local user: the client "deploy", the account "alice"
deploy $U
alice $U
EOF
policy() { # policy AUDIENCE [EXTRA LINE...]: the provider's policy on stdout
    echo "issuer = $ISSUER"
    echo "jwks_file = $JWKS"
    echo "audience = $1"
    echo "algorithms = ES256 RS256"
    echo "allowed_subjects = deploy alice"
    echo "user_map_file = $etc/users.map"
    echo "max_lifetime = 600"
    shift
    local l
    for l in "$@"; do echo "$l"; done
}
policy "$RESOURCE" >"$conf"
chmod 0644 "$conf" "$etc/users.map"
diag_file "$conf"
diag_file "$etc/users.map"

# refresh: the refresher, as root, for $conf
refresh() {
    tx "ISSUER=$ISSUER CA_FILE=ca.pem JWKS_FILE=$JWKS PAMJWT_CONFIG=$conf pamjwt-jwks-refresh" \
        env ISSUER="$ISSUER" CA_FILE="$CA" JWKS_FILE="$JWKS" PAMJWT_CONFIG="$conf" \
        PAMJWT="$pamjwt" sh "$top/conf/pamjwt-jwks-refresh"
}
kids() { jq -r '[.keys[].kid] | join(" ")' "$JWKS" 2>/dev/null; }

refresh
check "refresher: discovery finds jwks_uri, the JWK Set is installed (kids: $(kids))" \
    eval '[ "$rc" = 0 ] && has "discovered jwks_uri $ISSUER/jwks" && has "installed a new JWK Set" && [ "$(kids)" = "ec-1 rsa-1" ]'
check "refresher: the summary names both key types' algorithms (keys for RS256 ES256)" \
    has "keys for RS256 ES256)"
refresh
check "refresher: a second run says unchanged" \
    eval '[ "$rc" = 0 ] && has "unchanged" && ! has "installed"'
# A policy that allows only ES256 uses only the set's EC key: the set is
# still installed (its ES256 probe must not be refused as cut off).
printf 'issuer = %s\njwks_file = %s\nalgorithms = ES256\nallowed_subjects = alice\n' \
    "$ISSUER" "$etc/es-only.jwks" >"$etc/es-only.conf"
chmod 0644 "$etc/es-only.conf"
tx "ISSUER=$ISSUER CA_FILE=ca.pem JWKS_FILE=$etc/es-only.jwks PAMJWT_CONFIG=$etc/es-only.conf pamjwt-jwks-refresh" \
    env ISSUER="$ISSUER" CA_FILE="$CA" JWKS_FILE="$etc/es-only.jwks" PAMJWT_CONFIG="$etc/es-only.conf" \
    PAMJWT="$pamjwt" sh "$top/conf/pamjwt-jwks-refresh"
check "refresher: a policy allowing only ES256 gets the set installed (keys for ES256)" \
    eval '[ "$rc" = 0 ] && has "keys for ES256)" && [ -s "$etc/es-only.jwks" ]'

# start_sserver DIR: openssl s_server -WWW serves the files of DIR (which
# has a file "jwks") over https with the provider's certificate; sets
# sserver_pid and sserver_url.  1 if it did not start.
start_sserver() {
    local sport ready=''
    sport=$(free_port)
    (cd "$1" && exec openssl s_server -quiet -WWW -accept "127.0.0.1:$sport" \
        -cert "$OIDC_DIR/pki/server.pem" -key "$OIDC_DIR/pki/server.key") >"$tmp/s_server.log" 2>&1 </dev/null &
    sserver_pid=$!
    echo "$sserver_pid" >"$tmp/s_server.pid"
    sserver_url="https://127.0.0.1:$sport"
    for _ in $(seq 50); do
        curl -fsS --max-time 2 --cacert "$CA" -o /dev/null "$sserver_url/jwks" 2>/dev/null && { ready=1; break; }
        sleep 0.2
    done
    [ -n "$ready" ]
}

# The refresher refuses discovery documents that are wrong: served by
# openssl s_server -WWW from a directory, they leave the JWK Set alone.
bad_discovery() {
    local dir=$tmp/www doc name want url
    mkdir -p "$dir/.well-known" && cp "$JWKS" "$dir/jwks"
    start_sserver "$dir" ||
        { notok "refresher: bad discovery documents (openssl s_server did not start)"; return; }
    url=$sserver_url
    cp "$JWKS" "$tmp/jwks.before"
    while IFS='|' read -r name doc want; do
        doc=${doc//@URL@/$url}
        doc=${doc//@ISSUER@/$ISSUER}
        printf '%s\n' "$doc" >"$dir/.well-known/openid-configuration"
        diag "discovery document at $url: $doc"
        tx "ISSUER=$url CA_FILE=ca.pem ... pamjwt-jwks-refresh" \
            env ISSUER="$url" CA_FILE="$CA" JWKS_FILE="$JWKS" PAMJWT_CONFIG="$conf" \
            PAMJWT="$pamjwt" sh "$top/conf/pamjwt-jwks-refresh"
        check "refresher refuses $name, JWK Set unchanged" \
            eval '[ "$rc" = 1 ] && has "$want" && has "left unchanged" && cmp -s "$JWKS" "$tmp/jwks.before"'
    done <<'EOF'
a document naming another issuer|{"issuer":"@ISSUER@","jwks_uri":"@URL@/jwks"}|names the issuer
"issuer" given twice|{"issuer":"@URL@","jwks_uri":"@URL@/jwks","issuer":"@URL@"}|more than once
an issuer with a trailing newline|{"issuer":"@URL@\n","jwks_uri":"@URL@/jwks"}|not a string of printable ASCII
a jwks_uri over http|{"issuer":"@URL@","jwks_uri":"http://127.0.0.1:1/jwks"}|not an https:// URL
a jwks_uri with a curl URL range [1-100]|{"issuer":"@URL@","jwks_uri":"@URL@/jwks?x=[1-100]"}|has [, ], { or }
a jwks_uri with a curl URL set {a,b}|{"issuer":"@URL@","jwks_uri":"@URL@/{jwks,jwks}"}|has [, ], { or }
EOF
    # the same characters in the settings themselves, refused before any request
    while IFS='|' read -r name doc; do
        tx "$name=$doc ... pamjwt-jwks-refresh" \
            env "$name=$doc" CA_FILE="$CA" JWKS_FILE="$JWKS" PAMJWT_CONFIG="$conf" \
            PAMJWT="$pamjwt" sh "$top/conf/pamjwt-jwks-refresh"
        check "refresher refuses $name=$doc (curl URL glob), JWK Set unchanged" \
            eval '[ "$rc" = 1 ] && has "has [, ], { or }" && cmp -s "$JWKS" "$tmp/jwks.before"'
    done <<EOF
ISSUER|$url/[1-100]
JWKS_URI|$url/jwks?x=[1-100]
JWKS_URI|$url/{jwks,jwks}
EOF
    stop_pid "$sserver_pid"
    sserver_pid=
}
bad_discovery

# ---- tokens --------------------------------------------------------------------

cc_token() { oidc_cc_token "$@"; }
# show_token FILE: length, header and claims in the transcript
show_token() {
    diag "$(basename "$1"): $(tr -d '\n' <"$1" | wc -c) bytes" \
        "  header: $(jwt_header "$1" | jq -c .)" "  claims: $(jwt_claims "$1" | jq -c .)"
}
claim() { jwt_claims "$1" | jq -r "$2"; }
len() { tr -d '\n' <"$1" | wc -c; }

if cc_token "$RESOURCE" "$tmp/cc1.jwt"; then
    show_token "$tmp/cc1.jwt"
    len_cc=$(len "$tmp/cc1.jwt")
    check "client credentials: ES256 token (kid ec-1) with sub=deploy, iss=$ISSUER, aud=$RESOURCE, $len_cc bytes (< 512 for sudo)" \
        eval '[ "$(jwt_header "$tmp/cc1.jwt" | jq -r ".alg + \" \" + .kid")" = "ES256 ec-1" ] &&
              [ "$(claim "$tmp/cc1.jwt" ".sub + \" \" + .iss + \" \" + .aud")" = "deploy $ISSUER $RESOURCE" ] &&
              [ "$len_cc" -lt 512 ]'
else
    bail "client credentials: the provider issues a token"
fi
cc_token "$RESOURCE" "$tmp/cc-sudo.jwt" sudo && show_token "$tmp/cc-sudo.jwt"
check "client credentials with scope sudo: the token has svc=sudo (extraTokenClaims)" \
    eval '[ "$(claim "$tmp/cc-sudo.jwt" ".svc + \" \" + .scope")" = "sudo sudo" ]'
cc_token "$LONG" "$tmp/long.jwt" && show_token "$tmp/long.jwt"
len_long=$(len "$tmp/long.jwt")
check "long resource: RS256 token (kid rsa-1) with directory claims, $len_long bytes (> 1100)" \
    eval '[ "$(jwt_header "$tmp/long.jwt" | jq -r ".alg + \" \" + .kid")" = "RS256 rsa-1" ] &&
          [ "$len_long" -gt 1100 ] && [ "$(claim "$tmp/long.jwt" ".groups | length")" -gt 5 ]'

# pj_check CONFIG FILE: pamjwt check --user $U
pj_check() {
    tx "pamjwt check --config $(basename "$1") --user $U < $(basename "$2")" \
        bash -c '"$0" check --config "$1" --user "$2" < "$3"' "$pamjwt" "$1" "$U" "$2"
}
pj_check "$conf" "$tmp/cc1.jwt"
check "pamjwt check accepts the client credentials token for $U (deploy -> $U)" \
    eval '[ "$rc" = 0 ] && has "decision: accept"'
policy "$LONG" >"$etc/long.conf"
chmod 0644 "$etc/long.conf"
pj_check "$etc/long.conf" "$tmp/long.jwt"
check "pamjwt check accepts the long RS256 token (audience $LONG) and warns it is too long for sudo and ssh" \
    eval '[ "$rc" = 0 ] && has "decision: accept" && has "too long for the OpenSSH client" && has "sudo refuses answers"'

# ---- sshd and sudo -------------------------------------------------------------

put_pam_stack "$SVC_SSHD" "$conf"
put_pam_stack "$SVC_SUDO" "$conf"
diag_file "/etc/pam.d/$SVC_SSHD"

start_sshd yes
ok "sshd (PAM service $SVC_SSHD) listens on 127.0.0.1:$sport, pid $sshd_pid"

# ssh_login FILE: log in as $U with the password method (sshd hands the
# answer to PAM), run a command; $out, $rc
ssh_login() {
    local before
    before=$(wc -l <"$tmp/sshd.log")
    SSHPASS=$(cat "$1") tx "SSHPASS=\$(cat $(basename "$1")) sshpass -e ssh -o PreferredAuthentications=password -p $sport $U@127.0.0.1 'echo e2e-ok-\$(id -un)'" \
        timeout 30 sshpass -e ssh -F /dev/null -o StrictHostKeyChecking=no \
        -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=10 \
        -o ControlMaster=no -o ControlPath=none -o PreferredAuthentications=password \
        -o PubkeyAuthentication=no -o GSSAPIAuthentication=no -o NumberOfPasswordPrompts=1 \
        -p "$sport" "$U@127.0.0.1" 'echo e2e-ok-$(id -un)' </dev/null
    sleep 0.2
    tail -n +"$((before + 1))" "$tmp/sshd.log" | grep -E 'Accepted|Failed|pam_jwt' |
        mask | sed 's/^/#   sshd: /'
}
login_ok() { ssh_login "$@"; [ "$rc" = 0 ] && has "e2e-ok-$U"; }
login_refused() {
    ssh_login "$@"
    ! has "e2e-ok-" && { { [ "$rc" = 255 ] && has "Permission denied"; } || [ "$rc" = 5 ]; }
}

put_sudoers
ok "sudoers drop-in $SUDOERS: sudo for $U uses PAM service $SVC_SUDO"

check "ssh: the client credentials token logs $U in (sub deploy mapped to $U)" login_ok "$tmp/cc1.jwt"
check "sudo: the client credentials token works (id -un says root)" sudo_ok "$tmp/cc1.jwt"

# ---- the device flow with DPoP ------------------------------------------------

# device_token ACCOUNT RESOURCE OUT: device flow with a DPoP key (holder.pem)
device_token() { oidc_device_token "$1" "$2" "$3" "$tmp/keys/holder.pem"; }

if device_token alice "$RESOURCE" "$tmp/dpop.jwt"; then
    show_token "$tmp/dpop.jwt"
    len_dpop=$(len "$tmp/dpop.jwt")
    jkt=$(sed -n 's/.*thumbprint //p' "$OIDC_DIR/device.log")
    check "device flow + DPoP: token for sub=alice with cnf.jkt = the DPoP key's thumbprint, $len_dpop bytes" \
        eval '[ "$(claim "$tmp/dpop.jwt" ".sub + \" \" + .client_id + \" \" + .cnf.jkt")" = "alice cli $jkt" ] && [ -n "$jkt" ]'
    # a bound token is never a bearer token: without require_pop the
    # module still asks for a proof, which sshd's password method cannot
    # carry (one answer), so the token alone logs no one in
    check "ssh: the device flow token (bound: cnf.jkt) alone is refused, without require_pop too" \
        login_refused "$tmp/dpop.jwt"
else
    notok "device flow + DPoP: a token for alice"
    len_dpop=
fi

# ---- key rotation -------------------------------------------------------------------

# cc1.jwt was signed with ec-1.  The provider restarts with ec-2 first in
# its set (ec-1 still published), then with ec-1 dropped.
diag "rotation: restart the provider with set2 (ec-2, ec-1, rsa-1): ec-2 signs ES256 now"
oidc_stop
oidc_start set2 || bail "provider restarted with set2 on port $OIDC_PORT" "$(cat "$OIDC_DIR/provider.log")"
ok "provider restarted with ec-2 first (issuer $ISSUER unchanged)"
refresh
check "refresher installs the new set (kids: $(kids))" \
    eval '[ "$rc" = 0 ] && has "installed a new JWK Set" && [ "$(kids)" = "ec-2 ec-1 rsa-1" ]'
cc_token "$RESOURCE" "$tmp/cc2.jwt" && show_token "$tmp/cc2.jwt"
check "a new token is signed with ec-2" \
    eval '[ "$(jwt_header "$tmp/cc2.jwt" | jq -r .kid)" = ec-2 ]'
check "ssh: the new token (ec-2) logs in" login_ok "$tmp/cc2.jwt"
check "sudo: the new token (ec-2) works" sudo_ok "$tmp/cc2.jwt"
check "ssh: the token issued before the rotation (ec-1) still logs in" login_ok "$tmp/cc1.jwt"
check "sudo: the token issued before the rotation (ec-1) still works" sudo_ok "$tmp/cc1.jwt"

diag "rotation: restart the provider with set3 (ec-2, rsa-1): ec-1 is gone"
oidc_stop
oidc_start set3 || bail "provider restarted with set3 on port $OIDC_PORT" "$(cat "$OIDC_DIR/provider.log")"
refresh
check "refresher installs the set without ec-1 (kids: $(kids))" \
    eval '[ "$rc" = 0 ] && has "installed a new JWK Set" && [ "$(kids)" = "ec-2 rsa-1" ]'
pj_check "$conf" "$tmp/cc1.jwt"
check "pamjwt check refuses the old token (no key ec-1)" eval '[ "$rc" = 1 ] && has "decision: refuse"'
check "ssh: the old token (ec-1) is refused" login_refused "$tmp/cc1.jwt"
check "sudo: the old token (ec-1) is refused" sudo_refused "$tmp/cc1.jwt"
check "sudo: the new token (ec-2) still works" sudo_ok "$tmp/cc2.jwt"

# ---- many keys, keys without kid ----------------------------------------------------

# pam_jwt tries a token without kid against at most 8 keys, so the
# refresher probes every key by its kid: a set with 11 EC keys (12 in all)
# is installed and the provider's tokens keep logging in.
twelve=$(printf 'ec-%s ' $(seq 2 12))rsa-1
diag "many keys: restart the provider with set12 ($twelve): 11 EC P-256 keys, 12 in all"
# shellcheck disable=SC2086 # one kid a word
oidc_keyset set12 $twelve || bail "signing keys of set12 made (jwk.mjs)"
oidc_stop
oidc_start set12 || bail "provider restarted with set12 on port $OIDC_PORT" "$(cat "$OIDC_DIR/provider.log")"
refresh
check "refresher installs the 12-key set (kids: $(kids)), usable for RS256 and ES256" \
    eval '[ "$rc" = 0 ] && has "installed a new JWK Set" && [ "$(kids)" = "$twelve" ] &&
          has "12 keys; keys for RS256 ES256)" && ! has "no kid"'
cc_token "$RESOURCE" "$tmp/cc12.jwt" && show_token "$tmp/cc12.jwt"
check "ssh: a new token (ec-2) logs in with the 12-key set" login_ok "$tmp/cc12.jwt"
check "sudo: the new token (ec-2) works with the 12-key set" sudo_ok "$tmp/cc12.jwt"
tx "ISSUER=$ISSUER CA_FILE=ca.pem JWKS_FILE=$etc/es-only.jwks PAMJWT_CONFIG=$etc/es-only.conf pamjwt-jwks-refresh" \
    env ISSUER="$ISSUER" CA_FILE="$CA" JWKS_FILE="$etc/es-only.jwks" PAMJWT_CONFIG="$etc/es-only.conf" \
    PAMJWT="$pamjwt" sh "$top/conf/pamjwt-jwks-refresh"
check "refresher: the policy allowing only ES256 gets the 12-key set installed (11 EC keys, keys for ES256)" \
    eval '[ "$rc" = 0 ] && has "12 keys; keys for ES256)" && cmp -s "$etc/es-only.jwks" "$JWKS"'

# Keys without kid, served by openssl s_server -WWW as JWKS_URI: such a key
# serves only tokens without kid, which pam_jwt refuses when more than 8
# keys fit their alg.
kidless_keys() {
    local dir=$tmp/www-kidless c=$etc/kidless.conf f=$etc/kidless.jwks
    mkdir -p "$dir" && cp "$JWKS" "$dir/jwks"
    printf 'issuer = %s\njwks_file = %s\nalgorithms = ES256 RS256\nallowed_subjects = deploy\n' \
        "$ISSUER" "$f" >"$c"
    chmod 0644 "$c"
    start_sserver "$dir" ||
        { notok "refresher: keys without kid (openssl s_server did not start)"; return; }
    # serve SET (a jq filter on the 12-key set), run the refresher for $c
    serve() {
        jq -c "$1" "$JWKS" >"$dir/jwks"
        diag "JWK Set at $sserver_url/jwks: $(jq -c '[.keys[] | .kid // "(no kid)"]' "$dir/jwks")"
        tx "JWKS_URI=$sserver_url/jwks CA_FILE=ca.pem JWKS_FILE=kidless.jwks PAMJWT_CONFIG=kidless.conf pamjwt-jwks-refresh" \
            env JWKS_URI="$sserver_url/jwks" CA_FILE="$CA" JWKS_FILE="$f" PAMJWT_CONFIG="$c" \
            PAMJWT="$pamjwt" sh "$top/conf/pamjwt-jwks-refresh"
    }
    serve '{keys: [.keys[0], (.keys[11] | del(.kid))]}'
    check "refresher: ec-2 and an RSA key without kid: installed, both usable (keys for RS256 ES256), no warning" \
        eval '[ "$rc" = 0 ] && has "installed" && has "2 keys; keys for RS256 ES256)" && ! has "no kid"'
    serve '.keys[3] |= del(.kid)'
    check "refresher: 12 keys, ec-5 without kid: installed, with a warning that no token can use key #3" \
        eval '[ "$rc" = 0 ] && has "installed" && has "12 keys; keys for RS256 ES256)" &&
              has "key #3 has no kid and 11 keys of the set fit ES256"'
    cp "$f" "$tmp/kidless.before"
    serve '{keys: [.keys[0:11][] | del(.kid)]}'
    check "refresher: 11 EC keys, none with kid: refused (no token could use them), file unchanged" \
        eval '[ "$rc" = 1 ] && has "no key of the new JWK Set can verify" && has "left unchanged" &&
              has "key #0 has no kid and 11 keys of the set fit ES256" && cmp -s "$f" "$tmp/kidless.before"'
    stop_pid "$sserver_pid"
    sserver_pid=
}
kidless_keys

# ---- two issuers: a policy directory --------------------------------------------------

two_issuers() {
    local d=$etc/pam_jwt.d
    mkdir -m 0755 "$d"
    policy "$RESOURCE" >"$d/10-provider.conf"
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/keys/mint.pem" 2>/dev/null &&
        openssl pkey -in "$tmp/keys/mint.pem" -pubout -out "$etc/mint.pub.pem" 2>/dev/null ||
        { notok "two issuers: mint key made"; return; }
    echo "ops-bot $U" >"$etc/mint-users.map"
    cat >"$d/20-mint.conf" <<EOF
issuer = $MINT_ISSUER
key_file = $etc/mint.pub.pem
audience = $RESOURCE
algorithms = ES256
allowed_subjects = ops-bot
user_map_file = $etc/mint-users.map
EOF
    chmod 0644 "$d"/*.conf "$etc/mint.pub.pem" "$etc/mint-users.map"
    diag_file "$d/10-provider.conf"
    diag_file "$d/20-mint.conf"
    mint() { # mint OUT SUB ISS
        "$pamjwt" mint --key "$tmp/keys/mint.pem" --sub "$2" --iss "$3" --aud "$RESOURCE" --ttl 300 >"$1"
    }
    mint "$tmp/mint-ops.jwt" ops-bot "$MINT_ISSUER" && mint "$tmp/mint-deploy.jwt" deploy "$MINT_ISSUER" &&
        mint "$tmp/mint-as-provider.jwt" deploy "$ISSUER" && mint "$tmp/mint-nobody.jwt" ops-bot nobody ||
        { notok "two issuers: pamjwt mint tokens"; return; }

    # the refresher works on the provider's policy file
    tx "ISSUER=$ISSUER CA_FILE=ca.pem JWKS_FILE=$JWKS PAMJWT_CONFIG=$d/10-provider.conf pamjwt-jwks-refresh" \
        env ISSUER="$ISSUER" CA_FILE="$CA" JWKS_FILE="$JWKS" PAMJWT_CONFIG="$d/10-provider.conf" \
        PAMJWT="$pamjwt" sh "$top/conf/pamjwt-jwks-refresh"
    check "two issuers: the refresher checks the provider's policy file (unchanged)" \
        eval '[ "$rc" = 0 ] && has unchanged'

    pj_check "$d" "$tmp/cc2.jwt"
    check "two issuers: pamjwt check --config DIR accepts the provider's token (deploy)" \
        eval '[ "$rc" = 0 ] && has "decision: accept"'
    pj_check "$d" "$tmp/mint-ops.jwt"
    check "two issuers: pamjwt check --config DIR accepts the minted token (ops-bot, iss $MINT_ISSUER)" \
        eval '[ "$rc" = 0 ] && has "decision: accept"'
    pj_check "$d" "$tmp/mint-deploy.jwt"
    check "two issuers: deploy (allowed for the provider) is refused when $MINT_ISSUER signs it" \
        eval '[ "$rc" = 1 ] && has "decision: refuse"'
    pj_check "$d" "$tmp/mint-as-provider.jwt"
    check "two issuers: the mint key cannot sign for the provider's issuer (bad signature)" \
        eval '[ "$rc" = 1 ] && has "decision: refuse"'
    pj_check "$d" "$tmp/mint-nobody.jwt"
    check "two issuers: a token of an issuer no policy names is refused" \
        eval '[ "$rc" = 1 ] && has "no policy for issuer"'

    put_pam_stack "$SVC_SSHD" "$d"
    put_pam_stack "$SVC_SUDO" "$d"
    diag_file "/etc/pam.d/$SVC_SUDO"
    check "two issuers: sudo with the provider's token works" sudo_ok "$tmp/cc2.jwt"
    check "two issuers: ssh with the minted token (ops-bot) logs in" login_ok "$tmp/mint-ops.jwt"
    check "two issuers: sudo with the minted token (ops-bot) works" sudo_ok "$tmp/mint-ops.jwt"
    check "two issuers: sudo refuses deploy signed by $MINT_ISSUER" sudo_refused "$tmp/mint-deploy.jwt"
    if device_token ops-bot "$RESOURCE" "$tmp/provider-ops.jwt"; then
        pj_check "$d" "$tmp/provider-ops.jwt"
        check "two issuers: ops-bot (allowed for $MINT_ISSUER) is refused when the provider signs it" \
            eval '[ "$rc" = 1 ] && has "decision: refuse"'
        check "two issuers: sudo refuses ops-bot signed by the provider" \
            sudo_refused "$tmp/provider-ops.jwt"
    else
        notok "two issuers: device flow token for ops-bot"
    fi
    put_pam_stack "$SVC_SSHD" "$conf"
    put_pam_stack "$SVC_SUDO" "$conf"
}
if [ "${OIDC_TWO_ISSUERS:-1}" = 1 ]; then
    two_issuers
else
    skip "two issuers: a policy directory" "OIDC_TWO_ISSUERS=0"
fi

# ---- undo everything and check that it is undone -------------------------------

oidc_stop
diag "token lengths: client credentials ES256 $len_cc bytes, device flow + DPoP ES256 ${len_dpop:-?} bytes, long RS256 $len_long bytes" \
    "times: npm ci $OIDC_NPM_SECS s, provider start $provider_time s, whole run $(secs "$t_start") s"
cleanup_and_check "$sshd_pid" "$OIDC_PID" "$sserver_pid" "$OIDC_DEVICE_PID"
report_undone "processes stopped, $U removed, system files as before"

echo "1..$n"
[ "$failed" -eq 0 ]
