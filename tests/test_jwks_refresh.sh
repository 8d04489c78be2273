#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# pamjwt-jwks-refresh (conf/pamjwt-jwks-refresh, the wrapper that runs
# `pamjwt jwks refresh`) against a JWK Set server on 127.0.0.1
# (tests/jwks_stub.py: https with a test CA, and loopback http): discovery
# and its refusals, redirects, bounds, the key-by-key probe (12-key sets,
# keys without kid), atomic replacement, the file left alone on every
# failure, and every shipped example configuration as shipped (paths moved
# under a temporary directory), with the PAM services that use it for %s.
# TAP output.  As root (the new file is made root-owned); SKIP otherwise.
#   REFRESHER=/path/to/old/pamjwt-jwks-refresh   to run another refresher
set -u
n=0; failed=0
ok()  { n=$((n+1)); echo "ok $n - $*"; }
nok() { n=$((n+1)); failed=$((failed+1)); echo "not ok $n - $*"; }
# tt NAME 'EXPRESSION': a compound condition (&&), evaluated as a whole
tt() { if eval "$2"; then ok "$1"; else nok "$1"; printf '%s\n' "$out" | sed 's/^/#   /'; fi; }
top=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
PAMJWT=$(cd "${top_builddir:-.}" && pwd)/pamjwt
REFRESHER=${REFRESHER:-$top/conf/pamjwt-jwks-refresh}
STUB=$top/tests/jwks_stub.py
PY=/usr/bin/python3
if [ "$(id -u)" != 0 ]; then
  echo "1..0 # SKIP not root (the refresher makes the new JWK Set root-owned)"
  exit 0
fi
if ! "$PY" -c 'import cryptography' 2>/dev/null || ! command -v openssl >/dev/null; then
  echo "1..0 # SKIP needs /usr/bin/python3 with python3-cryptography, and openssl"
  exit 0
