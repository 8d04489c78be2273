#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# End-to-end tests of pam_jwt with the real programs: OpenSSH's sshd
# (keyboard-interactive and password), sudo, and the example FastAPI token
# issuer in examples/fastapi-issuer.  TAP output; the transcript of every
# command and its answer is printed as "#" comment lines.
#
#   sudo tests/e2e/run.sh                       # module from ../../build
#   sudo E2E_BUILD_DIR=/tmp/be tests/e2e/run.sh
#   sudo E2E_INSTALLED=1 tests/e2e/run.sh        # the installed packages
#
# E2E_BUILD_DIR is a configured and built tree holding .libs/pam_jwt.so and
# pamjwt.  E2E_INSTALLED=1 tests the Debian packages instead (tests/deb.sh):
# the stacks name the module "pam_jwt.so", which libpam finds in its own
# module directory, and the tool is /usr/bin/pamjwt.  Must run as root (prints "1..0 # SKIP not root" otherwise).
# Debian 12 packages: openssh-server openssh-client sshpass sudo openssl
# passwd curl python3 python3-jwt python3-cryptography; for the issuer also
# python3-fastapi python3-uvicorn.
#
# What it changes while it runs, and undoes on exit, INT or TERM:
#   - test user pjwt-e2e-user (useradd -l -m; userdel -r), and the
#     /etc/{passwd,shadow,group,gshadow,subuid,subgid}- backups that
#     useradd and userdel rewrite;
#   - /etc/pam.d/pamjwt-e2e-sshd and /etc/pam.d/pamjwt-e2e-sudo, two PAM
#     services of its own (any file of that name is saved and put back);
#   - /etc/sudoers.d/pamjwt-e2e (points the test user's sudo at the service
#     above with "Defaults:pjwt-e2e-user pam_service=...");
#   - /run/sshd (created if missing), /run/sudo/ts/pjwt-e2e-user;
#   - processes: one sshd, one uvicorn, started here and killed by PID.
# /etc/pam.d/sshd, /etc/pam.d/sudo and /etc/ssh are never written: sshd runs
# from a symlink named pamjwt-e2e-sshd, and OpenSSH 9.2 takes its PAM
# service name from argv[0].  sshd appends a record to /var/log/btmp for
# each failed login: those records are taken back at the end when nothing
# else was logged there meanwhile.
set -u
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ in examples/fastapi-issuer

here=$(cd "$(dirname "$0")" && pwd)
# the environment (e2e_env), TAP and transcript helpers (ok, notok, check,
# tx, ...), stop_pid, drop_btmp_records, free_port, sshd, cleanup: shared
# with the other suites
. "$here/lib.sh"
e2e_env
U="pjwt-e2e-user"   # the test user, created and removed here
OTHER="pjwt-e2e-other" # a subject that is allowed but is not $U (no account)
GECOS="pam_jwt e2e test user"
SVC_SSHD="pamjwt-e2e-sshd"
SVC_SUDO="pamjwt-e2e-sudo"
SUDOERS=/etc/sudoers.d/pamjwt-e2e
MARK="# pamjwt-e2e: temporary file written by tests/e2e/run.sh; removed when it ends"
ISSUER="pamjwt-e2e-issuer"

skip_unless_ready "openssh-server openssh-client sshpass sudo openssl curl python3" \
    /usr/sbin/sshd ssh ssh-keygen sshpass sudo visudo runuser useradd userdel chpasswd \
    openssl curl timeout "$PY"
if ! "$PY" -c 'import jwt, cryptography' 2>/dev/null; then
    echo "1..0 # SKIP $PY lacks PyJWT (apt-get install python3-jwt python3-cryptography)"
    exit 0
fi
have_issuer=yes
"$PY" -c 'import fastapi, uvicorn' 2>/dev/null || have_issuer=

# ---- cleanup: everything below is undone here, whatever happens ----------

E2E_TAG=e2e
uvicorn_pid=
stop_services() {
    stop_pid "$uvicorn_pid"
    stop_pid "$sshd_pid"
}
cleanup_on_exit

# ---- setup ------------------------------------------------------------------

