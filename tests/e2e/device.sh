#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# End-to-end test of device sign-in (pam_jwt.conf device_flow): a plain
# OpenSSH client and sudo, with nothing of pam_jwt on the client side, sign
# in through panva's oidc-provider (tests/e2e/oidc/provider.mjs) on
# 127.0.0.1 behind https with a test CA.  The user code the module shows is
# approved (or denied) on the provider's own pages by approve.mjs, over
# HTTP, as a person would in a browser.  TAP output; the transcript (what
# the ssh user saw, the helper in ps, the module's log lines) is printed as
# "#" comment lines.
#
#   sudo tests/e2e/device.sh                  # module from ../../build
#   sudo E2E_BUILD_DIR=/tmp/be tests/e2e/device.sh
#
# E2E_BUILD_DIR is a configured and built tree holding .libs/pam_jwt.so and
# pamjwt-device.  Must run as root.  Node.js 18 or later and npm (npm ci of
# tests/e2e/oidc/package-lock.json).  Debian 12 packages: nodejs npm
# openssh-server openssh-client sudo openssl curl jq python3 util-linux.
#
# It runs beside the other e2e scripts: its own users, PAM services,
# sudoers file, ports and temporary directory.  What it changes while it
# runs, and undoes on exit, INT or TERM:
#   - users pjwt-dev-user (the one who logs in) and pjwt-dev-helper (the
#     device_user the helper runs as), made with useradd, removed with
#     userdel -r, and the /etc/{passwd,...}- backups useradd rewrites;
#   - /etc/pam.d/pjwt-dev-sshd, /etc/pam.d/pjwt-dev-sudo,
#     /etc/sudoers.d/pamjwt-device;
#   - /run/sshd (created if missing), /run/sudo/ts/pjwt-dev-user;
#   - processes: one sshd, one node (the provider), one python3 (a syslog
#     socket), started here and stopped by PID;
#   - /tmp/pamjwt-device.XXXXXX, and /run/pamjwt-device-e2e.XXXXXX (the
#     helper: device_helper must sit where only root can write, all the
#     way up); /run/pamjwt (the module's device_max_pending slots) is
#     removed if it was not there before.
# sshd and sudo run in private mount namespaces whose /dev/log is this
# script's socket, so the module's and the helper's log lines are read here.
set -u

t_start=$EPOCHREALTIME
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
e2e_env --no-proxy
U="pjwt-dev-user"   # logs in
H="pjwt-dev-helper" # device_user: runs pamjwt-device
GECOS="pam_jwt device e2e test user"
SVC_SSHD="pjwt-dev-sshd" # at most 15 characters: pgrep -x matches it
SVC_SUDO="pjwt-dev-sudo"
SUDOERS=/etc/sudoers.d/pamjwt-device
MARK="# pamjwt-device-e2e: temporary file written by tests/e2e/device.sh; removed when it ends"
ACCOUNT=alice # approves the user codes (sub)
TIMEOUT=25    # device_timeout (sshd's LoginGraceTime here is 30 s)
SHORT=8       # device_timeout of the "left unapproved" case

skip_unless_ready "nodejs npm openssh-server openssh-client sudo openssl curl jq python3 util-linux procps" \
    /usr/sbin/sshd ssh ssh-keygen sudo visudo runuser useradd userdel chpasswd setsid unshare \
    openssl curl jq timeout node npm ps pgrep "$PY"
skip_unless_node_18
. "$here/oidc/fixture.sh"

E2E_TAG=device
syslog_pid=
approver_pid=
hbin=
slots_were_there=
[ -e /run/pamjwt ] && slots_were_there=1
stop_services() {
    [ -n "$hbin" ] && rm -rf "$hbin"
    [ -z "$slots_were_there" ] && rm -rf /run/pamjwt
    stop_pid "$approver_pid"
    stop_pid "$OIDC_PID"
    stop_pid "$sshd_pid"
    stop_pid "$syslog_pid"
}
cleanup_on_exit

# ---- setup -------------------------------------------------------------------------

find_built pamjwt-device # pam_so, pamjwt_built, built_dir; cd /
helper_built=$built_dir/pamjwt-device
pamjwt=$pamjwt_built
diag "module: $pam_so" "helper: $helper_built" \
    "node $(node --version), $(ssh -V 2>&1), $(sudo -V | head -n 1)"

