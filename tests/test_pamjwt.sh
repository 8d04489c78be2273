#!/bin/sh
# pamjwt check and mint: exit codes, output, --at, size warnings, and that
# check never consumes a one-time token.  TAP output.
set -u
n=0; failed=0
ok()  { n=$((n+1)); echo "ok $n - $*"; }
nok() { n=$((n+1)); failed=$((failed+1)); echo "not ok $n - $*"; }
t() { name=$1; shift; if "$@"; then ok "$name"; else nok "$name"; fi; }
PAMJWT=${top_builddir:-.}/pamjwt
# under make check-valgrind TEST_WRAPPER runs pamjwt under memcheck
pj() { ${TEST_WRAPPER:-} "$PAMJWT" "$@"; }
dir=$(mktemp -d /tmp/pamjwt-cli.XXXXXX)
trap 'rm -rf "$dir"' EXIT
chmod 755 "$dir"
me=$(id -un)
for k in ec256:P-256 ec384:P-384 ec521:P-521; do
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:${k#*:} -out "$dir/${k%%:*}.key" 2>/dev/null
done
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$dir/rsa.key" 2>/dev/null
openssl genpkey -algorithm ED25519 -out "$dir/ed.key" 2>/dev/null
for k in ec256 ec384 ec521 rsa ed; do openssl pkey -in "$dir/$k.key" -pubout -out "$dir/$k.pub"; chmod 644 "$dir/$k.pub"; done
head -c 48 /dev/urandom | base64 > "$dir/hmac"; chmod 600 "$dir/hmac"
mkdir "$dir/replay"; chmod 700 "$dir/replay"
cat > "$dir/c.conf" <<CONF
key_file = $dir/ec256.pub
key_file = $dir/ec384.pub
key_file = $dir/ec521.pub
key_file = $dir/rsa.pub
key_file = $dir/ed.pub
hmac_secret_file = $dir/hmac
allowed_subjects = *
CONF
chmod 644 "$dir/c.conf"
check() { printf '%s\n' "$1" | pj check --config "$2" ${3:+--user "$3"} ${4:+--at "$4"} >"$dir/out" 2>"$dir/err"; }

# mint with every algorithm, check accepts
for spec in ES256:ec256 ES384:ec384 ES512:ec521 RS256:rsa RS384:rsa RS512:rsa PS256:rsa PS384:rsa PS512:rsa EdDSA:ed HS256:hmac HS384:hmac HS512:hmac; do
  alg=${spec%%:*}; key=$dir/${spec#*:}; [ "${spec#*:}" = hmac ] || key=$key.key
  tok=$(pj mint --key "$key" --alg "$alg" --sub "$me" --ttl 60)
  check "$tok" "$dir/c.conf" "$me"; rc=$?
  t "mint --alg $alg; check accepts (exit 0)" [ $rc -eq 0 ]
done
tok=$(pj mint --key "$dir/ec256.key" --sub "$me" --aud ssh --iss https://idp.example/ --kid k1 --claim scope="ssh sudo" --claim level=3 --claim groups='["a","b"]' --ttl 120)
check "$tok" "$dir/c.conf" "$me"
t "mint: default alg for a P-256 key is ES256" grep -q '"alg": "ES256"' "$dir/out"
t "check prints the decision" grep -q '^decision: accept$' "$dir/out"
t "check prints the mapped user" grep -q "^user: $me\$" "$dir/out"
t "mint: aud, iss, kid, jti set" sh -c "grep -q '\"aud\": \"ssh\"' '$dir/out' && grep -q '\"iss\": \"https://idp.example/\"' '$dir/out' && grep -q '\"kid\": \"k1\"' '$dir/out' && grep -q '\"jti\": \"[0-9a-f]\{32\}\"' '$dir/out'"
t "mint: --claim values as string, number, array" sh -c "grep -q '\"scope\": \"ssh sudo\"' '$dir/out' && grep -q '\"level\": 3' '$dir/out' && grep -q '\"a\",' '$dir/out'"
t "check never prints the signature" sh -c "! grep -qF '${tok##*.}' '$dir/out'"
check "$tok" "$dir/c.conf" nobody; rc=$?
t "check --user another user: exit 1" [ $rc -eq 1 ]
t "check: reason names both users" grep -q "not nobody" "$dir/out"
check "$tok" "$dir/c.conf" "$me" "$(( $(date +%s) + 600 ))"; rc=$?
t "check --at 10 minutes later: expired, exit 1" sh -c "[ $rc -eq 1 ] && grep -q 'expired' '$dir/out'"
check "$tok" "$dir/c.conf" "$me" "$(( $(date +%s) - 3600 ))"; rc=$?
t "check --at an hour earlier: issued in the future, exit 1" sh -c "[ $rc -eq 1 ] && grep -q 'future' '$dir/out'"
check "hunter2" "$dir/c.conf" "$me"; rc=$?
t "check: not a JWT -> decision ignore, exit 1" sh -c "[ $rc -eq 1 ] && grep -q '^decision: ignore' '$dir/out'"
check "$tok" "$dir/missing.conf" "$me"; rc=$?
t "check: missing config -> exit 2" [ $rc -eq 2 ]
t "check: config error on stderr" grep -q "missing.conf: cannot open" "$dir/err"
printf '%s\n' "$tok" | pj check --config "$dir/c.conf" --bogus >/dev/null 2>&1; rc=$?
t "check: unknown option -> exit 2" [ $rc -eq 2 ]
# size warnings
pad=$(head -c 400 /dev/zero | tr '\0' p)
mid=$(pj mint --key "$dir/ec256.key" --sub "$me" --claim pad="$pad")
check "$mid" "$dir/c.conf" "$me"
t "check warns about sudo for a $(printf %s "$mid" | wc -c)-byte token" sh -c "grep -q 'sudo' '$dir/out' && ! grep -q 'ssh' '$dir/out'"
pad=$(head -c 900 /dev/zero | tr '\0' p)
big=$(pj mint --key "$dir/ec256.key" --sub "$me" --claim pad="$pad" 2>/dev/null)
check "$big" "$dir/c.conf" "$me"
t "check warns about ssh for a $(printf %s "$big" | wc -c)-byte token" grep -q 'ssh' "$dir/out"
# replay: check reads, never writes
echo "replay_cache = $dir/replay" >> "$dir/c.conf"
once=$(pj mint --key "$dir/ec256.key" --sub "$me")
check "$once" "$dir/c.conf" "$me"; r1=$?
check "$once" "$dir/c.conf" "$me"; r2=$?
t "check twice on a one-time token: both accept (nothing consumed)" [ $r1 -eq 0 ] && [ $r2 -eq 0 ]
t "check left replay_cache empty" [ -z "$(ls -A "$dir/replay")" ]
# JWK Sets: the module parses only the keys a token's kid can select;
# check parses and builds them all, so it reports every unusable one
cat > "$dir/set.jwks" <<'JWKS'
{"keys":[
 {"kty":"EC","crv":"P-256","kid":"off-curve","x":"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE","y":"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE"},
 {"kty":"EC","crv":"P-256","kid":"no-y","x":"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE"}
]}
JWKS
chmod 644 "$dir/set.jwks"
printf 'key_file = %s\njwks_file = %s\nallowed_subjects = *\n' "$dir/ec256.pub" "$dir/set.jwks" > "$dir/j.conf"
chmod 644 "$dir/j.conf"
tok=$(pj mint --key "$dir/ec256.key" --sub "$me" --kid unrelated)
check "$tok" "$dir/j.conf" "$me"; rc=$?
t "check: JWK Set with two unusable keys the kid does not select: accept (key_file)" [ $rc -eq 0 ]
t "check reports the key whose point is off the curve" grep -q 'key #0: skipped: EC point is not on the curve' "$dir/err"
t "check reports the key with a missing member" grep -q 'key #1: skipped: member missing' "$dir/err"
printf '{"keys":[{"kty":"EC"}],"keys":[]}' > "$dir/set.jwks"
check "$tok" "$dir/j.conf" "$me"; rc=$?
t "check: a set naming \"keys\" twice -> unavailable, exit 2" sh -c "[ $rc -eq 2 ] && grep -q 'not a JWK Set: not valid JSON (or duplicate member names)' '$dir/err'"
pj --version > "$dir/out"
t "--version lists the verified algorithms" grep -q "^verifies: .*ES256" "$dir/out"
pj mint --key "$dir/ec256.key" --alg RS256 --sub x >/dev/null 2>&1; rc=$?
t "mint refuses an algorithm that does not fit the key" [ $rc -eq 2 ]
echo "1..$n"
[ "$failed" -eq 0 ]