if [ -n "${E2E_INSTALLED:-}" ]; then
    pam_so=$(dpkg -L libpam-jwt 2>/dev/null | grep '/security/pam_jwt\.so$')
    pamjwt=/usr/bin/pamjwt
    pam_mod=pam_jwt.so # by name, as an administrator's stack names it
    [ -f "$pam_so" ] && [ -x "$pamjwt" ] ||
        bail "installed module and tool found" "libpam-jwt or pamjwt is not installed"
    case $pam_so in *[[:space:]]*) bail "module path has no white space (PAM cannot take it)" "$pam_so" ;; esac
else
    find_built # pam_so, pamjwt_built; cd /
    pamjwt=$pamjwt_built
    pam_mod=$pam_so
fi
diag "module: $pam_so" "tool: $pamjwt ($("$pamjwt" --version | head -n 1))"

e2e_tmpdir

# the test user, with a password for the pam_unix fallthrough cases
PASSWORD="e2e-pw-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
add_user "$U" "$PASSWORD"
ok "test user $U created (useradd -l -m, password set with chpasswd)"

# keys: the token signer (ES256, P-256) and a forger with a key of its own
tx "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out signer.pem" \
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/signer.pem"
tx "openssl pkey -in signer.pem -pubout -out signer.pub.pem" \
    openssl pkey -in "$tmp/signer.pem" -pubout -out "$tmp/signer.pub.pem"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/forger.pem" 2>/dev/null
chmod 0600 "$tmp/signer.pem" "$tmp/forger.pem"
chmod 0644 "$tmp/signer.pub.pem"
[ -s "$tmp/signer.pub.pem" ] && [ -s "$tmp/forger.pem" ] || bail "ES256 key pairs generated"

conf=$tmp/pam_jwt.conf
write_conf() { # write_conf [EXTRA LINE...]: replaced by rename, as the module wants
    {
        echo "key_file = $tmp/signer.pub.pem"
        echo "allowed_subjects = $U $OTHER"
        echo "audience = ssh"
        echo "algorithms = ES256"
        for l in "$@"; do echo "$l"; done
    } >"$conf.new" && chmod 0644 "$conf.new" && mv -f "$conf.new" "$conf"
}
write_conf
diag_file "$conf"