e2e_tmpdir
mkdir -m 0755 "$tmp/etc" "$tmp/bin" "$tmp/stage"
etc=$tmp/etc
# the helper runs as $H: from a directory $H can enter (a build tree may
# sit where it cannot) and only root can write, up to / (not under /tmp)
hbin=$(mktemp -d /run/pamjwt-device-e2e.XXXXXX) || bail "helper directory made in /run"
chmod 0755 "$hbin"
helper=$hbin/pamjwt-device
install -m 0755 "$helper_built" "$helper" || bail "pamjwt-device copied to $tmp/bin"
add_user "$U"
add_user "$H"
ok "test users $U (logs in) and $H (device_user) created"

# ---- the log: a syslog socket, private mount namespaces ----------------------------

start_log_ns pjwt-dev-probe
log_lines() { wc -l <"$authlog"; }
log_since() { # the module's and the helper's lines after line $1, without the syslog header
    tail -n +"$(($1 + 1))" "$authlog" | sed -E 's/^<[0-9]+>[A-Z][a-z]{2} [ 0-9]{2} [0-9:]{8} //' |
        grep -v '^runuser\|pam_unix(runuser\|pjwt-dev-probe' | mask
}
check_log() { # check_log DESCRIPTION TEXT: the last login's log lines hold TEXT
    if [ -z "$have_log" ]; then
        skip "$1" "no private /dev/log"
        return
    fi
    case $slog in *"$2"*) ok "$1" ;; *) notok "$1" ;; esac
}

# ---- the provider ----------------------------------------------------------------

provider_install --bare # CA
oidc_keyset set1 ec-1 rsa-1 || bail "signing keys and a private JWK Set made (jwk.mjs)"
provider_start set1 # ISSUER

# ---- the host: policy, JWK Set, PAM, sshd, sudo -------------------------------------

conf=$etc/pam_jwt.conf
JWKS=$etc/provider.jwks
printf '# provider subject -> local user\n%s %s\n' "$ACCOUNT" "$U" >"$etc/users.map"
write_conf() { # write_conf DEVICE_TIMEOUT [EXTRA LINES]
    cat >"$conf" <<EOF
issuer = $ISSUER
jwks_file = $JWKS
audience = ssh://%h
algorithms = RS256 ES256
allowed_subjects = $ACCOUNT
user_map_file = $etc/users.map
export_claims = sub
device_flow = yes
device_client_id = cli
device_scope = openid
device_ca_file = $CA
device_user = $H
device_helper = $helper
device_timeout = $1
${2:-}
EOF
    chmod 0644 "$conf"
}
write_conf "$TIMEOUT"
chmod 0644 "$etc/users.map"
diag_file "$conf"
tx "ISSUER=$ISSUER CA_FILE=ca.pem JWKS_FILE=$JWKS PAMJWT_CONFIG=$conf pamjwt-jwks-refresh" \
    env ISSUER="$ISSUER" CA_FILE="$CA" JWKS_FILE="$JWKS" PAMJWT_CONFIG="$conf" \
    PAMJWT="$pamjwt" sh "$top/conf/pamjwt-jwks-refresh"
check "refresher: the provider's JWK Set is installed" eval '[ "$rc" = 0 ] && [ -s "$JWKS" ]'
chmod 0644 "$JWKS"

put_pam_stack "$SVC_SSHD" "$conf"
put_pam_stack "$SVC_SUDO" "$conf"
diag_file "/etc/pam.d/$SVC_SSHD"
start_sshd yes "${LOGNS[@]}"
ok "sshd (PAM service $SVC_SSHD, keyboard-interactive and password) listens on 127.0.0.1:$sport, pid $sshd_pid"
put_sudoers
ok "sudoers drop-in $SUDOERS: sudo for $U uses PAM service $SVC_SUDO"

# The client side's only help: an SSH_ASKPASS that notes each prompt and
# answers with an empty line (Enter).  No pamjwt on the client.
cat >"$tmp/bin/askpass-enter" <<'EOF'
#!/bin/sh
# TEST ONLY (tests/e2e/device.sh): note the prompt, press Enter
printf '%s\n' "$1" >>"$PROMPT_LOG"
echo
EOF
chmod 0755 "$tmp/bin/askpass-enter"

