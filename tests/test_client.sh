#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The client side of pamjwt: login (discovery, device grant, DPoP) against a
# stub provider on 127.0.0.1, then token, askpass (whole, in pieces, proofs
# of possession, other prompts) and mint --holder-key.  TAP output.
set -u
n=0; failed=0
ok()  { n=$((n+1)); echo "ok $n - $*"; }
nok() { n=$((n+1)); failed=$((failed+1)); echo "not ok $n - $*"; }
t() { name=$1; shift; if "$@"; then ok "$name"; else nok "$name"; fi; }
# tt NAME 'EXPRESSION': a compound condition (&&), evaluated as a whole
tt() { if eval "$2"; then ok "$1"; else nok "$1"; fi; }
PAMJWT=${top_builddir:-.}/pamjwt
STUB=${top_srcdir:-.}/tests/client_stub.py
PY=/usr/bin/python3
if ! "$PY" -c 'import jwt, cryptography' 2>/dev/null; then
  echo "1..0 # SKIP needs /usr/bin/python3 with python3-jwt and python3-cryptography"
  exit 0
fi
pj() { ${TEST_WRAPPER:-} "$PAMJWT" "$@"; }
dir=$(mktemp -d /tmp/pamjwt-client.XXXXXX)
pids=""
cleanup() { for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$dir"; }
trap cleanup EXIT
# loopback only, whatever the environment says
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
unset PAMJWT_HOLDER_KEY PAMJWT_PROMPT PAMJWT_CHUNK PAMJWT_ASKPASS_FALLBACK
export XDG_RUNTIME_DIR="$dir/run"
mkdir -m 700 "$dir/run"
store=$XDG_RUNTIME_DIR/pamjwt
export XDG_CONFIG_HOME="$dir/config"
targets=$XDG_CONFIG_HOME/pamjwt/targets
host=$(hostname)
# put_token TOKEN: the one stored token (any other removed), as a user
# would put one there by hand
put_token() { rm -f "$store"/token "$store"/token.*; printf '%s' "$1" > "$store/token"; chmod 600 "$store/token"; }

# start_stub NAME [CERT KEY]: a stub provider; its URL in $url
start_stub() {
  mkdir -p "$dir/$1"
  "$PY" "$STUB" serve "$dir/$1" ${2:-} ${3:-} 2>"$dir/$1/log" &
  pids="$pids $!"
  i=0; while [ ! -s "$dir/$1/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
  url="$4://127.0.0.1:$(cat "$dir/$1/port")"
}
mode() { echo "$2" > "$dir/$1/mode"; }
login() { pj login --client-id pamjwt-test "$@" 2>"$dir/err"; }

start_stub http "" "" http; http=$url
mode http full

# ---- login: discovery, device grant, polling, DPoP with a nonce
login --issuer "$http" --scope "openid ssh" --resource ssh://host; rc=$?
t "login: exit 0 (pending, pending, slow_down, then a token)" [ $rc -eq 0 ]
t "login: shows the complete verification URL" grep -qF "$http/verify?user_code=WDJB-MJHT" "$dir/err"
t "login: shows the user code" grep -q "WDJB-MJHT" "$dir/err"
t "login: the address on a line of its own, under the instruction" grep -qx "  $http/verify?user_code=WDJB-MJHT" "$dir/err"
t "login: no escaped line break in the instructions" eval '! grep -qF "\\x0a" "$dir/err"'
"$PY" "$STUB" check-login "$dir/http" > "$dir/check"; rc=$?
cat "$dir/check"
t "login: waits the interval, +5 s after slow_down, retries at once with the nonce; every DPoP proof verifies (ES256, htm POST, htu, fresh jti, nonce)" [ $rc -eq 0 ]
t "login: scope and resource sent" "$PY" -c "import json,sys; s=json.load(open('$dir/http/state.json')); sys.exit(not (s['scope']=='openid ssh' and s['resource']=='ssh://host'))"
issued=$("$PY" -c "import json; print(json.load(open('$dir/http/state.json'))['token'])")
t "login: directory 0700" [ "$(stat -c %a "$store")" = 700 ]
tokfile=$(ls "$store"/token.* 2>/dev/null | head -n 1)
tt "login: one token file, token.KEY (per issuer and resource)" '[ "$(ls "$store" | grep -c "^token\.")" -eq 1 ] && case ${tokfile##*/} in token.??????????????????????) true ;; *) false ;; esac'
tt "login: the latest token also in token, the contract's file" 'cmp -s "$store/token" "$tokfile"'
t "login: token file 0600" [ "$(stat -c %a "$tokfile")" = 600 ]
t "login: holder key 0600" [ "$(stat -c %a "$store/holder.pem")" = 600 ]
t "login: holder key is EC P-256" sh -c "openssl pkey -in '$store/holder.pem' -noout -text 2>/dev/null | grep -q 'NIST CURVE: P-256'"
tt "login: the file holds the token alone" '[ "$(cat "$tokfile")" = "$issued" ] && [ "$(wc -l < "$tokfile")" -eq 0 ]'
jkt=$("$PY" "$STUB" jkt-of-pem "$store/holder.pem")
t "login: token bound to the holder key (cnf.jkt)" [ "$("$PY" "$STUB" claim "$issued" cnf.jkt)" = "$jkt" ]
t "login: no stale temporary files" [ "$(ls -A "$store" | grep -c '^\.')" -eq 0 ]

# ---- token
out=$(pj token 2>"$dir/err"); rc=$?
tt "token: prints the stored token" '[ $rc -eq 0 ] && [ "$out" = "$issued" ]'
put_token "$issued
"
out=$(pj token 2>/dev/null)
t "token: a trailing newline is ignored" [ "$out" = "$issued" ]

# ---- askpass: the token, whole and in pieces
# (until "what it gives to whom" below, the user lists every target, so
# these tests are about pieces and proofs, not about the release rule)
mkdir -p "$XDG_CONFIG_HOME/pamjwt"
printf '*\n' > "$targets"; chmod 600 "$targets"
out=$(PAMJWT_CHUNK=4096 pj askpass 'Token: '); rc=$?
tt "askpass 'Token: ': the whole token when it fits PAMJWT_CHUNK" '[ $rc -eq 0 ] && [ "$out" = "$issued" ]'
# reassemble LIMIT PROMPT [ENV...]: answer the prompt and every continuation
# prompt like the module; $got is the object, $pieces the number of answers
reassemble() {
  limit=$1; prompt=$2
  pre=""; case $prompt in "("*") "*) pre="${prompt%%) *}) " ;; esac
  ans=$(PAMJWT_CHUNK=$limit pj askpass "$prompt"; echo x); ans=${ans%?}
  pieces=1; too_long=0
  [ ${#ans} -le $((limit + 1)) ] || too_long=1
  case $ans in pamjwt-chunked:*) ;; *) got=${ans%
}; return ;; esac
  rest=${ans#pamjwt-chunked:}; len=${rest%%:*}; got=${rest#*:}; got=${got%
}
  while [ ${#got} -lt "$len" ] && [ $pieces -le 65 ]; do
    ans=$(PAMJWT_CHUNK=$limit pj askpass "${pre}pamjwt-continue ${#got}/$len: "; echo x); ans=${ans%?}
    [ ${#ans} -le $((limit + 1)) ] || too_long=1
    piece=${ans%
}
    [ -n "$piece" ] || break
    got=$got$piece; pieces=$((pieces+1))
  done
}
tl=${#issued}
reassemble 500 'Token: '
tt "askpass: a $tl-byte token in $pieces answers of at most 500 bytes (the default)" '[ "$got" = "$issued" ] && [ $pieces -gt 1 ] && [ $too_long -eq 0 ]'
t "askpass: the kept piece state is gone after the last piece" [ "$(ls "$store" | grep -c askpass-state)" -eq 0 ]
reassemble 100 '(alice@host) Token: '
tt "askpass: PAMJWT_CHUNK=100 and ssh's '(user@host) ' prefix: $pieces answers, reassembled" '[ "$got" = "$issued" ] && [ $too_long -eq 0 ]'
t "askpass: PAMJWT_CHUNK=100: every answer at most 100 bytes" [ $too_long -eq 0 ]
out=$(PAMJWT_CHUNK=4096 pj askpass 'Token:')
t "askpass 'Token:' (no trailing space) is the token prompt too" [ "$out" = "$issued" ]
out=$(PAMJWT_CHUNK=4096 PAMJWT_PROMPT='JWT token: ' pj askpass 'JWT token: ')
t "askpass: PAMJWT_PROMPT names the token prompt" [ "$out" = "$issued" ]
out=$(PAMJWT_CHUNK=100 pj askpass 'Token: ')
len=${out#pamjwt-chunked:}; len=${len%%:*}
out=$(PAMJWT_CHUNK=100 pj askpass "pamjwt-continue 81/$((len + 1)): " 2>"$dir/err"); rc=$?
tt "askpass: a continuation whose LEN differs: exit 1, nothing printed" '[ $rc -eq 1 ] && [ -z "$out" ]'
out=$(PAMJWT_CHUNK=100 pj askpass "pamjwt-continue $len/$len: " 2>/dev/null); rc=$?
tt "askpass: a continuation past the end: exit 1, nothing printed" '[ $rc -eq 1 ] && [ -z "$out" ]'
rm -f "$store"/askpass-state.*
out=$(pj askpass "pamjwt-continue 81/$len: " 2>/dev/null); rc=$?
tt "askpass: a continuation with nothing being sent: exit 1, nothing printed" '[ $rc -eq 1 ] && [ -z "$out" ]'
out=$(PAMJWT_CHUNK=10 pj askpass 'Token: ' 2>/dev/null); rc=$?
tt "askpass: PAMJWT_CHUNK below 32: exit 1, nothing printed" '[ $rc -eq 1 ] && [ -z "$out" ]'

# ---- askpass: proof of possession with login's holder key
nonce=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(32))')
out=$(PAMJWT_CHUNK=4096 pj askpass "pamjwt-pop $nonce: "); rc=$?
t "askpass 'pamjwt-pop NONCE: ': exit 0" [ $rc -eq 0 ]
alg=$("$PY" "$STUB" verify-proof "$out" "$nonce" "$issued"); rc=$?
tt "proof: typ, ES256, jwk thumbprint = cnf.jkt, nonce, iat, ath, signature" '[ $rc -eq 0 ] && [ "$alg" = ES256 ]'
reassemble 200 "(alice@host) pamjwt-pop $nonce: "
alg=$("$PY" "$STUB" verify-proof "$got" "$nonce" "$issued")
tt "proof in $pieces answers of at most 200 bytes, reassembled, verifies" '[ "$alg" = ES256 ] && [ $pieces -gt 1 ] && [ $too_long -eq 0 ]'

# ---- mint --holder-key, and proofs with PAMJWT_HOLDER_KEY
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/issuer.key" 2>/dev/null
for spec in ES256:EC:ec_paramgen_curve:P-256 EdDSA:ED25519: RS256:RSA:rsa_keygen_bits:2048; do
  alg=${spec%%:*}; rest=${spec#*:}; kt=${rest%%:*}; opt=${rest#*:}
  openssl genpkey -algorithm "$kt" ${opt:+-pkeyopt "$opt"} -out "$dir/h-$alg.pem" 2>/dev/null
  chmod 600 "$dir/h-$alg.pem"
  tok=$(pj mint --key "$dir/issuer.key" --sub alice --holder-key "$dir/h-$alg.pem")
  want=$("$PY" "$STUB" jkt-of-pem "$dir/h-$alg.pem")
  t "mint --holder-key ($kt): cnf.jkt is the key's RFC 7638 thumbprint" [ "$("$PY" "$STUB" claim "$tok" cnf.jkt)" = "$want" ]
  put_token "$tok"
  proof=$(PAMJWT_CHUNK=4096 PAMJWT_HOLDER_KEY="$dir/h-$alg.pem" pj askpass "pamjwt-pop $nonce: ")
  got_alg=$("$PY" "$STUB" verify-proof "$proof" "$nonce" "$tok")
  t "askpass proof with PAMJWT_HOLDER_KEY ($kt): alg $alg, verifies against cnf.jkt" [ "$got_alg" = "$alg" ]
done
PAMJWT_HOLDER_KEY="$dir/h-RS256.pem"; export PAMJWT_HOLDER_KEY
reassemble 300 "pamjwt-pop $nonce: "
unset PAMJWT_HOLDER_KEY
got_alg=$("$PY" "$STUB" verify-proof "$got" "$nonce" "$tok")
tt "RSA proof in $pieces answers of at most 300 bytes, reassembled, verifies" '[ "$got_alg" = RS256 ] && [ $pieces -gt 1 ] && [ $too_long -eq 0 ]'
pj mint --key "$dir/issuer.key" --sub alice --holder-key "$dir/h-ES256.pem" --claim cnf=x >/dev/null 2>&1; rc=$?
t "mint: --holder-key with --claim cnf=...: refused (exit 2)" [ $rc -eq 2 ]
chmod 644 "$dir/h-ES256.pem"
pj mint --key "$dir/issuer.key" --sub alice --holder-key "$dir/h-ES256.pem" >/dev/null 2>&1; rc=$?
t "mint: a holder key readable by others: refused" [ $rc -eq 2 ]

# ---- expired or missing tokens: nothing printed
put_token "$(pj mint --key "$dir/issuer.key" --sub alice --claim exp=$(( $(date +%s) - 1 )))"
out=$(pj token 2>"$dir/err"); rc=$?
tt "token: expired: exit 1, nothing on stdout" '[ $rc -eq 1 ] && [ -z "$out" ]'
t "token: expired: says so on stderr" grep -q "expired" "$dir/err"
out=$(pj askpass 'Token: ' 2>/dev/null); rc=$?
tt "askpass 'Token: ' with an expired token: exit 1, nothing printed" '[ $rc -eq 1 ] && [ -z "$out" ]'
out=$(pj askpass "pamjwt-pop $nonce: " 2>/dev/null); rc=$?
tt "askpass proof with an expired token: exit 1, nothing printed" '[ $rc -eq 1 ] && [ -z "$out" ]'
put_token "$(pj mint --key "$dir/issuer.key" --sub alice --claim exp=$(( $(date +%s) + 60 )) --aud "local://$host")"
out=$(pj token 2>/dev/null); rc=$?
tt "token: exp a minute ahead: printed" '[ $rc -eq 0 ] && [ -n "$out" ]'
rm -f "$store/token"
out=$(pj token 2>"$dir/err"); rc=$?
tt "token: none stored: exit 1, says so" '[ $rc -eq 1 ] && [ -z "$out" ] && grep -q "no stored token" "$dir/err"'
put_token hunter2
out=$(pj token 2>/dev/null); rc=$?
tt "token: a stored file that is not a JWT: exit 1" '[ $rc -eq 1 ] && [ -z "$out" ]'

# ---- other prompts: the fallback program, or the terminal
cat > "$dir/fallback" <<'EOF'
#!/bin/sh
echo "fallback:$1"
exit ${FALLBACK_RC:-0}
EOF
chmod 755 "$dir/fallback"
out=$(PAMJWT_ASKPASS_FALLBACK="$dir/fallback" pj askpass 'Enter passphrase for key id_ed25519: '); rc=$?
tt "askpass: another prompt goes to PAMJWT_ASKPASS_FALLBACK, its output passed on" '[ $rc -eq 0 ] && [ "$out" = "fallback:Enter passphrase for key id_ed25519: " ]'
out=$(FALLBACK_RC=7 PAMJWT_ASKPASS_FALLBACK="$dir/fallback" pj askpass 'Password: '); rc=$?
tt "askpass: the fallback's exit status passed on (7)" '[ $rc -eq 7 ] && [ "$out" = "fallback:Password: " ]'
out=$(setsid -w "$PAMJWT" askpass 'Passphrase: ' </dev/null 2>/dev/null); rc=$?
tt "askpass: no fallback and no terminal: exit 1, nothing printed" '[ $rc -eq 1 ] && [ -z "$out" ]'
"$PY" "$STUB" tty "$PAMJWT" 'Passphrase: ' 'correct horse' > "$dir/tty"; rc=$?
cat "$dir/tty"
t "askpass: no fallback: reads the line from /dev/tty with echo off" [ $rc -eq 0 ]

# ---- the wrapper for SSH_ASKPASS
sed "s|'[^']*/pamjwt'|'$(cd "$(dirname "$PAMJWT")" && pwd)/pamjwt'|" "${top_builddir:-.}/pamjwt-askpass" > "$dir/wrapper"
chmod 755 "$dir/wrapper"
put_token "$issued"
out=$(PAMJWT_CHUNK=4096 "$dir/wrapper" 'Token: ')
t "pamjwt-askpass runs pamjwt askpass PROMPT" [ "$out" = "$issued" ]
t "pamjwt-askpass passes its arguments on" grep -qF 'askpass "$@"' "${top_builddir:-.}/pamjwt-askpass"

# ---- askpass: what it gives to whom (contract "What pamjwt askpass gives to whom")
# ask PROMPT [VAR=VALUE...]: askpass's answer in $out, its exit status in $rc, stderr in $dir/err
ask() { p=$1; shift; out=$(env PAMJWT_CHUNK=4096 "$@" ${TEST_WRAPPER:-} "$PAMJWT" askpass "$p" 2>"$dir/err"); rc=$?; }
# refused TARGET: nothing printed, exit non-zero, stderr names the target
# (a malformed prompt) or says it has no token and how to get one
refused() { [ $rc -ne 0 ] && [ -z "$out" ] && { grep -qF "refused $1" "$dir/err" || no_token_line "$1"; }; }
no_token_line() { grep -qF "askpass: no token for $1 (" "$dir/err" && grep -qF "get one with: pamjwt login --resource $1 " "$dir/err"; }
rm -f "$targets"
bearer=$(pj mint --key "$dir/issuer.key" --sub alice --aud ssh://good.example)
put_token "$bearer"
ask '(alice@good.example) Token: '
tt "bearer token, aud ssh://good.example: given to (alice@good.example)" '[ $rc -eq 0 ] && [ "$out" = "$bearer" ]'
ask '(alice@evil.example) Token: '
tt "bearer token: refused to ssh://evil.example (its aud names another target): nothing printed, exit 1, 'no token for ssh://evil.example' and the pamjwt login --resource line" '[ $rc -eq 1 ] && [ -z "$out" ] && no_token_line ssh://evil.example'
cat "$dir/err" | sed 's/^/# /'
ask 'Token: '
tt "bearer token: refused to a local prompt (local://$host), with the line for it" '[ $rc -eq 1 ] && [ -z "$out" ] && no_token_line "local://$host"'
ask '(alice@GOOD.EXAMPLE.) Token: '
tt "bearer token, aud ssh://good.example: given to (alice@GOOD.EXAMPLE.), compared as pop_audience is" '[ $rc -eq 0 ] && [ "$out" = "$bearer" ]'
ask '(alice@good.example) pamjwt-pop '"$nonce"'x: '
tt "a malformed proof prompt (44-character nonce): refused the same way, nothing printed" '[ $rc -eq 1 ] && [ -z "$out" ] && refused ssh://good.example' 
ask '(alice@good.example) Token (empty to sign in with a browser): '
tt "the module's prompt where it offers device sign-in is a token prompt too" '[ $rc -eq 0 ] && [ "$out" = "$bearer" ]'
ask '(alice@corp.example@good.example) Token: '
tt "a user name with '@': the host is what follows the LAST '@' (ssh://good.example)" '[ $rc -eq 0 ] && [ "$out" = "$bearer" ]'
ask '(alice@evil.example) (alice@good.example) Token: '
tt "only the first prefix counts: a second '(USER@HOST) ' is refused as malformed" 'refused ssh://evil.example && grep -q "two" "$dir/err"'
# OpenSSH's password method puts no "(USER@HOST) " prefix before its prompt
# "USER@HOST's password: ": with PAMJWT_PROMPT=password: (prompt=password:
# on the hosts) that prompt comes from a server, not from this machine
local_tok=$(pj mint --key "$dir/issuer.key" --sub alice --aud "local://$host")
put_token "$local_tok"
ask "alice@evil.example's password: " PAMJWT_PROMPT=password:
tt "ssh's password method prompt (alice@evil.example's password: ), PAMJWT_PROMPT=password:: a local://$host token is refused to ssh://evil.example" '[ $rc -eq 1 ] && [ -z "$out" ] && no_token_line ssh://evil.example'
# a server may answer the password method with a change request: the
# client then asks "Enter USER@HOST's old password: ", "... new password: "
ask "Enter alice@evil.example's old password: " PAMJWT_PROMPT=password:
tt "... and its password change prompt (Enter alice@evil.example's old password: ): refused to ssh://evil.example" '[ $rc -eq 1 ] && [ -z "$out" ] && no_token_line ssh://evil.example'
ask "Retype alice@evil.example's new password: " PAMJWT_PROMPT=password:
tt "... (Retype alice@evil.example's new password: ): refused to ssh://evil.example" '[ $rc -eq 1 ] && [ -z "$out" ] && no_token_line ssh://evil.example'
# an OpenSSH client older than 8.4 puts no prefix before a server's
# keyboard-interactive prompt: run by ssh, a prompt without one is no local prompt
cp "$(command -v sh)" "$dir/ssh"
out=$("$dir/ssh" -c '"$0" askpass "Token: "; exit $?' "$PAMJWT" 2>"$dir/err"); rc=$?
tt "run by ssh (an old client, no prefix), 'Token: ': the local://$host token is not given, exit 1, says why" '[ $rc -eq 1 ] && [ -z "$out" ] && grep -q "older than 8.4" "$dir/err"'
out=$("$dir/ssh" -c '"$0" askpass "(alice@evil.example) Token: "; exit $?' "$PAMJWT" 2>"$dir/err"); rc=$?
tt "run by ssh with the prefix: decided for ssh://evil.example as before (the no-token line)" '[ $rc -eq 1 ] && [ -z "$out" ] && no_token_line ssh://evil.example'
out=$(sh -c '"$0" askpass "Token: "; exit $?' "$PAMJWT" 2>"$dir/err"); rc=$?
tt "run by another program (sudo), 'Token: ': the local://$host token is given" '[ $rc -eq 0 ] && [ "$out" = "$local_tok" ]'
put_token "$bearer"
ask "alice@good.example's password: " PAMJWT_PROMPT=password:
tt "... and the token whose aud names ssh://good.example is given to alice@good.example's password prompt" '[ $rc -eq 0 ] && [ "$out" = "$bearer" ]'
ask "alice@good/x's password: " PAMJWT_PROMPT=password:
tt "... a host that is not a host name there: refused as malformed" 'refused "?" && grep -q "not a host name" "$dir/err"'
ask "$(printf '(alice@good.example) \033[1K\rToken: ')"
tt "control characters in the prompt: refused, escaped on stderr" 'refused ssh://good.example && grep -q "control characters" "$dir/err" && ! grep -q "$(printf "\033")" "$dir/err"'
ask '(alice@good/../x) Token: '
tt "a prefix whose host is not a host name: refused" '[ $rc -ne 0 ] && [ -z "$out" ] && grep -q "not a host name" "$dir/err"'
put_token "$(pj mint --key "$dir/issuer.key" --sub alice --claim 'aud=["x","ssh://good.example"]')"
ask '(alice@good.example) Token: '
tt "bearer token, aud an array naming the target: given" '[ $rc -eq 0 ] && [ -n "$out" ]'
put_token "$bearer"
mkdir -p "$XDG_CONFIG_HOME/pamjwt"
printf '# hosts that may have my bearer tokens\n  ssh://*.corp.example  # all of corp\n\nlocal://%s\n' "$host" > "$targets"
chmod 644 "$targets"
ask '(alice@db1.corp.example) Token: '
tt "bearer token: given to a target a glob of the targets file matches (ssh://*.corp.example)" '[ $rc -eq 0 ] && [ "$out" = "$bearer" ]'
ask 'Token: '
tt "bearer token: given to local://$host, listed in the targets file" '[ $rc -eq 0 ] && [ "$out" = "$bearer" ]'
ask '(alice@corp.example.evil.example) Token: '
tt "bearer token: still refused to a target no glob matches" 'refused ssh://corp.example.evil.example'
chmod 664 "$targets"
ask '(alice@db1.corp.example) Token: '
tt "a group-writable targets file is ignored (with a message): refused" 'refused ssh://db1.corp.example && grep -q "writable by group" "$dir/err"'
chmod 644 "$targets"; mv "$targets" "$targets.real"; ln -s "$targets.real" "$targets"
ask '(alice@db1.corp.example) Token: '
tt "a targets file that is a symbolic link is ignored: refused" 'refused ssh://db1.corp.example'
rm -f "$targets"; mv "$targets.real" "$targets"
chmod 600 "$dir/h-ES256.pem"
bound=$(pj mint --key "$dir/issuer.key" --sub alice --aud ssh://good.example --holder-key "$dir/h-ES256.pem")
put_token "$bound"
ask '(alice@anything.example) Token: '
tt "bound token (cnf.jkt), aud ssh://good.example: refused to ssh://anything.example (an older module would take it as a bearer token)" '[ $rc -eq 1 ] && [ -z "$out" ] && no_token_line ssh://anything.example'
ask '(alice@good.example) Token: '
tt "bound token: given to ssh://good.example, which its aud names" '[ $rc -eq 0 ] && [ "$out" = "$bound" ]'
ask "(alice@relay.example) pamjwt-pop $nonce: " PAMJWT_HOLDER_KEY="$dir/h-ES256.pem"
tt "a proof prompt from ssh://relay.example, which the bound token's aud does not name: nothing signed, the no-token line" '[ $rc -eq 1 ] && [ -z "$out" ] && no_token_line ssh://relay.example'
ask "(alice@good.example) pamjwt-pop $nonce: " PAMJWT_HOLDER_KEY="$dir/h-ES256.pem"
tt "proof for '(alice@good.example) pamjwt-pop N: ' has aud ssh://good.example" '[ $rc -eq 0 ] && "$PY" "$STUB" verify-proof "$out" "$nonce" "$bound" ssh://good.example'
ask "pamjwt-pop $nonce: " PAMJWT_HOLDER_KEY="$dir/h-ES256.pem"
tt "proof for a local prompt has aud local://$host" '[ $rc -eq 0 ] && "$PY" "$STUB" verify-proof "$out" "$nonce" "$bound" "local://$host"'
ask "(alice@good.example) pamjwt-pop ${nonce%?}: " PAMJWT_HOLDER_KEY="$dir/h-ES256.pem"
tt "a nonce of 42 characters: refused" 'refused ssh://good.example && grep -q "43 base64url" "$dir/err"'
ask "(alice@good.example) pamjwt-pop ${nonce}A: " PAMJWT_HOLDER_KEY="$dir/h-ES256.pem"
tt "a nonce of 44 characters: refused" 'refused ssh://good.example'
ask "(alice@good.example) pamjwt-pop ${nonce%??}+/: " PAMJWT_HOLDER_KEY="$dir/h-ES256.pem"
tt "a nonce that is not base64url: refused" 'refused ssh://good.example'
ask "(alice@good.example) pamjwt-pop $nonce: " PAMJWT_HOLDER_KEY="$dir/nonexistent.pem"
tt "proof prompt, holder key missing: refused" '[ $rc -ne 0 ] && [ -z "$out" ]'
mv "$store/holder.pem" "$store/holder.pem.away"
ask "(alice@good.example) pamjwt-pop $nonce: "
tt "proof prompt without a holder key: refused, says so, with the pamjwt login line" 'refused ssh://good.example && grep -q "no holder key" "$dir/err" && no_token_line ssh://good.example'
mv "$store/holder.pem.away" "$store/holder.pem"
put_token "$bearer"
ask "(alice@good.example) pamjwt-pop $nonce: " PAMJWT_HOLDER_KEY="$dir/h-ES256.pem"
tt "proof prompt with only a bearer token: refused" 'refused ssh://good.example && grep -q "bound" "$dir/err"'

# pieces of two logins at once, to two hosts: each its own state
printf 'ssh://one.example\nssh://two.example\nssh://same.example\n' >> "$targets"
put_token "$bound"
export PAMJWT_HOLDER_KEY="$dir/h-ES256.pem"
nonce2=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(32))')
a1=$(PAMJWT_CHUNK=100 pj askpass "(alice@one.example) pamjwt-pop $nonce: ")
b1=$(PAMJWT_CHUNK=100 pj askpass "(alice@two.example) pamjwt-pop $nonce2: ")
finish() { # finish FIRST PREFIX: the rest of the object whose first answer was FIRST
  r=${1#pamjwt-chunked:}; l=${r%%:*}; g=${r#*:}; i=0
  while [ ${#g} -lt "$l" ] && [ $i -lt 70 ]; do
    p=$(PAMJWT_CHUNK=100 pj askpass "$2pamjwt-continue ${#g}/$l: " 2>/dev/null) || break
    g=$g$p; i=$((i+1))
  done
  echo "$g"
}
pa=$(finish "$a1" "(alice@one.example) ")
pb=$(finish "$b1" "(alice@two.example) ")
unset PAMJWT_HOLDER_KEY
tt "two logins at once (ssh://one.example, ssh://two.example): each reassembles its own proof" '"$PY" "$STUB" verify-proof "$pa" "$nonce" "$bound" ssh://one.example && "$PY" "$STUB" verify-proof "$pb" "$nonce2" "$bound" ssh://two.example'
# two logins at once to the SAME target, each from its own process (two
# ssh clients): each continuation gets the pieces of its own proof
cat > "$dir/two-logins.py" <<'PYEOF'
import os, subprocess, sys
pamjwt, n1, n2 = sys.argv[1:4]
pre = "(alice@same.example) "
def ask(p):
    return subprocess.run([pamjwt, "askpass", p], capture_output=True, text=True,
                          env=dict(os.environ, PAMJWT_CHUNK="100")).stdout.rstrip("\n")
def login(nonce, go, done, out):
    # one "ssh client": the first answer, wait for the other's, then the rest
    first = ask(pre + "pamjwt-pop %s: " % nonce)
    os.write(done, b"x"); os.read(go, 1)
    l, got = first[len("pamjwt-chunked:"):].split(":", 1)
    for _ in range(70):
        if len(got) >= int(l): break
        got += ask(pre + "pamjwt-continue %d/%s: " % (len(got), l))
    os.write(out, (got + "\n").encode())
a_go, b_done = os.pipe(); b_go, a_done = os.pipe(); ra, wa = os.pipe(); rb, wb = os.pipe()
pids = []
for args in ((n1, a_go, a_done, wa), (n2, b_go, b_done, wb)):
    pid = os.fork()
    if pid == 0:
        login(*args); os._exit(0)
    pids.append(pid)
for p in pids: os.waitpid(p, 0)
print(os.read(ra, 65536).decode().strip()); print(os.read(rb, 65536).decode().strip())
PYEOF
export PAMJWT_HOLDER_KEY="$dir/h-ES256.pem"
"$PY" "$dir/two-logins.py" "$PAMJWT" "$nonce" "$nonce2" > "$dir/two" 2>"$dir/two.err"
unset PAMJWT_HOLDER_KEY
pa=$(sed -n 1p "$dir/two"); pb=$(sed -n 2p "$dir/two")
tt "two logins at once to the same target (ssh://same.example), two processes: each reassembles its own proof" '"$PY" "$STUB" verify-proof "$pa" "$nonce" "$bound" ssh://same.example && "$PY" "$STUB" verify-proof "$pb" "$nonce2" "$bound" ssh://same.example'
t "... and leaves no state behind" [ "$(ls "$store" | grep -c askpass-state)" -eq 0 ]

# the choice: aud names the target first, then bound
b_other=$(pj mint --key "$dir/issuer.key" --sub alice --aud ssh://other.example --holder-key "$dir/h-ES256.pem")
b_named=$(pj mint --key "$dir/issuer.key" --sub alice --aud ssh://same.example)
rm -f "$store"/token "$store"/token.*
printf '%s' "$b_named" > "$store/token.aaaa"; printf '%s' "$b_other" > "$store/token.bbbb"; chmod 600 "$store"/token.*
touch -d '-1 min' "$store/token.aaaa"
ask '(alice@same.example) Token: '
tt "two tokens for a listed target: the (older, bearer) one whose aud names it before a (newer) bound one" '[ $rc -eq 0 ] && [ "$out" = "$b_named" ]'
b_listed=$(pj mint --key "$dir/issuer.key" --sub alice --aud ssh://x.example)
printf '%s' "$b_listed" > "$store/token.aaaa"; touch -d '-1 min' "$store/token.aaaa"
ask '(alice@same.example) Token: '
tt "two listed tokens, neither aud names the target: the (older) bound one before the (newer) bearer one" '[ $rc -eq 0 ] && [ "$out" = "$b_other" ]'
touch -d '-1 min' "$store/token.bbbb"; touch "$store/token.aaaa"
ask '(alice@same.example) Token: '
tt "... whichever is newer" '[ $rc -eq 0 ] && [ "$out" = "$b_other" ]'
put_token "$bound"

out=$(PAMJWT_CHUNK=100 pj askpass "(alice@three.example) pamjwt-continue 100/300: " 2>"$dir/err"); rc=$?
tt "a continuation for a target nothing is being sent to: refused" 'refused ssh://three.example'

# prompt matching: trailing white space ignored on both sides
ask '[sudo] password for alice: ' PAMJWT_PROMPT='password for alice:'
tt "PAMJWT_PROMPT='password for alice:' fits '[sudo] password for alice: '" '[ $rc -eq 0 ] && [ "$out" = "$bound" ]'
ask '[sudo] password for alice:' PAMJWT_PROMPT='password for alice:   '
tt "PAMJWT_PROMPT with trailing spaces fits the prompt without" '[ $rc -eq 0 ] && [ "$out" = "$bound" ]'
out=$(setsid -w "$PAMJWT" askpass 'Password: ' </dev/null 2>"$dir/err"); rc=$?
tt "no fallback, no terminal: says the prompt was not recognised" '[ $rc -ne 0 ] && grep -q "not recognised" "$dir/err"'

# one token per issuer and resource; askpass picks the one whose aud fits
rm -f "$store"/token "$store"/token.*
mode http bearer
login --issuer "$http" --resource ssh://one.example; rc1=$?
tok1=$(pj token 2>/dev/null)
login --issuer "$http" --resource ssh://two.example; rc2=$?
tok2=$(pj token 2>/dev/null)
tt "login twice, two resources: two token files" '[ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] && [ "$(ls "$store" | grep -c "^token\.")" -eq 2 ] && [ "$tok1" != "$tok2" ]'
out=$(pj token --issuer "$http" --resource ssh://one.example)
t "pamjwt token --issuer --resource: the first login's token" [ "$out" = "$tok1" ]
out=$(pj token)
t "pamjwt token: the newest" [ "$out" = "$tok2" ]
out=$(pj token --target ssh://one.example)
t "pamjwt token --target ssh://one.example: the token whose aud names it" [ "$out" = "$tok1" ]
ask '(alice@one.example) Token: '
tt "askpass to ssh://one.example: the token for resource ssh://one.example" '[ $rc -eq 0 ] && [ "$out" = "$tok1" ]'
ask '(alice@two.example) Token: '
tt "askpass to ssh://two.example: the token for resource ssh://two.example" '[ $rc -eq 0 ] && [ "$out" = "$tok2" ]'
out=$(pj token --issuer "$http" --resource ssh://three.example 2>"$dir/err"); rc=$?
tt "pamjwt token for a resource never logged in to: exit 1" '[ $rc -eq 1 ] && [ -z "$out" ]'

# text from the provider is escaped on stderr
mode http escape
login --issuer "$http"; rc=$?
tt "login: a right-to-left override (U+202E) in a URL from the provider reaches stderr escaped (\\xe2\\x80\\xae), never raw" '[ $rc -eq 1 ] && grep -qF "\\xe2\\x80\\xae" "$dir/err" && ! LC_ALL=C grep -q "$(printf "\342\200\256")" "$dir/err"'

# ---- login refusals
mode http issuer-mismatch
login --issuer "$http"; rc=$?
tt "login: discovery's issuer differs from --issuer: refused" '[ $rc -eq 1 ] && grep -q "issuer .* is not" "$dir/err"'
mode http bad-endpoint
login --issuer "$http"; rc=$?
tt "login: an http token endpoint off loopback: refused" '[ $rc -eq 1 ] && grep -q "token_endpoint http://example.com/token refused" "$dir/err"'
mode http no-device
login --issuer "$http"; rc=$?
tt "login: no device_authorization_endpoint: refused" '[ $rc -eq 1 ] && grep -q "device authorization grant" "$dir/err"'
mode http huge
login --issuer "$http"; rc=$?
tt "login: a discovery answer over 64 KiB: refused" '[ $rc -eq 1 ] && grep -q "longer than" "$dir/err"'
mode http huge-unannounced
login --issuer "$http"; rc=$?
tt "login: a discovery answer over 64 KiB without Content-Length: refused" '[ $rc -eq 1 ] && grep -q "longer than" "$dir/err"'
mode http redirect
login --issuer "$http"; rc=$?
tt "login: a redirect is not followed" '[ $rc -eq 1 ] && grep -q "HTTP 302" "$dir/err"'
for u in http://example.com http://127.0.0.1.example.com http://localhost@example.com/ \
         http://example.com/127.0.0.1 ftp://127.0.0.1/ 'https://user:pw@example.com' example.com; do
  login --issuer "$u"; rc=$?
  tt "login: --issuer $u refused without a request" '[ $rc -eq 1 ] && grep -q "refused" "$dir/err"'
done
mode http denied
login --issuer "$http"; rc=$?
tt "login: access_denied: exit 1" '[ $rc -eq 1 ] && grep -q "denied" "$dir/err"'
mode http expired
login --issuer "$http"; rc=$?
tt "login: expired_token: exit 1" '[ $rc -eq 1 ] && grep -q "expired" "$dir/err"'
mode http pending
s=$(date +%s)
login --issuer "$http"; rc=$?
e=$(( $(date +%s) - s ))
tt "login: never approved: gives up when expires_in (3 s) runs out (took ${e} s)" '[ $rc -eq 1 ] && [ $e -le 10 ] && grep -q "not approved in time" "$dir/err"'
mode http bearer
login --issuer "$http"; rc=$?
tt "login: an unbound token is stored, with a warning" '[ $rc -eq 0 ] && grep -q "not bound" "$dir/err"'
pj login --issuer "$http" >/dev/null 2>&1; rc=$?
t "login: without --client-id: usage, exit 2" [ $rc -eq 2 ]

# ---- https with a private CA
cat > "$dir/ext" <<EOF
subjectAltName=IP:127.0.0.1
basicConstraints=CA:FALSE
extendedKeyUsage=serverAuth
EOF
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/ca.key" \
  -out "$dir/ca.pem" -days 2 -subj /CN=pamjwt-test-ca -addext basicConstraints=critical,CA:TRUE \
  -addext keyUsage=keyCertSign 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/srv.key" \
  -out "$dir/srv.csr" -subj /CN=127.0.0.1 2>/dev/null
openssl x509 -req -in "$dir/srv.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
  -out "$dir/srv.pem" -days 2 -extfile "$dir/ext" 2>/dev/null
start_stub tls "$dir/srv.pem" "$dir/srv.key" https; https=$url
mode tls quick
rm -f "$store"/token*
login --issuer "$https" --ca-file "$dir/ca.pem"; rc=$?
tt "login over https with --ca-file: exit 0" '[ $rc -eq 0 ] && [ -n "$(ls "$store" | grep "^token\.")" ]'
login --issuer "$https"; rc=$?
t "login over https without the private CA: refused" [ $rc -eq 1 ]
login --issuer "$https" --ca-file "$dir/issuer.key"; rc=$?
t "login over https with a --ca-file that is not the CA: refused" [ $rc -eq 1 ]

# ---- pamjwt-device stops polling once its output is closed (the module
# that started it went away): bounded wait, no timing asserted
mode http forever
t "pamjwt-device: shows a code, polls, and stops once its output is closed" \
  "$PY" - "${top_builddir:-.}/pamjwt-device" "$http" <<'EOF'
import subprocess, sys, time
p = subprocess.Popen([sys.argv[1]], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env={})
p.stdin.write(("issuer %s\nclient_id pamjwt-test\nscope openid\ntimeout 60\n\n" % sys.argv[2]).encode())
p.stdin.close()
if not p.stdout.readline().startswith(b"show "):
    p.kill()
    sys.exit(2)
time.sleep(1.5)  # it polls (interval 1 s, always authorization_pending)
if p.poll() is not None:
    sys.exit(3)
p.stdout.close()
try:
    p.wait(timeout=10)
except subprocess.TimeoutExpired:
    p.kill()
    sys.exit(1)
EOF

# ---- the module stays free of the client
t "pam_jwt.so does not link libcurl" sh -c "! readelf -d '${top_builddir:-.}/.libs/pam_jwt.so' | grep -q libcurl"
t "pam_jwt.so has none of the client's code" sh -c "! nm '${top_builddir:-.}/.libs/pam_jwt.so' | grep -q 'pj_cli_\|pj_http_\|pj_store_'"

echo "1..$n"
[ "$failed" -eq 0 ]
