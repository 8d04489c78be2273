#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
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
# group_map: check prints the groups setcred would add (those that exist flagged)
g1=$(getent group 1 | cut -d: -f1)
if [ -n "$g1" ]; then
  printf 'a %s\nb pjtest-no-such-group\nzz %s\n' "$g1" "$g1" > "$dir/groups.map"; chmod 644 "$dir/groups.map"
  { cat "$dir/c.conf"; echo "group_map = $dir/groups.map"; } > "$dir/g.conf"; chmod 644 "$dir/g.conf"
  check "$tok" "$dir/g.conf" "$me"; rc=$?
  t "check with group_map prints the groups line" sh -c "[ $rc -eq 0 ] && grep -qx 'groups: $g1 pjtest-no-such-group (no such group: skipped)' '$dir/out'"
  notok=$(pj mint --key "$dir/ec256.key" --sub "$me" --claim groups='["c"]')
  check "$notok" "$dir/g.conf" "$me"
  t "check with group_map: no rule matches -> groups: none" grep -qx 'groups: none (no group_map rule matches)' "$dir/out"
  check "$tok" "$dir/c.conf" "$me"
  t "check without group_map prints no groups line" sh -c "! grep -q '^groups:' '$dir/out'"
else
  ok "# SKIP no group with gid 1"; ok "# SKIP"; ok "# SKIP"
fi
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
cp "$dir/c.conf" "$dir/c%h.conf"
check "$tok" "$dir/c%h.conf" "$me"; rc=$?
t "check: '%' in the --config path -> exit 2, as config= in the module" sh -c "[ $rc -eq 2 ] && grep -q \"'%' in a path\" '$dir/err'"
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
# Terminal safety: nothing check prints carries a raw byte outside
# printable ASCII, whatever a signed token holds.  The subject holds an OSC
# title sequence (ESC ] 0 ; ... BEL), U+202E (bidi override), U+0085 (C1
# NEL), DEL and a literal backslash sequence.
only_printable() { [ "$(cat "$@" | LC_ALL=C tr -d '\n\040-\176' | wc -c)" -eq 0 ]; }
evil=$(printf '\033]0;pwned\007a\342\200\256b\302\205c\177d\\x1b')
tok=$(pj mint --key "$dir/ec256.key" --sub "$evil")
check "$tok" "$dir/c.conf"; rc=$?
t "check: a subject with control bytes is refused (exit 1)" [ $rc -eq 1 ]
t "check: stdout holds only printable ASCII and newlines" only_printable "$dir/out"
t "check: the user line shows every such byte as \\xNN (a backslash too)" \
  grep -qF 'user: \x1b]0;pwned\x07a\xe2\x80\xaeb\xc2\x85c\x7fd\x5cx1b' "$dir/out"
t "check: the claims show them as JSON \\u escapes" \
  grep -qF '"sub": "\u001B]0;pwned\u0007a\u202Eb\u0085c\u007Fd\\x1b"' "$dir/out"
printf '%s\n' "$tok" | pj check --config "$dir/c.conf" --debug >"$dir/out" 2>"$dir/err"
t "check --debug: stdout and stderr hold only printable ASCII" only_printable "$dir/out" "$dir/err"
t "check --debug: stderr names the subject, escaped" grep -qF 'pwned\x07' "$dir/err"
printf '%s\n' "$tok" | pj check --config "$dir/c.conf" --user "$evil" >"$dir/out" 2>"$dir/err"
t "check --user with control bytes: stdout and stderr escaped" only_printable "$dir/out" "$dir/err"
# Time diagnostics: the time evaluated at, the time claims as UTC dates
# with their distance from it, the leeway.  Fixed times, so fixed output.
t0=1795953000 # 2026-11-29 11:50:00 UTC
timed=$("$JWTMINT" raw ES256 "$dir/ec256.key" '{"alg":"ES256","typ":"JWT"}' \
  "{\"sub\":\"$me\",\"jti\":\"t1\",\"iat\":$t0,\"nbf\":$t0,\"exp\":$((t0 + 600))}")
check "$timed" "$dir/c.conf" "$me" $((t0 + 350)); rc=$?
t "times: accepted 5m 50s after iat (exit 0)" [ $rc -eq 0 ]
t "tell: nothing to tell when accepted" sh -c "! grep -q '^tell:' '$dir/out'"
t "times: the evaluation time, UTC and unix, marked as --at" \
  grep -qx 'evaluated at: 2026-11-29 11:55:50 UTC (unix 1795953350, from --at)' "$dir/out"