# approver FILE approve|deny|none: wait (30 s at most) for the sign-in
# prompt in FILE, note the helper's processes (ps), then approve or deny
# the code on the provider's pages as $ACCOUNT (none: leave it).
approver() {
    local f=$1 action=$2 code=''
    for _ in $(seq 150); do
        code=$(sed -n 's/.*Sign in at .* and enter \([^ ,]*\), then press Enter.*/\1/p' "$f" 2>/dev/null | head -n 1)
        [ -n "$code" ] && break
        sleep 0.2
    done
    [ -n "$code" ] || { echo "no sign-in prompt" >"$tmp/approve.log"; return 1; }
    ps -o user:20,pid,ppid,args -C pamjwt-device >"$tmp/ps-during" 2>&1
    for p in $(pgrep -x pamjwt-device); do # its session, terminal, privileges, dumpability
        echo "$p sid=$(ps -o sid= -p "$p" | tr -d ' ') tty=$(ps -o tty= -p "$p" | tr -d ' ')" \
            "$(grep NoNewPrivs /proc/"$p"/status | tr -d '\t ')" \
            "proc-owner=$(stat -c %u /proc/"$p"/status)" \
            "ptrace=$(runuser -u "$H" -- "$PY" -c 'import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
r = libc.ptrace(16, int(sys.argv[1]), 0, 0)  # PTRACE_ATTACH, as another process of its user
if r == 0:
    libc.ptrace(17, int(sys.argv[1]), 0, 0)  # PTRACE_DETACH
print(r)' "$p" 2>&1)"
    done >"$tmp/helper-during" 2>&1
    echo "$code" >"$tmp/code"
    case $action in
    none) : >"$tmp/approve.log" ;;
    approve) OIDC_ISSUER=$ISSUER timeout 30 node "$OIDC_DIR/approve.mjs" "$code" "$ACCOUNT" >"$tmp/approve.log" 2>&1 ;;
    deny) OIDC_ISSUER=$ISSUER timeout 30 node "$OIDC_DIR/approve.mjs" "$code" "$ACCOUNT" deny >"$tmp/approve.log" 2>&1 ;;
    esac
}
start_approver() { # start_approver FILE ACTION
    rm -f "$tmp/ps-during" "$tmp/helper-during" "$tmp/code" "$tmp/approve.log"
    approver "$@" &
    approver_pid=$!
}
end_approver() {
    wait "$approver_pid" 2>/dev/null
    approver_pid=
    sed 's/^/#   /' "$tmp/approve.log" 2>/dev/null
    [ -s "$tmp/ps-during" ] && sed 's/^/#   ps: /' "$tmp/ps-during"
}
helper_as_h() { # the helper ran as $H while the user was signing in
    awk -v h="$H" 'NR > 1 && $1 == h && /pamjwt-device/ { found = 1 } END { exit !found }' "$tmp/ps-during" 2>/dev/null
}
helper_gone() { # no pamjwt-device left (2 s of grace)
    for _ in $(seq 10); do
        pgrep -x pamjwt-device >/dev/null || return 0
        sleep 0.2
    done
    return 1
}

# ssh_device ACTION CMD: a plain ssh, keyboard-interactive, SSH_ASKPASS
# pressing Enter at each prompt, while the approver does ACTION.
ssh_device() {
    local action=$1 cmd=$2 l0 t0
    prompts=$tmp/prompts-ssh
    : >"$prompts"
    chmod 0666 "$prompts"
    l0=$(log_lines)
    start_approver "$prompts" "$action"
    t0=$EPOCHREALTIME
    tx "SSH_ASKPASS=askpass-enter SSH_ASKPASS_REQUIRE=force ssh -o PreferredAuthentications=keyboard-interactive -p $sport $U@127.0.0.1 '$cmd'" \
        timeout -k 5 60 setsid -w env -i PATH=/usr/bin:/bin HOME="$tmp" LC_ALL=C \
        SSH_ASKPASS="$tmp/bin/askpass-enter" SSH_ASKPASS_REQUIRE=force PROMPT_LOG="$prompts" \
        ssh -F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
        -o LogLevel=INFO -o ConnectTimeout=10 -o BatchMode=no -o ControlMaster=no \
        -o ControlPath=none -o PreferredAuthentications=keyboard-interactive \
        -o PubkeyAuthentication=no -o GSSAPIAuthentication=no -o NumberOfPasswordPrompts=1 \
        -p "$sport" "$U@127.0.0.1" "$cmd" </dev/null
    elapsed=$(secs "$t0")
    end_approver
    sed 's/^/#   prompt: /' "$prompts"
    sleep 0.3
    slog=$(log_since "$l0")
    [ -n "$slog" ] && printf '%s\n' "$slog" | sed 's/^/#   log: /'
    echo "#   ($elapsed s)"
}
ssh_ok() { [ "$rc" = 0 ] && has "e2e-ok-$U"; }
ssh_refused() { [ "$rc" = 255 ] && has "Permission denied" && ! has "e2e-ok-"; }
within() { awk -v e="$elapsed" -v w="$1" 'BEGIN { exit !(e < w) }'; }