fi
dir=$(mktemp -d /tmp/pamjwt-jwks.XXXXXX) || exit 1
chmod 0755 "$dir"
pids=
cleanup() { for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$dir"; }
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# ---- a test CA, two servers (https and http) of one directory
pki=$dir/pki
mkdir "$pki"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$pki/ca.key" \
    -out "$pki/ca.pem" -days 2 -subj /CN=pamjwt-test-ca 2>/dev/null &&
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$pki/srv.key" \
    -out "$pki/srv.csr" -subj /CN=127.0.0.1 2>/dev/null &&
printf 'subjectAltName=IP:127.0.0.1\n' >"$pki/ext" &&
openssl x509 -req -in "$pki/srv.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 2 -extfile "$pki/ext" -out "$pki/srv.pem" 2>/dev/null || { echo "Bail out! test CA"; exit 1; }
CA=$pki/ca.pem
start() { # start NAME [CERT KEY]: a server of $dir/srv/www; its port in $dir/NAME/port
    mkdir -p "$dir/$1"
    ln -s "$dir/srv/www" "$dir/$1/www"
    "$PY" "$STUB" serve "$dir/$1" ${2:+"$2"} ${3:+"$3"} </dev/null >"$dir/$1.log" 2>&1 &
    pids="$pids $!"
    for _ in $(seq 100); do [ -s "$dir/$1/port" ] && break; sleep 0.1; done
    [ -s "$dir/$1/port" ] || { echo "Bail out! $1 server did not start"; cat "$dir/$1.log"; exit 1; }
}
www=$dir/srv/www
mkdir -p "$www/.well-known"
start tls "$pki/srv.pem" "$pki/srv.key"
start plain
URL=https://127.0.0.1:$(cat "$dir/tls/port")
HURL=http://127.0.0.1:$(cat "$dir/plain/port")
disco() { printf '%s\n' "$1" >"$www/.well-known/openid-configuration"; }
disco "{\"issuer\":\"$URL\",\"jwks_uri\":\"$URL/jwks\"}"
keys() { "$PY" "$STUB" jwks "$@"; }
keys "$dir/set1" ec:ec-1 rsa:rsa-1 && keys "$dir/set2" ec:ec-2 ec:ec-1 rsa:rsa-1 &&
    keys "$dir/set12" ec:ec-2 ec:ec-3 ec:ec-4 ec:ec-5 ec:ec-6 ec:ec-7 ec:ec-8 ec:ec-9 ec:ec-10 \
        ec:ec-11 ec:ec-12 rsa:rsa-1 &&
    keys "$dir/kidless11" ec: ec: ec: ec: ec: ec: ec: ec: ec: ec: ec: &&
    keys "$dir/kidless-pair" ec:ec-2 rsa: ||
    { echo "Bail out! JWK Sets made"; exit 1; }
# 12 keys, the fourth (ec-5) without kid
"$PY" -c 'import json,sys; s=json.load(open(sys.argv[1])); del s["keys"][3]["kid"]; json.dump(s, open(sys.argv[2], "w"))' \
    "$dir/set12" "$dir/set12-one-kidless"
serve() { cp "$1" "$www/jwks"; }
kids() { "$PY" -c 'import json,sys; print(" ".join(k.get("kid","-") for k in json.load(open(sys.argv[1]))["keys"]))' "$1" 2>/dev/null; }

# ---- the host: a configuration in a root-owned directory
etc=$dir/etc/security
mkdir -p "$etc/pam_jwt" "$dir/pam.d" "$dir/pam.d-empty"
JWKS=$etc/provider.jwks
conf=$etc/pam_jwt.conf
printf 'issuer = %s\njwks_file = %s\nalgorithms = ES256 RS256\nallowed_subjects = *\n' "$URL" "$JWKS" >"$conf"
chmod 0644 "$conf"
# refresh SETTING=VALUE...: the refresher with these settings (PAM_DIR: an
# empty directory unless given); $out (stdout and stderr), $rc
refresh() {
    out=$(env PAMJWT="$PAMJWT" PAM_DIR="$dir/pam.d-empty" "$@" sh "$REFRESHER" 2>&1)
    rc=$?
}
has() { printf '%s\n' "$out" | grep -qF -- "$1"; }
one_line() { ! printf '%s\n' "$out" | grep -v '^pamjwt' | grep -q .; } # every line a whole message
left_alone() { [ "$rc" = 1 ] && has "left unchanged" && cmp -s "$1" "$2"; }
no_tmp() { for f in "$etc"/.pam_jwt-jwks.*; do [ ! -e "$f" ] || return 1; done; }
R="ISSUER=$URL CA_FILE=$CA JWKS_FILE=$JWKS PAMJWT_CONFIG=$conf"

# ---- discovery, install, unchanged, rotation
serve "$dir/set1"
refresh $R
tt "discovery finds jwks_uri, the set is installed (kids ec-1 rsa-1), keys for RS256 ES256" \
   '[ "$rc" = 0 ] && has "discovered jwks_uri $URL/jwks" && has "installed a new JWK Set from $URL/jwks in $JWKS" && [ "$(kids "$JWKS")" = "ec-1 rsa-1" ] && has "2 keys; keys for RS256 ES256)" && one_line'
tt "the installed set is root-owned, mode 0644, no temporary file left" \
   '[ "$(stat -c %u:%g:%a "$JWKS")" = 0:0:644 ] && no_tmp'
ino=$(stat -c %i "$JWKS")
refresh $R
tt "a second run says unchanged and does not touch the file" \
   '[ "$rc" = 0 ] && has "unchanged" && ! has "installed" && [ "$(stat -c %i "$JWKS")" = "$ino" ]'
serve "$dir/set2"
refresh $R
tt "rotation: the new set (ec-2 ec-1 rsa-1) replaces the old one by a rename (new inode)" \
   '[ "$rc" = 0 ] && has "installed" && [ "$(kids "$JWKS")" = "ec-2 ec-1 rsa-1" ] && [ "$(stat -c %i "$JWKS")" != "$ino" ] && no_tmp'

# ---- many keys, keys without kid (pam_jwt tries at most 8 keys for a token without kid)
serve "$dir/set12"
refresh $R
tt "a 12-key set (11 EC keys with kids) is installed, usable for RS256 and ES256" \
   '[ "$rc" = 0 ] && has "12 keys; keys for RS256 ES256)" && ! has "no kid" && [ "$(kids "$JWKS")" = "ec-2 ec-3 ec-4 ec-5 ec-6 ec-7 ec-8 ec-9 ec-10 ec-11 ec-12 rsa-1" ]'
printf 'issuer = %s\njwks_file = %s\nalgorithms = ES256\nallowed_subjects = *\n' "$URL" "$etc/es-only.jwks" >"$etc/es-only.conf"
refresh ISSUER="$URL" CA_FILE="$CA" JWKS_FILE="$etc/es-only.jwks" PAMJWT_CONFIG="$etc/es-only.conf"
tt "a policy allowing only ES256 gets the 12-key set (keys for ES256)" \
   '[ "$rc" = 0 ] && has "12 keys; keys for ES256)"'
printf 'jwks_file = %s\nalgorithms = ES256 RS256\nallowed_subjects = *\n' "$etc/kidless.jwks" >"$etc/kidless.conf"
K="JWKS_URI=$URL/jwks CA_FILE=$CA JWKS_FILE=$etc/kidless.jwks PAMJWT_CONFIG=$etc/kidless.conf"
serve "$dir/kidless-pair"
refresh $K
tt "ec-2 and an RSA key without kid: installed, both usable, no warning" \
   '[ "$rc" = 0 ] && has "2 keys; keys for RS256 ES256)" && ! has "no kid"'
serve "$dir/set12-one-kidless"
refresh $K
tt "12 keys, ec-5 without kid: installed, with a warning (its own line) that no token can use key #3" \
   '[ "$rc" = 0 ] && has "12 keys; keys for RS256 ES256)" && has "pamjwt-jwks-refresh: new JWK Set: key #3 has no kid and 11 keys of the set fit ES256" && one_line'
cp "$etc/kidless.jwks" "$dir/before"
serve "$dir/kidless11"
refresh $K
tt "11 EC keys, none with kid: refused (no token could use them), file left alone" \
   'left_alone "$etc/kidless.jwks" "$dir/before" && has "no key of the new JWK Set can verify" && has "key #0 has no kid and 11 keys of the set fit ES256" && no_tmp'

# ---- refusals: the file stays as it is
serve "$dir/set1"
refresh $R
cp "$JWKS" "$dir/before"
serve "$dir/set2"
bad_disco() { # bad_disco NAME DOCUMENT WANT
    disco "$2"
    want=$3
    refresh $R
    tt "refuses $1, file left alone" 'left_alone "$JWKS" "$dir/before" && has "$want" && one_line'
}
bad_disco "a discovery document naming another issuer" "{\"issuer\":\"https://example.com\",\"jwks_uri\":\"$URL/jwks\"}" "names the issuer"
bad_disco "\"issuer\" given twice" "{\"issuer\":\"$URL\",\"jwks_uri\":\"$URL/jwks\",\"issuer\":\"$URL\"}" "more than once"
bad_disco "an issuer with a trailing newline" "{\"issuer\":\"$URL\\n\",\"jwks_uri\":\"$URL/jwks\"}" "not a string of printable ASCII"
bad_disco "a document without jwks_uri" "{\"issuer\":\"$URL\"}" "has no \"jwks_uri\""
bad_disco "a jwks_uri over http (https issuer)" "{\"issuer\":\"$URL\",\"jwks_uri\":\"$HURL/jwks\"}" "not an https:// URL"
bad_disco "a jwks_uri with a curl URL range [1-100]" "{\"issuer\":\"$URL\",\"jwks_uri\":\"$URL/jwks?x=[1-100]\"}" "has [, ], { or }"
bad_disco "a jwks_uri with a curl URL set {a,b}" "{\"issuer\":\"$URL\",\"jwks_uri\":\"$URL/{jwks,jwks}\"}" "has [, ], { or }"
bad_disco "a discovery document that is not JSON" "<html>" "not one JSON object"
disco "{\"issuer\":\"$URL\",\"jwks_uri\":\"$URL/jwks\"}"
for s in "ISSUER=$URL/[1-100]" "JWKS_URI=$URL/jwks?x=[1-100]" "JWKS_URI=$URL/{jwks,jwks}"; do
    refresh "$s" CA_FILE="$CA" JWKS_FILE="$JWKS" PAMJWT_CONFIG="$conf"
    tt "refuses $s (a curl URL glob) before any request" '[ "$rc" = 1 ] && has "has [, ], { or }" && cmp -s "$JWKS" "$dir/before"'
done
printf '/moved %s/jwks\n/.well-known/openid-configuration-x %s\n' "$URL" "$URL" >"$www/.redirects"
: >"$dir/tls/requests"
refresh JWKS_URI="$URL/moved" CA_FILE="$CA" JWKS_FILE="$JWKS" PAMJWT_CONFIG="$conf"
tt "a redirect is not followed (HTTP 302 named, its target never asked for), file left alone" \
   'left_alone "$JWKS" "$dir/before" && has "HTTP 302" && has "redirects are not followed" && ! grep -qx /jwks "$dir/tls/requests"'
rm -f "$www/.redirects"
refresh JWKS_URI="$URL/nothing-here" CA_FILE="$CA" JWKS_FILE="$JWKS" PAMJWT_CONFIG="$conf"
tt "HTTP 404: refused, file left alone" 'left_alone "$JWKS" "$dir/before" && has "HTTP 404"'
refresh JWKS_URI="$URL/jwks" JWKS_FILE="$JWKS" PAMJWT_CONFIG="$conf"
tt "a server the CAs do not vouch for (no CA_FILE): refused, file left alone" 'left_alone "$JWKS" "$dir/before"'
head -c 1100000 /dev/zero | tr '\0' ' ' >"$www/jwks"
refresh JWKS_URI="$URL/jwks" CA_FILE="$CA" JWKS_FILE="$JWKS" PAMJWT_CONFIG="$conf"
tt "a set over 1 MiB: refused, file left alone" 'left_alone "$JWKS" "$dir/before" && has "longer than 1048576 bytes"'
: >"$www/jwks"
refresh $R
tt "an empty document: refused, file left alone" 'left_alone "$JWKS" "$dir/before" && has "empty document"'
printf '{"keys": [{"kty": "EC"}]}\n' >"$www/jwks"
refresh $R
tt "a set whose only key pam_jwt skips (EC without crv): refused, the reason on its own line, file left alone" \
   'left_alone "$JWKS" "$dir/before" && has "pamjwt-jwks-refresh: new JWK Set: jwks_file $JWKS (new) key #0: skipped" && has "no key of the new JWK Set can verify" && no_tmp && one_line'
printf '{"keys": [{"kty": "EC"}]\n' >"$www/jwks"
refresh $R
tt "a set that is not JSON: the configuration does not load, file left alone" \
   'left_alone "$JWKS" "$dir/before" && has "does not load with the new JWK Set" && has "$JWKS (new)" && ! has "/.pam_jwt-jwks." && no_tmp && one_line'
serve "$dir/set2"
printf 'issuer = %s\nkey_file = %s\nallowed_subjects = *\n' "$URL" "$pki/ca.pem" >"$etc/nojwks.conf"
refresh ISSUER="$URL" CA_FILE="$CA" JWKS_FILE="$JWKS" PAMJWT_CONFIG="$etc/nojwks.conf"
tt "a configuration without \"jwks_file = JWKS_FILE\": refused, file left alone" \
   'left_alone "$JWKS" "$dir/before" && has "has no line \"jwks_file = $JWKS\""'
refresh ISSUER="$URL" JWKS_URI="$URL/jwks" JWKS_FILE="$JWKS" PAMJWT_CONFIG="$conf"
tt "ISSUER and JWKS_URI both set: refused" '[ "$rc" = 1 ] && has "not both" && cmp -s "$JWKS" "$dir/before"'
refresh JWKS_FILE="$JWKS" PAMJWT_CONFIG="$conf"
tt "neither ISSUER nor JWKS_URI: refused" '[ "$rc" = 1 ] && has "neither" && cmp -s "$JWKS" "$dir/before"'
refresh JWKS_URI="http://example.com/jwks" JWKS_FILE="$JWKS" PAMJWT_CONFIG="$conf"
tt "JWKS_URI over http off loopback: refused before any request" '[ "$rc" = 1 ] && has "only https" && cmp -s "$JWKS" "$dir/before"'
refresh JWKS_URI="$HURL/jwks" JWKS_FILE="$JWKS" PAMJWT_CONFIG="$conf"
tt "JWKS_URI over http on loopback (for tests): installed" '[ "$rc" = 0 ] && has "installed a new JWK Set from $HURL/jwks"'

# ---- the shipped example configurations, as shipped (paths moved under $dir)
# example FILE: the example with /etc/security/ moved to $etc/, in $etc
example() {
    mkdir -p "$etc/$(dirname "$1")"
    sed "s|/etc/security/|$etc/|g" "$top/conf/$1" >"$etc/$1"
    chmod 0644 "$etc/$1"
}
for m in idp ci; do : >"$etc/pam_jwt/$m.map"; chmod 0644 "$etc/pam_jwt/$m.map"; done
pamd() { # pamd SERVICE FILE: $dir/pam.d/SERVICE from conf/FILE, config= moved
    sed "s|config=/etc/security/|config=$etc/|" "$top/conf/$2" >"$dir/pam.d/$1"
}
# sshd: the line conf/pam_jwt-ssh.conf gives; sudo: conf/pam.d-sudo
sed -n "s|^#   auth |auth |; s|config=/etc/security/|config=$etc/|p" "$top/conf/pam_jwt-ssh.conf" >"$dir/pam.d/sshd"
grep -q pam_jwt.so "$dir/pam.d/sshd" || { echo "Bail out! no pam_jwt.so line in conf/pam_jwt-ssh.conf"; exit 1; }
pamd sudo pam.d-sudo
serve "$dir/set1"
IDP="JWKS_URI=$URL/jwks CA_FILE=$CA JWKS_FILE=$etc/pam_jwt/idp.jwks"
example pam_jwt-ssh.conf
refresh $IDP PAMJWT_CONFIG="$etc/pam_jwt-ssh.conf"
tt "pam_jwt-ssh.conf (require_claim = svc %s), no PAM service uses it: refused, the reason on its own line" \
   '[ "$rc" = 1 ] && has "pamjwt-jwks-refresh: $etc/pam_jwt-ssh.conf with the new JWK Set: unavailable: config $etc/pam_jwt-ssh.conf uses %s but the PAM service is not known" && has "name the services that use it in SERVICES" && one_line && [ ! -e "$etc/pam_jwt/idp.jwks" ]'
refresh $IDP PAMJWT_CONFIG="$etc/pam_jwt-ssh.conf" SERVICES=sshd
tt "pam_jwt-ssh.conf with SERVICES=sshd: checked for sshd, installed" \
   '[ "$rc" = 0 ] && has "for the PAM service sshd" && has "installed" && [ -s "$etc/pam_jwt/idp.jwks" ]'
rm -f "$etc/pam_jwt/idp.jwks"
refresh $IDP PAMJWT_CONFIG="$etc/pam_jwt-ssh.conf" PAM_DIR="$dir/pam.d"
tt "pam_jwt-ssh.conf: the service sshd is found in PAM_DIR (the pam_jwt.so line its header gives): installed" \
   '[ "$rc" = 0 ] && has "for the PAM service sshd" && ! has "sudo" && has "installed" && one_line'
example pam_jwt-sudo.conf
rm -f "$etc/pam_jwt/idp.jwks"
refresh $IDP PAMJWT_CONFIG="$etc/pam_jwt-sudo.conf" PAM_DIR="$dir/pam.d"
tt "pam_jwt-sudo.conf: the service sudo is found in PAM_DIR (pam.d-sudo names it): installed" \
   '[ "$rc" = 0 ] && has "for the PAM service sudo" && has "installed" && one_line'
example pam_jwt.d/idp.conf
example pam_jwt.d/ci.conf
printf 'auth [success=done default=die] pam_jwt.so config=%s/pam_jwt.d\n' "$etc" >"$dir/pam.d/pjwt-dir"
rm -f "$etc/pam_jwt/idp.jwks"
refresh $IDP PAMJWT_CONFIG="$etc/pam_jwt.d/idp.conf" PAM_DIR="$dir/pam.d"
tt "pam_jwt.d/idp.conf (a policy of a directory a PAM service names): installed" \
   '[ "$rc" = 0 ] && has "for the PAM service pjwt-dir" && has "keys for RS256 ES256)"'
refresh JWKS_URI="$URL/jwks" CA_FILE="$CA" JWKS_FILE="$etc/pam_jwt/github.jwks" PAMJWT_CONFIG="$etc/pam_jwt.d/ci.conf" PAM_DIR="$dir/pam.d"
tt "pam_jwt.d/ci.conf (RS256 only): installed, keys for RS256" \
   '[ "$rc" = 0 ] && has "keys for RS256)"'
example pam_jwt.conf
rm -f "$etc/pam_jwt/idp.jwks"
refresh $IDP PAMJWT_CONFIG="$etc/pam_jwt.conf" PAM_DIR="$dir/pam.d"
tt "pam_jwt.conf as shipped (its jwks_file line commented out): refused, it has no jwks_file line" \
   '[ "$rc" = 1 ] && has "has no line \"jwks_file = $etc/pam_jwt/idp.jwks\"" && one_line'

# ---- JWKS_FILE in a directory another user can write: that user could swap
# the temporary file (reopened by name) for one it holds open, and write the
# keys pam_jwt trusts after the check; refused before any request
shared=$dir/shared
mkdir -m 0777 "$shared"
printf 'jwks_file = %s/x.jwks\nalgorithms = ES256 RS256\nallowed_subjects = *\n' "$shared" >"$etc/shared.conf"
chmod 0644 "$etc/shared.conf"
serve "$dir/set1"
refresh JWKS_URI="$URL/jwks" CA_FILE="$CA" JWKS_FILE="$shared/x.jwks" PAMJWT_CONFIG="$etc/shared.conf"
tt "JWKS_FILE in a world-writable directory: refused, nothing written" \
   '[ "$rc" = 1 ] && has "directory $shared is writable by group or others" && [ ! -e "$shared/x.jwks" ] && [ -z "$(ls -A "$shared")" ] && one_line'
chmod 0755 "$shared"
chown 65534 "$shared"
refresh JWKS_URI="$URL/jwks" CA_FILE="$CA" JWKS_FILE="$shared/x.jwks" PAMJWT_CONFIG="$etc/shared.conf"
tt "JWKS_FILE in a directory owned by another user: refused, nothing written" \
   '[ "$rc" = 1 ] && has "directory $shared is owned by uid 65534" && [ ! -e "$shared/x.jwks" ] && one_line'
chown 0 "$shared"
chmod 0777 "$shared"
mkdir -m 0755 "$shared/sub"
printf 'jwks_file = %s/sub/x.jwks\nalgorithms = ES256 RS256\nallowed_subjects = *\n' "$shared" >"$etc/shared.conf"
refresh JWKS_URI="$URL/jwks" CA_FILE="$CA" JWKS_FILE="$shared/sub/x.jwks" PAMJWT_CONFIG="$etc/shared.conf"
tt "JWKS_FILE in a root directory inside a world-writable one (which can be renamed away): refused" \
   '[ "$rc" = 1 ] && has "directory $shared is writable by group or others" && [ ! -e "$shared/sub/x.jwks" ] && one_line'
chmod 1777 "$shared"
refresh JWKS_URI="$URL/jwks" CA_FILE="$CA" JWKS_FILE="$shared/sub/x.jwks" PAMJWT_CONFIG="$etc/shared.conf"
tt "... inside a sticky root-owned one (as /tmp): installed" \
   '[ "$rc" = 0 ] && has "installed" && [ -s "$shared/sub/x.jwks" ]'

# ---- the PAM directory scan: a service file that is a link to a FIFO (the
# open would block until killed: the set never refreshed) or to a device
odd=$dir/pam.d-odd
mkdir "$odd"
cp "$dir/pam.d/sshd" "$odd/sshd"
mkfifo "$dir/fifo"
ln -s "$dir/fifo" "$odd/a-fifo"
ln -s /dev/zero "$odd/b-zero"
rm -f "$etc/pam_jwt/idp.jwks"
out=$(env PAMJWT="$PAMJWT" $IDP PAMJWT_CONFIG="$etc/pam_jwt-ssh.conf" PAM_DIR="$odd" \
    timeout 20 sh "$REFRESHER" 2>&1)
rc=$?
tt "PAM_DIR with links to a FIFO and to /dev/zero: skipped, sshd found, installed (no hang)" \
   '[ "$rc" = 0 ] && has "for the PAM service sshd" && ! has "a-fifo" && ! has "b-zero" && has "installed"'

# ---- JWKS_FILE is a FIFO: the "unchanged" comparison must not block on it
mkfifo "$etc/fifo.jwks"
printf 'jwks_file = %s\nalgorithms = ES256 RS256\nallowed_subjects = *\n' "$etc/fifo.jwks" >"$etc/fifo.conf"
chmod 0644 "$etc/fifo.conf"
serve "$dir/set1"
out=$(env PAMJWT="$PAMJWT" PAM_DIR="$dir/pam.d-empty" JWKS_URI="$URL/jwks" CA_FILE="$CA" \
    JWKS_FILE="$etc/fifo.jwks" PAMJWT_CONFIG="$etc/fifo.conf" timeout 20 sh "$REFRESHER" 2>&1)
rc=$?
tt "JWKS_FILE is a FIFO: not opened for the comparison (no hang); replaced by the set" \
   '[ "$rc" = 0 ] && has "installed" && [ -f "$etc/fifo.jwks" ] && [ "$(kids "$etc/fifo.jwks")" = "ec-1 rsa-1" ]'
echo "1..$n"
[ "$failed" = 0 ]