t "times: the leeway in force (default 30s)" grep -qx 'leeway: 30s' "$dir/out"
t "times: exp as a UTC date, in 4m 10s" grep -qx 'exp: 2026-11-29 12:00:00 UTC (in 4m 10s)' "$dir/out"
t "times: nbf 5m 50s ago" grep -qx 'nbf: 2026-11-29 11:50:00 UTC (5m 50s ago)' "$dir/out"
t "times: iat 5m 50s ago" grep -qx 'iat: 2026-11-29 11:50:00 UTC (5m 50s ago)' "$dir/out"
t "times: printed before the header" sh -c "sed -n '/^header:/q;p' '$dir/out' | grep -q '^exp: '"
check "$timed" "$dir/c.conf" "$me" $((t0 + 600 + 7380)); rc=$?
t "times: 2h 3m after exp: refused, 'expired 2h 3m ago'" sh -c "[ $rc -eq 1 ] && grep -qx 'exp: 2026-11-29 12:00:00 UTC (expired 2h 3m ago)' '$dir/out'"
t "tell: the line the module would tell the user, after the reason" sh -c "grep -qx 'tell: Token expired at 2026-11-29 12:00 UTC: get a new one.' '$dir/out' && sed -n 2p '$dir/out' | grep -q '^reason: ' && sed -n 3p '$dir/out' | grep -q '^tell: '"
check "$timed" "$dir/c.conf" "$me" $((t0 + 610)); rc=$?
t "times: 10s after exp: accepted, within the leeway" sh -c "[ $rc -eq 0 ] && grep -qx 'exp: 2026-11-29 12:00:00 UTC (expired 10s ago, within the 30s leeway)' '$dir/out'"
check "$timed" "$dir/c.conf" "$me" $((t0 - 10)); rc=$?
t "times: nbf and iat 10s ahead: accepted, within the leeway" sh -c "[ $rc -eq 0 ] && grep -qx 'nbf: 2026-11-29 11:50:00 UTC (in 10s, within the 30s leeway)' '$dir/out' && grep -qx 'iat: 2026-11-29 11:50:00 UTC (in 10s, within the 30s leeway)' '$dir/out'"
check "$timed" "$dir/c.conf" "$me" $((t0 - 100)); rc=$?
t "times: nbf 1m 40s ahead: refused, 'in 1m 40s'" sh -c "[ $rc -eq 1 ] && grep -qx 'nbf: 2026-11-29 11:50:00 UTC (in 1m 40s)' '$dir/out'"
check "$timed" "$dir/c.conf" "$me" $((t0 + 600 - 3 * 86400 - 4 * 3600 - 5)); rc=$?
t "times: days and hours" grep -qx 'exp: 2026-11-29 12:00:00 UTC (in 3d 4h)' "$dir/out"
check "$timed" "$dir/c.conf" "$me" $((t0 + 350)).5
t "times: a fractional --at" grep -qx 'evaluated at: 2026-11-29 11:55:50 UTC (unix 1795953350.500, from --at)' "$dir/out"
check "$timed" "$dir/c.conf" "$me"
t "times: without --at, the clock's time" sh -c "grep -q '^evaluated at: 20[0-9-]* [0-9:]* UTC (unix [0-9.]*)\$' '$dir/out' && grep -q '^exp: .*(expired ' '$dir/out'"
{ cat "$dir/c.conf"; echo "leeway = 120"; } > "$dir/l.conf"; chmod 644 "$dir/l.conf"
check "$timed" "$dir/l.conf" "$me" $((t0 + 700)); rc=$?
t "times: leeway = 120 from the config: printed, forgives 100s" sh -c "[ $rc -eq 0 ] && grep -qx 'leeway: 120s' '$dir/out' && grep -qx 'exp: 2026-11-29 12:00:00 UTC (expired 1m 40s ago, within the 120s leeway)' '$dir/out'"
check "$timed" "$dir/missing.conf" "$me" $((t0 + 350))
t "times: config unusable: leeway unknown" grep -qx 'leeway: unknown (no policy was chosen for the token)' "$dir/out"
t "config unusable: stdout names the problem" grep -q '^problem: config .*missing.conf: ' "$dir/out"
odd=$("$JWTMINT" raw ES256 "$dir/ec256.key" '{"alg":"ES256"}' "{\"sub\":\"$me\",\"exp\":\"soon\",\"nbf\":1e300}")
check "$odd" "$dir/c.conf" "$me" $((t0 + 350)); rc=$?
t "times: exp not a number, nbf out of range: said so, refused" sh -c "[ $rc -eq 1 ] && grep -qx 'exp: not a number' '$dir/out' && grep -q '^nbf: 1.*e+300 (not a date from 1970 to 9999)\$' '$dir/out'"
t "times: absent claims not printed" sh -c "! grep -q '^iat:' '$dir/out'"
# Dates past 2038 and 2106 (time_t is 32 bits on i386), a leap day, 2100 not a leap year
far=$("$JWTMINT" raw ES256 "$dir/ec256.key" '{"alg":"ES256"}' "{\"sub\":\"$me\",\"nbf\":951782400,\"iat\":2147483648,\"exp\":4294967296}")
check "$far" "$dir/c.conf" "$me" 4107542400
t "times: dates past 2038 and 2106 printed whole" sh -c "grep -qx 'evaluated at: 2100-03-01 00:00:00 UTC (unix 4107542400, from --at)' '$dir/out' && grep -q '^exp: 2106-02-07 06:28:16 UTC (in ' '$dir/out' && grep -q '^iat: 2038-01-19 03:14:08 UTC (' '$dir/out' && grep -q '^nbf: 2000-02-29 00:00:00 UTC (' '$dir/out'"
last=$("$JWTMINT" raw ES256 "$dir/ec256.key" '{"alg":"ES256"}' "{\"sub\":\"$me\",\"iat\":0,\"exp\":253402300799}")
check "$last" "$dir/c.conf" "$me" 0
t "times: 1970-01-01 and 9999-12-31 23:59:59" sh -c "grep -q '^exp: 9999-12-31 23:59:59 UTC (in ' '$dir/out' && grep -qx 'iat: 1970-01-01 00:00:00 UTC (now)' '$dir/out'"
# Scoped tokens: --service and --host; %s without --service is a usage error
printf 'key_file = %s\nallowed_subjects = *\naudience = ssh://%%h\nrequire_claim = svc %%s\n' "$dir/ec256.pub" > "$dir/s.conf"
chmod 644 "$dir/s.conf"
scoped=$(pj mint --key "$dir/ec256.key" --sub "$me" --aud ssh://hostA --claim svc=sshd)
printf '%s\n' "$scoped" | pj check --config "$dir/s.conf" --user "$me" --host hostA --service sshd >"$dir/out" 2>&1; rc=$?
t "check --host hostA --service sshd: the scoped token is accepted" [ $rc -eq 0 ]
printf '%s\n' "$scoped" | pj check --config "$dir/s.conf" --user "$me" --host hostB --service sshd >"$dir/out" 2>&1; rc=$?
t "check --host hostB: refused, expected and actual audience shown" sh -c "[ $rc -eq 1 ] && grep -q 'wrong audience: expected ssh://hostB, got ssh://hostA' '$dir/out'"
printf '%s\n' "$scoped" | pj check --config "$dir/s.conf" --user "$me" --host hostA --service sudo >"$dir/out" 2>&1; rc=$?
t "check --service sudo: a token for sshd is refused" [ $rc -eq 1 ]
printf '%s\n' "$scoped" | pj check --config "$dir/s.conf" --user "$me" --host hostA >"$dir/out" 2>&1; rc=$?
t "check: a config using %s without --service: exit 2" sh -c "[ $rc -eq 2 ] && grep -q 'PAM service is not known' '$dir/out'"
# Several issuers: --config takes a policy directory
mkdir -p "$dir/pol" && chmod 755 "$dir/pol"
printf 'issuer = https://a.example\nkey_file = %s\nallowed_subjects = %s\n' "$dir/ec256.pub" "$me" > "$dir/pol/a.conf"
printf 'issuer = https://b.example\nkey_file = %s\nallowed_subjects = nobody-else\n' "$dir/ec256.pub" > "$dir/pol/b.conf"
chmod 644 "$dir/pol/a.conf" "$dir/pol/b.conf"
ta=$(pj mint --key "$dir/ec256.key" --sub "$me" --iss https://a.example)
tb=$(pj mint --key "$dir/ec256.key" --sub "$me" --iss https://b.example)
tc=$(pj mint --key "$dir/ec256.key" --sub "$me" --iss https://c.example)
check "$ta" "$dir/pol" "$me"; rc=$?
t "check --config DIR: issuer A's policy accepts" [ $rc -eq 0 ]
check "$tb" "$dir/pol" "$me"; rc=$?
t "check --config DIR: issuer B's policy refuses the same subject" sh -c "[ $rc -eq 1 ] && grep -q 'subject not allowed' '$dir/out'"
check "$tc" "$dir/pol" "$me"; rc=$?
t "check --config DIR: unknown issuer refused" sh -c "[ $rc -eq 1 ] && grep -q 'no policy for issuer https://c.example' '$dir/out'"
# Proof of possession: check cannot prove it, says so, decides the rest
printf 'key_file = %s\nallowed_subjects = *\nrequire_pop = yes\n' "$dir/ec256.pub" > "$dir/p.conf"
chmod 644 "$dir/p.conf"
( umask 077; openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/holder.pem" 2>/dev/null )
bound=$(pj mint --key "$dir/ec256.key" --sub "$me" --holder-key "$dir/holder.pem")
check "$bound" "$dir/p.conf" "$me"; rc=$?
h=$(uname -n)
t "check: a bound token under require_pop: exit 0, 'proof: required (jkt ..., aud one of ssh://$h local://$h)'" sh -c "[ $rc -eq 0 ] && grep -q '^proof: required (jkt [A-Za-z0-9_-]\{43\}, aud one of ssh://$h local://$h)\$' '$dir/out'"
{ cat "$dir/p.conf"; printf 'pop_audience = ssh://%%h ssh://alias.example local://%%s.%%h\n'; } > "$dir/p2.conf"
chmod 644 "$dir/p2.conf"
printf '%s\n' "$bound" | pj check --config "$dir/p2.conf" --user "$me" --host h1 --service sudo >"$dir/out" 2>"$dir/err"; rc=$?
t "check: pop_audience with --host, --service: 'aud one of ssh://h1 ssh://alias.example local://sudo.h1'" sh -c "[ $rc -eq 0 ] && grep -q '^proof: required (jkt [A-Za-z0-9_-]\{43\}, aud one of ssh://h1 ssh://alias.example local://sudo.h1)\$' '$dir/out'"
check "$bound" "$dir/p2.conf" "$me"; rc=$?
t "check: pop_audience uses %s, no --service: exit 2" [ $rc -eq 2 ]
check "$ta" "$dir/p.conf" "$me"; rc=$?
t "check: an unbound token under require_pop: refused" sh -c "[ $rc -eq 1 ] && grep -q 'has no cnf.jkt' '$dir/out'"
# a bound token is never a bearer token: the same without require_pop
printf 'key_file = %s\nallowed_subjects = *\n' "$dir/ec256.pub" > "$dir/p0.conf"
chmod 644 "$dir/p0.conf"
check "$bound" "$dir/p0.conf" "$me"; rc=$?
t "check: a bound token without require_pop: exit 0, 'proof: required (jkt ...)' all the same" sh -c "[ $rc -eq 0 ] && grep -q '^proof: required (jkt [A-Za-z0-9_-]\{43\}, aud one of ssh://$h local://$h)\$' '$dir/out'"
odd=$(pj mint --key "$dir/ec256.key" --sub "$me" --claim 'cnf={"x5t#S256":"abc"}')
check "$odd" "$dir/p0.conf" "$me"; rc=$?
t "check: a cnf this module cannot check (x5t#S256), no require_pop: refused" sh -c "[ $rc -eq 1 ] && grep -q 'bound (cnf) by a method this module cannot check' '$dir/out'"
pj --version > "$dir/out"
t "--version lists the verified algorithms" grep -q "^verifies: .*ES256" "$dir/out"
t "--version: mint signs with OpenSSL EVP, not libjwt" sh -c "grep -q '^mint signs: .*EdDSA.*(OpenSSL EVP)' '$dir/out' && ! grep -qi libjwt '$dir/out'"
pj mint --key "$dir/ec256.key" --alg RS256 --sub x >/dev/null 2>&1; rc=$?
t "mint refuses an algorithm that does not fit the key" [ $rc -eq 2 ]
# check's "problem:" line names the config problem whole, however long
long=$(printf 'a%.0s' $(seq 200)); long="$dir/$long/$long/$long/k.pub"
printf 'key_file = %s\nallowed_subjects = *\n' "$long" > "$dir/long.conf"; chmod 644 "$dir/long.conf"
check "x.y.z" "$dir/long.conf"; rc=$?
t "check: a 600-character key_file path: problem line not cut" sh -c "[ $rc -eq 2 ] && grep -qF 'problem: key_file $long: cannot open: No such file or directory' '$dir/out'"
# mint reads its key as every private file is read (safefile): owner, mode, no link
mkdir "$dir/mk"; cp "$dir/ec256.key" "$dir/mk/k.pem"; chmod 600 "$dir/mk/k.pem"
tok=$(cd "$dir/mk" && pj mint --key k.pem --sub "$me" 2>"$dir/err"); rc=$?
t "mint: a 0600 key by a relative path: signed" sh -c "[ $rc -eq 0 ] && [ -n '$tok' ]"
for mode in 640 604; do
  chmod $mode "$dir/mk/k.pem"
  tok=$(pj mint --key "$dir/mk/k.pem" --sub "$me" 2>"$dir/err"); rc=$?
  t "mint: a key readable by group or others ($mode): signed, with a warning" sh -c "[ $rc -eq 0 ] && [ -n '$tok' ] && grep -q 'warning: --key .* is readable by group or others' '$dir/err'"
done
chmod 620 "$dir/mk/k.pem"
pj mint --key "$dir/mk/k.pem" --sub "$me" >/dev/null 2>"$dir/err"; rc=$?
t "mint: a group-writable key: refused (exit 2)" sh -c "[ $rc -eq 2 ] && grep -q 'writable by group or others' '$dir/err'"
chmod 600 "$dir/mk/k.pem"; ln -s k.pem "$dir/mk/link.pem"
pj mint --key "$dir/mk/link.pem" --sub "$me" >/dev/null 2>"$dir/err"; rc=$?
t "mint: a key that is a symbolic link: refused (exit 2)" sh -c "[ $rc -eq 2 ] && grep -q 'is a symbolic link' '$dir/err'"
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
  chown nobody "$dir/mk/k.pem"
  pj mint --key "$dir/mk/k.pem" --sub "$me" >/dev/null 2>"$dir/err"; rc=$?
  t "mint: a key owned by another user: refused (exit 2)" sh -c "[ $rc -eq 2 ] && grep -q 'unsafe owner' '$dir/err'"
else
  ok "mint: a key owned by another user # SKIP needs root and the user nobody"
fi
# ---- pamjwt roster sign | apply | sync (temporary userdb and state dirs) ----
rd=$dir/roster; mkdir -m 755 "$rd" "$rd/udb" "$rd/st"
printf 'issuer = https://idp.example/\nkey_file = %s\nroster = yes\nroster_key_file = %s\nroster_state_dir = %s\n' \
  "$dir/ec256.pub" "$dir/ec256.pub" "$rd/st" > "$rd/c.conf"; chmod 644 "$rd/c.conf"
cat > "$rd/r1.json" <<JSON
{"serial": 1, "users": [{"name": "pjwt-cli-u", "uid": 299971, "iss": "https://idp.example/", "sub": "s1", "groups": ["pjwt-cli-g"]}],
 "groups": [{"name": "pjwt-cli-g", "gid": 299972}]}
JSON
pj roster sign --key "$dir/ec256.key" "$rd/r1.json" > "$rd/r1.jws" 2>"$dir/err"; rc=$?
t "roster sign: exit 0, a compact JWS of typ pamjwt-roster+jwt" sh -c "[ $rc -eq 0 ] && cut -d. -f1 '$rd/r1.jws' | tr '_-' '/+' | base64 -d 2>/dev/null | grep -q 'pamjwt-roster+jwt'"
sed 's/"uid": 299971/"uid": 0/' "$rd/r1.json" > "$rd/bad.json"
pj roster sign --key "$dir/ec256.key" "$rd/bad.json" > /dev/null 2>"$dir/err"; rc=$?
t "roster sign: a roster with uid 0 is not signed (exit 1)" sh -c "[ $rc -eq 1 ] && grep -q 'uid' '$dir/err'"
pj roster sign --key "$dir/hmac" "$rd/r1.json" > /dev/null 2>"$dir/err"; rc=$?
t "roster sign: an HMAC secret is not a signing key (exit 1)" [ $rc -eq 1 ]
apply() { pj roster apply --config "$rd/c.conf" --userdb-dir "$rd/udb" --state-dir "$rd/st" "$@" >"$dir/out" 2>"$dir/err"; }
apply "$rd/r1.jws"; rc=$?
t "roster apply: exit 0, prints what it added" sh -c "[ $rc -eq 0 ] && grep -q 'added user pjwt-cli-u (uid 299971)' '$dir/out' && grep -q 'added group pjwt-cli-g' '$dir/out'"
t "roster apply: NAME.user, UID.user link, membership" sh -c "grep -q '\"userName\": \"pjwt-cli-u\"' '$rd/udb/pjwt-cli-u.user' && [ \"\$(readlink '$rd/udb/299971.user')\" = pjwt-cli-u.user ] && [ -s '$rd/udb/pjwt-cli-u:pjwt-cli-g.membership' ]"
before=$(cd "$rd" && find . -type f -o -type l | sort | xargs sha256sum 2>/dev/null)
apply - < "$rd/r1.jws"; rc=$?
t "roster apply - (stdin), the same serial again: refused (exit 1), nothing changed" sh -c "[ $rc -eq 1 ] && grep -q 'no rollback' '$dir/err' && [ \"\$(cd '$rd' && find . -type f -o -type l | sort | xargs sha256sum 2>/dev/null)\" = '$before' ]"
pj mint --key "$dir/ec256.key" --iss https://idp.example/ --sub s1 --ttl 60 > "$rd/tok"
pj check --config "$rd/c.conf" < "$rd/tok" > "$dir/out" 2>&1
t "check: the roster user's iss and sub map to pjwt-cli-u (roster = yes)" grep -q 'pjwt-cli-u' "$dir/out"
# sync: the roster from a local HTTP server (http only to 127.0.0.1, as pamjwt login)
sed 's/"serial": 1/"serial": 2/' "$rd/r1.json" > "$rd/r2.json"
mkdir -m 755 "$rd/www"
pj roster sign --key "$dir/ec256.key" "$rd/r2.json" > "$rd/www/roster.jws"
if [ -x /usr/bin/python3 ]; then
  /usr/bin/python3 -c 'import http.server, socketserver, sys, os
os.chdir(sys.argv[1])
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass
s = socketserver.TCPServer(("127.0.0.1", 0), H)
open(sys.argv[2], "w").write(str(s.server_address[1]))
s.serve_forever()' "$rd/www" "$rd/port" & srv=$!
  for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s "$rd/port" ] && break; sleep 0.2; done
  pj roster sync --config "$rd/c.conf" --userdb-dir "$rd/udb" --state-dir "$rd/st" \
    "http://127.0.0.1:$(cat "$rd/port")/roster.jws" >"$dir/out" 2>"$dir/err"; rc=$?
  t "roster sync: fetched over HTTP and applied (serial 2)" sh -c "[ $rc -eq 0 ] && grep -q '\"serial\":2' '$rd/st/state.json'"
  # the timer runs it again with nothing new: unchanged, not a failure
  pj roster sync --config "$rd/c.conf" --userdb-dir "$rd/udb" --state-dir "$rd/st" \
    "http://127.0.0.1:$(cat "$rd/port")/roster.jws" >"$dir/out" 2>"$dir/err"; rc=$?
  t "roster sync: the same roster again: unchanged, exit 0 (the timer's unit does not fail)" \
    sh -c "[ $rc -eq 0 ] && grep -q 'roster unchanged: serial 2 is the one applied last' '$dir/out'"
  kill "$srv" 2>/dev/null; wait "$srv" 2>/dev/null
  # apply (by hand) still refuses the same serial: no rollback, no replay
  pj roster apply --config "$rd/c.conf" --userdb-dir "$rd/udb" --state-dir "$rd/st" \
    "$rd/www/roster.jws" >"$dir/out" 2>"$dir/err"; rc=$?
  t "roster apply: the serial applied last is refused (exit 1)" sh -c "[ $rc -eq 1 ] && grep -q 'no rollback' '$dir/err'"
else
  ok "roster sync # SKIP needs /usr/bin/python3"
fi
pj roster sync --config "$rd/c.conf" --userdb-dir "$rd/udb" --state-dir "$rd/st" http://example.com/r >/dev/null 2>"$dir/err"; rc=$?
t "roster sync: a plain http URL to another host is refused (exit 2)" [ $rc -eq 2 ]
echo "1..$n"
[ "$failed" -eq 0 ]