echo "# ---- 1. ssh: an empty answer, the code approved in the browser"
ssh_device approve 'echo e2e-ok-$(id -un); printenv PAM_JWT_SUB; true'
check "ssh: the first prompt offers the browser: 'Token (empty to sign in with a browser): '" \
    eval 'head -n 1 "$prompts" | grep -q "Token (empty to sign in with a browser): \$"'
check "ssh: then the verification_uri_complete as information" \
    grep -q "Or open $ISSUER/device?user_code=.* (the code is filled in)" "$prompts"
check "ssh: then the prompt 'Sign in at $ISSUER/device and enter CODE, then press Enter: '" \
    eval 'grep -q "^Sign in at $ISSUER/device and enter [^ ]*, then press Enter: \$" "$prompts"'
check "ssh: the code was approved on the provider's pages" grep -q "approved for $ACCOUNT" "$tmp/approve.log"
check "ssh: logged in as $U after the approval" ssh_ok
check "ssh: the session's PAM_JWT_SUB names the approving subject ($ACCOUNT)" \
    eval 'printf "%s\n" "$out" | grep -qx "$ACCOUNT"'
check "ps during the sign-in: pamjwt-device runs as $H" helper_as_h
sed 's/^/#   helper: /' "$tmp/helper-during"
check "the helper leads a session of its own, without a terminal" \
    eval 'awk "{ split(\$2, s, \"=\"); if (s[2] != \$1 || \$3 != \"tty=?\") bad = 1 } END { exit bad || NR == 0 }" "$tmp/helper-during"'
check "the helper runs with no_new_privs" eval 'grep -q "NoNewPrivs:1" "$tmp/helper-during"'
check "the helper is not dumpable (its /proc/PID/status is root's, not $H's)" \
    eval 'grep -q "proc-owner=0 " "$tmp/helper-during"'
check "another process of $H cannot ptrace-attach to the helper" \
    eval 'grep -q "ptrace=-1\$" "$tmp/helper-during"'

check "ps after: no pamjwt-device left" helper_gone
check_log "the module logs 'accepted token for user $U via device sign-in'" \
    "accepted token for user $U via device sign-in"

echo "# ---- 2. ssh: the code denied in the browser"
ssh_device deny 'echo e2e-ok-$(id -un)'
check "ssh: denied -> refused, within device_timeout + 5 s ($elapsed s)" \
    eval 'ssh_refused && within $((TIMEOUT + 5))'
check "ps after: no pamjwt-device left" helper_gone
check_log "the module logs 'device sign-in refused: denied at the identity provider'" \
    "device sign-in refused: denied at the identity provider"

echo "# ---- 3. ssh: the code left unapproved past device_timeout = $SHORT"
write_conf "$SHORT"
ssh_device none 'echo e2e-ok-$(id -un)'
check "ssh: not approved -> refused after device_timeout, within device_timeout + 5 s ($elapsed s)" \
    eval 'ssh_refused && within $((SHORT + 5)) && ! within $((SHORT - 2))'
check "ps during: pamjwt-device ran as $H" helper_as_h
check "ps after: no pamjwt-device left (killed or ended at the timeout)" helper_gone
check_log "the module logs 'not approved within device_timeout ($SHORT s)'" \
    "not approved within device_timeout ($SHORT s)"
write_conf "$TIMEOUT"