# check_token NAME WANT_EXIT WANT_REASON [--at T]: pamjwt check on NAME.jwt
check_token() {
    local name=$1 want=$2 reason=$3 at=
    shift 3
    [ $# -ge 2 ] && at="--at $2"
    tx "pamjwt check --config $conf --user $U ${at:+$at }< $name.jwt" \
        bash -c '"$0" check --config "$1" --user "$2" $4 < "$3"' \
        "$pamjwt" "$conf" "$U" "$tmp/$name.jwt" "$at"
    [ "$rc" = "$want" ] && has "$reason"
}

# tokens: valid, expired (PyJWT, independent of pamjwt mint), forged, another subject
tx "pamjwt mint --key signer.pem --sub $U --aud ssh --ttl 300 > valid.jwt" \
    bash -c '"$0" mint --key "$1" --sub "$2" --aud ssh --ttl 300 > "$3"' \
    "$pamjwt" "$tmp/signer.pem" "$U" "$tmp/valid.jwt"
now=$(date +%s)
tx "$PY -c 'jwt.encode({sub: $U, aud: ssh, iat: now-600, exp: now-300, jti}, signer.pem, ES256)' > expired.jwt" \
    "$PY" -c 'import secrets, sys, jwt
key = open(sys.argv[1], "rb").read()
claims = {"sub": sys.argv[2], "aud": "ssh", "iat": int(sys.argv[3]) - 600,
          "exp": int(sys.argv[3]) - 300, "jti": secrets.token_hex(16)}
open(sys.argv[4], "w").write(jwt.encode(claims, key, algorithm="ES256") + "\n")' \
    "$tmp/signer.pem" "$U" "$now" "$tmp/expired.jwt"
tx "pamjwt mint --key forger.pem --sub $U --aud ssh > forged.jwt" \
    bash -c '"$0" mint --key "$1" --sub "$2" --aud ssh > "$3"' \
    "$pamjwt" "$tmp/forger.pem" "$U" "$tmp/forged.jwt"
tx "pamjwt mint --key signer.pem --sub $OTHER --aud ssh > other.jwt" \
    bash -c '"$0" mint --key "$1" --sub "$2" --aud ssh > "$3"' \
    "$pamjwt" "$tmp/signer.pem" "$OTHER" "$tmp/other.jwt"
for t in valid expired forged other; do
    [ -s "$tmp/$t.jwt" ] || bail "tokens minted" "$t.jwt is missing"
    diag "$t.jwt: $(wc -c <"$tmp/$t.jwt") bytes"
done
printf '%s\n' "$PASSWORD" >"$tmp/password.jwt" # not a JWT: the fallthrough case
printf '%s\n' "wrong-$PASSWORD" >"$tmp/wrongpw.jwt"

check "pamjwt check accepts the valid token" check_token valid 0 "decision: accept"
check "pamjwt check refuses the expired token (exp in the past)" \
    check_token expired 1 "expired"
check "pamjwt check accepts the expired token --at a time it was valid (only exp is wrong)" \
    check_token expired 0 "decision: accept" --at $((now - 400))
check "pamjwt check refuses the forged token (bad signature)" \
    check_token forged 1 "bad signature"
check "pamjwt check refuses a token for $OTHER when the user is $U" \
    check_token other 1 "token is for user $OTHER, not $U"
check "pamjwt check ignores an ordinary password (next module decides)" \
    check_token password 1 "decision: ignore"

# ---- sshd -------------------------------------------------------------------

put_pam_stack "$SVC_SSHD" "$conf" "$pam_mod"
diag_file "/etc/pam.d/$SVC_SSHD"

start_sshd yes
port=$sport
ok "sshd (PAM service $SVC_SSHD) listens on 127.0.0.1:$port, pid $sshd_pid"
diag_file "$tmp/sshd_config"

# ssh_login METHOD SECRET_FILE: log in as $U, run a command; $out, $rc
ssh_login() {
    local method=$1 file=$2 pflag='' shown
    # keyboard-interactive shows pam_jwt's own prompt, "Token: "; with the
    # password method the client asks "password:" (sshpass's default match)
    # and sshd hands the answer to PAM's conversation
    [ "$method" = keyboard-interactive ] && pflag="-P Token:"
    shown="SSHPASS=\$(cat $(basename "$file")) sshpass -e ${pflag:+$pflag }ssh -F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o PreferredAuthentications=$method -o PubkeyAuthentication=no -o NumberOfPasswordPrompts=1 -p $port $U@127.0.0.1 'echo e2e-ok-\$(id -un)'"
    local before
    before=$(wc -l <"$tmp/sshd.log")
    SSHPASS=$(cat "$file") tx "$shown" timeout 30 sshpass -e $pflag \
        ssh -F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
        -o LogLevel=ERROR -o ConnectTimeout=10 -o ControlMaster=no -o ControlPath=none \
        -o PreferredAuthentications="$method" -o PubkeyAuthentication=no \
        -o GSSAPIAuthentication=no -o NumberOfPasswordPrompts=1 \
        -p "$port" "$U@127.0.0.1" 'echo e2e-ok-$(id -un)' </dev/null
    sleep 0.2 # let sshd write its log line
    tail -n +"$((before + 1))" "$tmp/sshd.log" |
        grep -E 'Accepted|Failed|Invalid|error|PAM|Disconnected|Connection closed' |
        mask | sed 's/^/#   sshd: /'
}
login_ok() { ssh_login "$@"; [ "$rc" = 0 ] && has "e2e-ok-$U"; }
# refused: ssh says so (sshpass: 5 = prompted again), no command ran, no timeout
login_refused() {
    ssh_login "$@"
    ! has "e2e-ok-" && { { [ "$rc" = 255 ] && has "Permission denied"; } || [ "$rc" = 5 ]; }
}

for m in keyboard-interactive password; do
    check "ssh ($m): a valid token logs in" login_ok "$m" "$tmp/valid.jwt"
    check "ssh ($m): an expired token is refused" login_refused "$m" "$tmp/expired.jwt"
    check "ssh ($m): a forged token (other key) is refused" login_refused "$m" "$tmp/forged.jwt"
    check "ssh ($m): a token for $OTHER is refused for $U" login_refused "$m" "$tmp/other.jwt"
    check "ssh ($m): the user's password logs in (pam_jwt ignores it, pam_unix accepts)" \
        login_ok "$m" "$tmp/password.jwt"
    check "ssh ($m): a wrong password is refused (by pam_unix)" \
        login_refused "$m" "$tmp/wrongpw.jwt"
done

# ---- sudo -------------------------------------------------------------------

put_pam_stack "$SVC_SUDO" "$conf" "$pam_mod"
diag_file "/etc/pam.d/$SVC_SUDO"
put_sudoers
ok "sudoers drop-in $SUDOERS valid (visudo -cf), sudo for $U uses PAM service $SVC_SUDO"

check "sudo: a valid token works (id -un says root)" sudo_ok "$tmp/valid.jwt"
check "sudo: an expired token is refused" sudo_refused "$tmp/expired.jwt"
check "sudo: a forged token is refused" sudo_refused "$tmp/forged.jwt"
check "sudo: a token for $OTHER is refused for $U" sudo_refused "$tmp/other.jwt"
check "sudo: the user's password works (pam_unix fallthrough)" sudo_ok "$tmp/password.jwt"

# ---- what the person at the prompt is told ------------------------------------

# One line per refusal (PAM_ERROR_MSG): through the OpenSSH client
# (keyboard-interactive) and sudo.  sudo here reads a policy of its own,
# audience = local://%h (the target pamjwt askpass names for sudo), with a
# revoked jti, then gets the suite's stack back.
# told_ssh FILE: ssh_login's keyboard-interactive login at the client's
# default LogLevel (INFO): the OpenSSH client shows a keyboard-interactive
# message with logit(), which LogLevel=ERROR (and -q) hide.
told_ssh() {
    SSHPASS=$(cat "$1") tx "SSHPASS=\$(cat $(basename "$1")) sshpass -e -P Token: ssh -o PreferredAuthentications=keyboard-interactive -p $port $U@127.0.0.1 'echo e2e-ok-\$(id -un)'" \
        timeout 30 sshpass -e -P Token: \
        ssh -F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
        -o LogLevel=INFO -o ConnectTimeout=10 -o ControlMaster=no -o ControlPath=none \
        -o PreferredAuthentications=keyboard-interactive -o PubkeyAuthentication=no \
        -o GSSAPIAuthentication=no -o NumberOfPasswordPrompts=1 \
        -p "$port" "$U@127.0.0.1" 'echo e2e-ok-$(id -un)' </dev/null
    ! has "e2e-ok-" && has "Permission denied"
}
told_tests() {
    local host sconf=$tmp/pam_jwt-sudo.conf
    host=$(hostname)
    check "told: ssh (keyboard-interactive), expired token: 'Token expired at ...: get a new one.'" \
        eval 'told_ssh "$tmp/expired.jwt" && has "Token expired at " && has " UTC: get a new one."'
    check "told: ssh (keyboard-interactive), token for $OTHER: 'Token is for user $OTHER, not $U.'" \
        eval 'told_ssh "$tmp/other.jwt" && has "Token is for user $OTHER, not $U."'
    printf 'told-revoked-1\n' >"$tmp/revoked" && chmod 0644 "$tmp/revoked"
    {
        echo "key_file = $tmp/signer.pub.pem"
        echo "allowed_subjects = $U $OTHER"
        echo "audience = local://%h"
        echo "algorithms = ES256"
        echo "revoked_file = $tmp/revoked"
    } >"$sconf" && chmod 0644 "$sconf"
    "$pamjwt" mint --key "$tmp/signer.pem" --sub "$U" --aud "local://$host" >"$tmp/local.jwt"
    "$pamjwt" mint --key "$tmp/signer.pem" --sub "$OTHER" --aud "local://$host" >"$tmp/local-other.jwt"
    "$pamjwt" mint --key "$tmp/signer.pem" --sub "$U" --aud "local://$host" \
        --claim jti=told-revoked-1 >"$tmp/local-revoked.jwt"
    "$pamjwt" mint --key "$tmp/signer.pem" --sub "$U" --aud "ssh://$host" >"$tmp/ssh-host.jwt"
    put_pam_stack "$SVC_SUDO" "$sconf" "$pam_mod"
    diag_file "$sconf"
    check "told: sudo, a token for local://$host works" sudo_ok "$tmp/local.jwt"
    check "told: sudo, expired token: 'Token expired at ...: get a new one.'" \
        eval 'sudo_refused "$tmp/expired.jwt" && has "Token expired at " && has " UTC: get a new one."'
    check "told: sudo, token for $OTHER: 'Token is for user $OTHER, not $U.'" \
        eval 'sudo_refused "$tmp/local-other.jwt" && has "Token is for user $OTHER, not $U."'
    check "told: sudo, an ssh token pasted: 'Token is for ssh://$host, this host takes local://$host.'" \
        eval 'sudo_refused "$tmp/ssh-host.jwt" && has "Token is for ssh://$host, this host takes local://$host."'
    check "told: sudo, revoked token: 'Token was revoked.'" \
        eval 'sudo_refused "$tmp/local-revoked.jwt" && has "Token was revoked."'
    put_pam_stack "$SVC_SUDO" "$conf" "$pam_mod"
}
told_tests

# ---- the example FastAPI issuer ----------------------------------------------

issuer_tests() {
    local appdir="$top/examples/fastapi-issuer" port_i ready='' url issuer_pw tok
    mkdir -m 0700 "$tmp/issuer"
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
        -out "$tmp/issuer/key.pem" 2>/dev/null && chmod 0600 "$tmp/issuer/key.pem"
    issuer_pw="issuer-pw-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
    tx "printf '%s\\n' \"\$ISSUER_PASSWORD\" | $PY app.py set-password users.json $U" \
        bash -c 'printf "%s\n" "$3" | "$0" "$1/app.py" set-password "$2/issuer/users.json" "$4"' \
        "$PY" "$appdir" "$tmp" "$issuer_pw" "$U"
    [ "$rc" = 0 ] || { notok "issuer: users file written by app.py set-password"; return; }
    for _ in 1 2 3; do # a port taken meanwhile: try another
        port_i=$(free_port)
        url="http://127.0.0.1:$port_i"
        diag "\$ PAMJWT_ISSUER_KEY=key.pem PAMJWT_ISSUER_USERS=users.json PAMJWT_ISSUER_AUDIENCE=ssh PAMJWT_ISSUER_ISSUER=$ISSUER $PY -m uvicorn --app-dir $appdir app:app --host 127.0.0.1 --port $port_i &"
        PAMJWT_ISSUER_KEY="$tmp/issuer/key.pem" PAMJWT_ISSUER_USERS="$tmp/issuer/users.json" \
            PAMJWT_ISSUER_AUDIENCE=ssh PAMJWT_ISSUER_ISSUER="$ISSUER" \
            "$PY" -m uvicorn --app-dir "$appdir" app:app --host 127.0.0.1 --port "$port_i" \
            >"$tmp/uvicorn.log" 2>&1 </dev/null &
        uvicorn_pid=$!
        echo "$uvicorn_pid" >"$tmp/uvicorn.pid"
        for _ in $(seq 100); do # at most 20 s
            curl --noproxy '*' -fsS --max-time 2 -o "$tmp/issuer.jwks" "$url/jwks.json" 2>/dev/null &&
                { ready=1; break; }
            kill -0 "$uvicorn_pid" 2>/dev/null || break
            sleep 0.2
        done
        [ -n "$ready" ] && break
        stop_pid "$uvicorn_pid"
        uvicorn_pid=
        grep -q "address already in use" "$tmp/uvicorn.log" || break
    done
    if [ -z "$ready" ]; then
        notok "issuer: uvicorn answers on 127.0.0.1"
        diag "$(cat "$tmp/uvicorn.log")"
        return
    fi
    ok "issuer: uvicorn answers on 127.0.0.1:$port_i (pid $uvicorn_pid)"
    tx "curl -sS $url/jwks.json" cat "$tmp/issuer.jwks"
    chmod 0644 "$tmp/issuer.jwks"

    # what a host would use: the published JWKS, with issuer and audience checked
    cat >"$tmp/pam_jwt-jwks.conf" <<EOF
jwks_file = $tmp/issuer.jwks
issuer = $ISSUER
audience = ssh
allowed_subjects = $U
max_lifetime = 300
EOF
    chmod 0644 "$tmp/pam_jwt-jwks.conf"

    tx "curl -sS -u \"$U:\$ISSUER_PASSWORD\" -X POST $url/token" \
        curl --noproxy '*' -sS --max-time 20 -u "$U:$issuer_pw" -X POST "$url/token"
    tok=$(printf '%s' "$out" | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["access_token"])' 2>/dev/null)
    if [ "$rc" = 0 ] && [ -n "$tok" ]; then
        ok "issuer: POST /token with basic auth returns a token ($(printf '%s' "$tok" | wc -c) bytes)"
    else
        notok "issuer: POST /token with basic auth returns a token"
        return
    fi
    printf '%s\n' "$tok" >"$tmp/issued.jwt"
    tx "$PY -c 'decode header and claims' < issued.jwt" "$PY" -c 'import base64, json, sys
h, c, _ = open(sys.argv[1]).read().strip().split(".")
d = lambda s: json.loads(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))
h, c = d(h), d(c)
print(json.dumps(h, sort_keys=True)); print(json.dumps(c, sort_keys=True))
kid = json.load(open(sys.argv[2]))["keys"][0]["kid"]
assert h["alg"] == "ES256" and h["kid"] == kid, "header"
assert c["sub"] == sys.argv[3] and c["aud"] == "ssh" and c["iss"] == sys.argv[4], "claims"
assert c["exp"] - c["iat"] == 120 and len(c["jti"]) >= 16, "times/jti"
print("claims ok")' "$tmp/issued.jwt" "$tmp/issuer.jwks" "$U" "$ISSUER"
    check "issuer: token has alg ES256 and the JWKS kid, sub=$U aud=ssh iss=$ISSUER, jti, exp = iat + 120" \
        [ "$rc" = 0 ]

    tx "pamjwt check --config pam_jwt-jwks.conf --user $U < issued.jwt" \
        bash -c '"$0" check --config "$1" --user "$2" < "$3"' \
        "$pamjwt" "$tmp/pam_jwt-jwks.conf" "$U" "$tmp/issued.jwt"
    check "issuer: pamjwt check --user $U accepts the token with the published /jwks.json" \
        [ "$rc" = 0 ]

    tx "curl -sS --data-urlencode username=$U --data-urlencode password=\$ISSUER_PASSWORD $url/token" \
        curl --noproxy '*' -sS --max-time 20 --data-urlencode "username=$U" \
        --data-urlencode "password=$issuer_pw" "$url/token"
    printf '%s' "$out" | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["access_token"])' \
        >"$tmp/issued-form.jwt" 2>/dev/null
    tx "pamjwt check --config pam_jwt-jwks.conf --user $U < issued-form.jwt" \
        bash -c '"$0" check --config "$1" --user "$2" < "$3"' \
        "$pamjwt" "$tmp/pam_jwt-jwks.conf" "$U" "$tmp/issued-form.jwt"
    check "issuer: form fields username/password also give an accepted token" [ "$rc" = 0 ]

    tx "curl -sS -w '%{http_code}' -u \"$U:wrong-password\" -X POST $url/token" \
        curl --noproxy '*' -sS --max-time 20 -w '\n%{http_code}\n' -u "$U:wrong-password" \
        -X POST "$url/token"
    check "issuer: a wrong password gets HTTP 401 and no token" \
        eval '[ "$rc" = 0 ] && has "401" && ! has "access_token" && ! has "eyJ"'
    tx "curl -sS -w '%{http_code}' --data-urlencode username=nosuchuser --data-urlencode password=x $url/token" \
        curl --noproxy '*' -sS --max-time 20 -w '\n%{http_code}\n' \
        --data-urlencode username=nosuchuser --data-urlencode password=x "$url/token"
    check "issuer: an unknown user gets HTTP 401 and no token" \
        eval '[ "$rc" = 0 ] && has "401" && ! has "access_token"'

    # the host trusts the issuer: add its JWKS to the config (read at every
    # login, replaced by rename; no restart)
    write_conf "jwks_file = $tmp/issuer.jwks"
    diag_file "$conf"
    check "issuer: ssh (keyboard-interactive) with the issued token logs in" \
        login_ok keyboard-interactive "$tmp/issued.jwt"
    check "issuer: ssh (password) with the issued token logs in" \
        login_ok password "$tmp/issued-form.jwt"
    check "issuer: sudo with the issued token works (under sudo's 512-byte limit)" \
        sudo_ok "$tmp/issued.jwt"
}
if [ -n "$have_issuer" ]; then
    issuer_tests
else
    skip "issuer: FastAPI example" "$PY lacks fastapi/uvicorn (apt-get install python3-fastapi python3-uvicorn)"
fi

# ---- undo everything and check that it is undone -------------------------------

cleanup_and_check "$sshd_pid" "$uvicorn_pid"
[ -n "$btmp_size" ] && [ "$(stat -c %s /var/log/btmp)" != "$btmp_size" ] &&
    diag "note: /var/log/btmp holds records not made by this run; left as it is"
report_undone "processes stopped, $U removed, system files as before"

echo "1..$n"
[ "$failed" -eq 0 ]