echo "# ---- 4. sudo: an empty answer, the code approved"
sudo_in=$tmp/sudo-in
printf '\n\n' >"$sudo_in"
chmod 0644 "$sudo_in"
prompts=$tmp/prompts-sudo
: >"$prompts"
chmod 0666 "$prompts"
l0=$(log_lines)
start_approver "$prompts" approve
t0=$EPOCHREALTIME
tx "(as $U) sudo -S -k /usr/bin/id -u   (stdin: two empty lines)" \
    env IN="$sudo_in" PROMPTS="$prompts" timeout -k 5 60 "${LOGNS[@]}" /bin/sh -c \
    'runuser -u "$0" -- sudo -S -k /usr/bin/id -u <"$IN" 2>>"$PROMPTS"' "$U"
elapsed=$(secs "$t0")
end_approver
sed 's/^/#   sudo stderr: /' "$prompts"
sleep 0.3
slog=$(log_since "$l0")
[ -n "$slog" ] && printf '%s\n' "$slog" | sed 's/^/#   log: /'
check "sudo: the sign-in prompt was shown" grep -q "Sign in at $ISSUER/device and enter" "$prompts"
check "sudo: after the approval it runs id -u as root (prints 0)" \
    eval '[ "$rc" = 0 ] && [ "$(printf "%s\n" "$out" | tail -n 1)" = 0 ]'
check "ps after: no pamjwt-device left" helper_gone
check_log "the module logs 'via device sign-in' for sudo" "via device sign-in"

# One sshd stack with one pam_jwt.so line and one policy: a typed token
# (aud ssh://HOST: audience) and a browser sign-in (the ID token, aud the
# client id: device_audience's default) both log in, and neither logs a
# refusal on the way.
one_line_serves_both() {
    local host l0
    host=$(hostname)
    echo "# ---- 5. one pam_jwt.so line: a typed token for ssh://$host and a browser sign-in"
    check "the sshd stack has one pam_jwt.so line" \
        eval '[ "$(grep -c "pam_jwt\.so" "/etc/pam.d/$SVC_SSHD")" = 1 ]'
    if ! oidc_device_token "$ACCOUNT" "ssh://$host" "$tmp/typed.jwt"; then
        notok "a typed token for ssh://$host (device.mjs, approved as $ACCOUNT)"
        return
    fi
    ok "a typed token for ssh://$host (device.mjs, approved as $ACCOUNT)"
    chmod 0644 "$tmp/typed.jwt"
    printf '%s\n' '#!/bin/sh' \
        '# TEST ONLY (tests/e2e/device.sh): note the prompt, answer with the token' \
        'printf "%s\n" "$1" >>"$PROMPT_LOG"' 'cat "$TOKEN_FILE"' >"$tmp/bin/askpass-token"
    chmod 0755 "$tmp/bin/askpass-token"
    prompts=$tmp/prompts-typed
    : >"$prompts"
    chmod 0666 "$prompts"
    l0=$(log_lines)
    tx "SSH_ASKPASS=askpass-token SSH_ASKPASS_REQUIRE=force ssh -o PreferredAuthentications=keyboard-interactive -p $sport $U@127.0.0.1 'echo e2e-ok-\$(id -un)'" \
        timeout -k 5 60 setsid -w env -i PATH=/usr/bin:/bin HOME="$tmp" LC_ALL=C \
        SSH_ASKPASS="$tmp/bin/askpass-token" SSH_ASKPASS_REQUIRE=force PROMPT_LOG="$prompts" \
        TOKEN_FILE="$tmp/typed.jwt" \
        ssh -F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
        -o LogLevel=INFO -o ConnectTimeout=10 -o BatchMode=no -o ControlMaster=no \
        -o ControlPath=none -o PreferredAuthentications=keyboard-interactive \
        -o PubkeyAuthentication=no -o GSSAPIAuthentication=no -o NumberOfPasswordPrompts=1 \
        -p "$sport" "$U@127.0.0.1" 'echo e2e-ok-$(id -un)' </dev/null
    sed 's/^/#   prompt: /' "$prompts"
    sleep 0.3
    slog=$(log_since "$l0")
    [ -n "$slog" ] && printf '%s\n' "$slog" | sed 's/^/#   log: /'
    check "ssh: the typed token logs in through the same line" ssh_ok
    check_log "the module logs 'accepted token for user $U' (typed)" "accepted token for user $U;"
    [ -n "$have_log" ] &&
        check "no refusal logged for the typed token" eval 'case $slog in *refused*) false ;; esac'
    ssh_device approve 'echo e2e-ok-$(id -un)'
    check "ssh: a browser sign-in logs in through the same line" ssh_ok
    check_log "the module logs 'via device sign-in'" "accepted token for user $U via device sign-in"
    [ -n "$have_log" ] &&
        check "no refusal logged for the browser sign-in" eval 'case $slog in *refused*) false ;; esac'
}
one_line_serves_both

# ---- the seams: hang-ups, white space, device_from ----------------------------------

dev_requests() { grep -c '^device authorization request' "$OIDC_DIR/provider.log"; }
new_prompts() { # new_prompts NAME: an empty prompt log $prompts the askpass may write
    prompts=$tmp/prompts-$1
    : >"$prompts"
    chmod 0666 "$prompts"
}
# ssh_plain ASKPASS METHOD: one ssh with that SSH_ASKPASS and method, its
# prompts in $prompts (no approver)
ssh_plain() {
    timeout -k 5 45 setsid -w env -i PATH=/usr/bin:/bin HOME="$tmp" LC_ALL=C \
        SSH_ASKPASS="$1" SSH_ASKPASS_REQUIRE=force PROMPT_LOG="$prompts" \
        ssh -F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
        -o LogLevel=ERROR -o ConnectTimeout=10 -o BatchMode=no -o ControlMaster=no \
        -o ControlPath=none -o PreferredAuthentications="$2" \
        -o PubkeyAuthentication=no -o GSSAPIAuthentication=no -o NumberOfPasswordPrompts=1 \
        -p "$sport" "$U@127.0.0.1" 'echo e2e-ok-$(id -un)' </dev/null
}
# Enter at the token prompt, then hang up (ssh killed) at the sign-in prompt
cat >"$tmp/bin/askpass-hangup" <<'EOF'
#!/bin/sh
# TEST ONLY (tests/e2e/device.sh): Enter, then hang up at the sign-in prompt
printf '%s\n' "$1" >>"$PROMPT_LOG"
case $1 in *"Sign in at"*) kill -KILL "$PPID"; exit 1 ;; esac
echo
EOF
# one space as the password
cat >"$tmp/bin/askpass-space" <<'EOF'
#!/bin/sh
# TEST ONLY (tests/e2e/device.sh): answer one space
printf '%s\n' "$1" >>"$PROMPT_LOG"
echo ' '
EOF
chmod 0755 "$tmp/bin/askpass-hangup" "$tmp/bin/askpass-space"

PENDING=4
echo "# ---- 5. 50 logins answer Enter and hang up (device_max_pending = $PENDING)"
write_conf "$TIMEOUT" "device_max_pending = $PENDING"
new_prompts hangup
r0=$(dev_requests)
l0=$(log_lines)
pids=
for _ in $(seq 50); do
    ssh_plain "$tmp/bin/askpass-hangup" keyboard-interactive >/dev/null 2>&1 &
    pids="$pids $!"
done
most=0
while :; do
    running=
    for p in $pids; do kill -0 "$p" 2>/dev/null && { running=1; break; }; done
    c=$(ps -C pamjwt-device -o stat= | grep -vc '^Z') # alive (a killed one may wait to be reaped)
    [ "$c" -gt "$most" ] && most=$c
    [ -z "$running" ] && break
    sleep 0.1
done
wait $pids 2>/dev/null
sleep 0.3
r1=$(dev_requests)
slog=$(log_since "$l0")
diag "sign-in prompts reached: $(grep -c 'Sign in at' "$prompts")" \
    "device authorization requests at the provider: $((r1 - r0))" \
    "most live helpers at once (sampled every 0.1 s): $most" \
    "refused for device_max_pending: $(printf '%s\n' "$slog" | grep -c 'device_max_pending')"
check "hang-ups: sign-in prompts were reached (the helpers did start)" \
    grep -q "Sign in at" "$prompts"
check "hang-ups: no pamjwt-device left after them" helper_gone
check "hang-ups: never more than device_max_pending ($PENDING) helpers, so requests, at once ($most)" \
    eval '[ "$most" -le "$PENDING" ]'
check "hang-ups: no more device authorization requests than logins ($((r1 - r0)))" \
    eval '[ $((r1 - r0)) -le 50 ]'
write_conf "$TIMEOUT"
ssh_device approve 'echo e2e-ok-$(id -un)'
check "hang-ups: a real sign-in right after still works" ssh_ok

echo "# ---- 6. sshd's password method: a one-space password"
new_prompts space
r0=$(dev_requests)
l0=$(log_lines)
tx "SSH_ASKPASS=askpass-space ssh -o PreferredAuthentications=password ..." \
    ssh_plain "$tmp/bin/askpass-space" password
sleep 0.3
slog=$(log_since "$l0")
[ -n "$slog" ] && printf '%s\n' "$slog" | sed 's/^/#   log: /'
check "password ' ': refused, no device authorization request at the provider" \
    eval '[ "$rc" = 255 ] && ! has "e2e-ok-" && [ "$(dev_requests)" = "$r0" ]'
check "password ' ': no helper started" eval '! printf "%s\n" "$slog" | grep -q "device sign-in"'

echo "# ---- 7. device_from: a network the login does not come from"
write_conf "$TIMEOUT" "device_from = 192.0.2.0/24 2001:db8::/32"
new_prompts from
r0=$(dev_requests)
tx "SSH_ASKPASS=askpass-enter ssh ... (from 127.0.0.1)" \
    ssh_plain "$tmp/bin/askpass-enter" keyboard-interactive
sed 's/^/#   prompt: /' "$prompts"
check "device_from: the prompt stays 'Token: '" \
    eval 'head -n 1 "$prompts" | grep -q "Token: \$" && ! grep -q "empty to sign in" "$prompts"'
check "device_from: refused, no sign-in prompt, no request at the provider" \
    eval '[ "$rc" = 255 ] && ! grep -q "Sign in at" "$prompts" && [ "$(dev_requests)" = "$r0" ]'
write_conf "$TIMEOUT" "device_from = 127.0.0.0/8"
ssh_device approve 'echo e2e-ok-$(id -un)'
check "device_from = 127.0.0.0/8: a login from 127.0.0.1 signs in" ssh_ok
write_conf "$TIMEOUT"

echo "# ---- 8. sudo in a terminal (a pty, as a user at a console): the helper cannot reach it"
new_prompts sudo-pty
start_approver "$prompts" approve
# (not in the log namespace: its /dev has no working pty multiplexer)
# a terminal that presses Enter at each prompt (sudo flushes what was typed
# ahead), its screen in $prompts
cat >"$tmp/bin/pty-enter" <<'EOF'
# TEST ONLY (tests/e2e/device.sh): run argv[2:] on a pty, press Enter at each prompt
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
screen = open(sys.argv[1], "ab", buffering=0)
seen = b""
while True:
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    screen.write(data)
    seen += data
    if seen.rstrip().endswith(b":"):  # a prompt: Enter
        os.write(fd, b"\n")
        seen = b""
sys.exit(os.waitpid(pid, 0)[1] >> 8)
EOF
tx "(as $U, in a pty) sudo -k /usr/bin/id -u   (Enter at each prompt)" \
    timeout -k 5 60 "$PY" "$tmp/bin/pty-enter" "$prompts" runuser -u "$U" -- sudo -k /usr/bin/id -u
end_approver
sed 's/^/#   terminal: /' "$prompts"
sed 's/^/#   helper: /' "$tmp/helper-during" 2>/dev/null
check "sudo in a pty: the sign-in prompt was shown on the terminal" grep -q "Sign in at" "$prompts"
check "sudo in a pty: after the approval it runs id -u as root (prints 0)" \
    eval '[ "$rc" = 0 ] && tr -d "\r" <"$prompts" | grep -qx 0'
check "sudo in a pty: the helper had no terminal and a session of its own" \
    eval '[ -s "$tmp/helper-during" ] && awk "{ split(\$2, s, \"=\"); if (s[2] != \$1 || \$3 != \"tty=?\") bad = 1 } END { exit bad || NR == 0 }" "$tmp/helper-during"'
check "ps after: no pamjwt-device left" helper_gone

# ---- the end ------------------------------------------------------------------------

oidc_stop
diag "whole run $(secs "$t_start") s"
cleanup_and_check "$sshd_pid" "$OIDC_PID" "$syslog_pid"
[ "$(readlink /dev/log 2>/dev/null)" = "$tmp/log.sock" ] && left="$left /dev/log;"
report_undone "processes stopped, $U and $H removed, system files as before"

echo "1..$n"
[ "$failed" -eq 0 ]
