#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# End-to-end tests of the client side (contract "The client side: pamjwt
# login, token, askpass" and "Proof of possession") against a real OpenID
# provider (tests/e2e/oidc/provider.mjs): a local user runs `pamjwt login`
# (device flow with DPoP), a person approves the code (approve.mjs), then
# the user logs in with ssh (keyboard-interactive) and sudo -A, their
# askpass program being the installed wrapper pamjwt-askpass: long tokens
# in pieces, the proof of possession, claims in the session, an expired
# token, a stolen token.  TAP output; the transcript of every command and
# its answer is printed as "#" comment lines, with a summary at the end.
#
#   sudo tests/e2e/client.sh                       # module from ../../build
#   sudo E2E_BUILD_DIR=/tmp/be tests/e2e/client.sh
#
# E2E_BUILD_DIR is a configured and built tree holding .libs/pam_jwt.so and
# pamjwt.  Must run as root (prints "1..0 # SKIP not root" otherwise).
# Node.js 18 or later and npm (oidc-provider from the lock file, as in
# tests/e2e/oidc.sh).  Debian 12 packages: nodejs npm openssh-server
# openssh-client sudo openssl curl jq python3 util-linux (setsid, unshare).
#
# The module logs through syslog(3), that is /dev/log.  So that its lines
# can be checked without a syslog daemon and without touching the host's
# /dev, sshd and every sudo run here start in a private mount namespace
# (unshare -m) whose /dev is a tmpfs holding the few device nodes they need
# (bound from the real /dev) and a "log" link to a socket this script
# reads.  Without unshare the tests run and the log-line checks are skipped.
#
# It runs beside tests/e2e/run.sh and tests/e2e/oidc.sh: its own users, PAM
# services, sudoers file, ports and temporary directory.  What it changes
# while it runs, and undoes on exit, INT or TERM:
#   - test users pjwt-cli-user (logs in) and pjwt-cli-thief (holds a
#     stolen token) (useradd -l -m; userdel -r), and the
#     /etc/{passwd,shadow,group,gshadow,subuid,subgid}- backups that
#     useradd and userdel rewrite;
#   - /etc/pam.d/pjwt-cli-sshd and /etc/pam.d/pjwt-cli-sudo (any file of
#     that name is saved and put back);
#   - /etc/sudoers.d/pamjwt-client ("Defaults:pjwt-cli-user pam_service=...");
#   - /run/sshd (created if missing), /run/sudo/ts/pjwt-cli-user;
#   - processes: one sshd, one node (the provider), one python3 (the log
#     socket), pamjwt login while it runs; started here, stopped by PID;
#   - /tmp/pamjwt-client.XXXXXX (the provider, keys, configuration, the
#     users' runtime directories).
# sshd runs from a symlink named pjwt-cli-sshd (OpenSSH 9.2 takes its PAM
# service name from argv[0]); /etc/pam.d/sshd, /etc/pam.d/sudo, /etc/ssh and
# /dev are never written.  Records sshd appends to /var/log/btmp for refused
# logins are taken back when nothing else was logged there.
set -u

t_start=$EPOCHREALTIME
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
e2e_env --no-proxy
U="pjwt-cli-user"   # logs in; the provider's account "alice" maps to it
T="pjwt-cli-thief"  # another local user, who gets a copy of U's token
GECOS="pam_jwt client e2e test user"
SVC_SSHD="pjwt-cli-sshd" # at most 15 characters: pgrep -x matches it
SVC_SUDO="pjwt-cli-sudo"
SUDOERS=/etc/sudoers.d/pamjwt-client
MARK="# pamjwt-client-e2e: temporary file written by tests/e2e/client.sh; removed when it ends"
ACCOUNT=alice                      # approves the device codes (sub)
LONG="urn:pamjwt:long"             # RS256, over 1,100 bytes
RESOURCE="ssh://pamjwt-client-e2e" # ES256, for the proof of possession part
WAIT=20                            # the longest any ssh or sudo may take

skip_unless_ready "nodejs npm openssh-server openssh-client sudo openssl curl jq python3" \
    /usr/sbin/sshd ssh ssh-keygen sudo visudo runuser useradd userdel chpasswd setsid \
    openssl curl jq timeout node npm "$PY"
skip_unless_node_18
. "$here/oidc/fixture.sh"

# ---- cleanup: everything below is undone here, whatever happens ----------

E2E_TAG=client
syslog_pid=
login_pid=
stop_services() {
    stop_pid "$login_pid"
    stop_pid "$OIDC_PID"
    stop_pid "$sshd_pid"
    stop_pid "$syslog_pid"
}
cleanup_on_exit

# ---- setup: the built tools, a temporary directory, the users ----------------

find_built # pam_so, pamjwt_built; cd / (the users' commands run there too)
diag "module: $pam_so" "tool: $pamjwt_built ($("$pamjwt_built" --version | head -n 1))" \
    "node $(node --version), npm $(npm --version 2>/dev/null), $(ssh -V 2>&1), $(sudo -V | head -n 1)"

e2e_tmpdir
mkdir -m 0700 "$tmp/keys"
mkdir -m 0755 "$tmp/etc" "$tmp/bin" "$tmp/run" "$tmp/stage"
etc=$tmp/etc

# The users run pamjwt and pamjwt-askpass from $tmp/bin
install_client_tools # pamjwt, ASKPASS
# What ssh and sudo run: pamjwt-askpass, with each prompt, the exit status
# and the length of the answer (never the answer) noted in $ASKPASS_LOG.
cat >"$tmp/bin/askpass-logged" <<EOF
#!/bin/sh
# TEST ONLY (tests/e2e/client.sh): pamjwt-askpass PROMPT, noted in \$ASKPASS_LOG
ans=\$('$ASKPASS' "\$1"; r=\$?; echo "#\$r")
r=\${ans##*#}
ans=\${ans%#*}
ans=\${ans%"
"}
printf '%s\t%s\t%s\n' "\$1" "\$r" "\${#ans}" >>"\$ASKPASS_LOG"
[ -n "\$ans" ] && printf '%s\n' "\$ans"
exit "\$r"
EOF
# A fallback for prompts that are not pamjwt's (a key passphrase)
cat >"$tmp/bin/fallback" <<'EOF'
#!/bin/sh
echo "fallback-was-asked: $1"
EOF
chmod 0755 "$tmp/bin/askpass-logged" "$tmp/bin/fallback"

home_of() { getent passwd "$1" | cut -d: -f6; }
for u in "$U" "$T"; do
    add_user "$u" # a password nobody knows: only tokens log in
    # the user's XDG_RUNTIME_DIR (pamjwt keeps token, holder key, askpass state in pamjwt/)
    install -d -m 0700 -o "$u" -g "$(id -g "$u")" "$tmp/run/$u" || bail "runtime directory of $u"
done
ok "test users $U and $T created, runtime directories $tmp/run/USER (0700)"

# ---- the module's log: a syslog socket and private mount namespaces -----------

start_log_ns pjwt-cli-probe
# log_since LINE: the captured log lines after line LINE, without the
# syslog header, without runuser's session lines
log_since() {
    tail -n +"$(($1 + 1))" "$authlog" | sed -E 's/^<[0-9]+>[A-Z][a-z]{2} [ 0-9]{2} [0-9:]{8} //' |
        grep -v '^runuser\|pam_unix(runuser' | mask
}
log_lines() { wc -l <"$authlog"; }

# as_user WHO [VAR=VALUE...] COMMAND...: COMMAND as the local user WHO in a
# clean environment (XDG_RUNTIME_DIR=$tmp/run/WHO), without a terminal
# (setsid: a prompt cannot wait for a person), in a log namespace, killed
# after $WAIT seconds (5 s later with KILL).
as_user() {
    user_cmd "$@"
    "${UCMD[@]}"
}
user_cmd() { # sets UCMD: the command as_user runs
    local who=$1
    shift
    UCMD=(timeout -k 5 "$WAIT" "${LOGNS[@]}" runuser -u "$who" -- setsid -w env -i
        PATH=/usr/bin:/bin HOME="$(home_of "$who")" USER="$who" LOGNAME="$who" LC_ALL=C
        XDG_RUNTIME_DIR="$tmp/run/$who" NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
        "$@")
}

# ---- the provider --------------------------------------------------------------

provider_install # CA
oidc_keyset set1 ec-1 rsa-1 || bail "signing keys and a private JWK Set made (jwk.mjs)"
provider_start set1 --timed # ISSUER, provider_time

tx "curl --cacert ca.pem $ISSUER/.well-known/openid-configuration | jq '{issuer, jwks_uri, token_endpoint, device_authorization_endpoint, dpop_signing_alg_values_supported}'" \
    bash -c 'curl -fsS --max-time 10 --cacert "$1" "$2/.well-known/openid-configuration" |
        jq "{issuer, jwks_uri, token_endpoint, device_authorization_endpoint, dpop_signing_alg_values_supported}"' \
    _ "$CA" "$ISSUER"
discovery=$out
check "discovery: issuer $ISSUER, a device authorization endpoint, DPoP with ES256" \
    eval '[ "$rc" = 0 ] && has "\"issuer\": \"$ISSUER\"" && has "\"device_authorization_endpoint\": \"$ISSUER/device/auth\"" && has ES256'

# ---- the host: configuration, refresher -------------------------------------------

JWKS=$etc/provider.jwks
conf_long=$etc/long.conf
conf_pop=$etc/pop.conf
echo "$ACCOUNT $U" >"$etc/users.map"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/keys/mint.pem" 2>/dev/null &&
    openssl pkey -in "$tmp/keys/mint.pem" -pubout -out "$etc/mint.pub.pem" 2>/dev/null ||
    bail "a local signing key for pamjwt mint"
policy() { # policy AUDIENCE [EXTRA LINE...]: the provider's policy on stdout
    echo "issuer = $ISSUER"
    echo "jwks_file = $JWKS"
    echo "key_file = $etc/mint.pub.pem"
    echo "audience = $1"
    echo "algorithms = ES256 RS256"
    echo "allowed_subjects = $ACCOUNT"
    echo "user_map_file = $etc/users.map"
    echo "max_lifetime = 600"
    shift
    local l
    for l in "$@"; do echo "$l"; done
}
# the long RS256 tokens, in pieces; the session sees sub and email.  They
# are bound (login asks for DPoP), so a proof is asked for them too
# (issue 23: a bound token is never a bearer token): ssh://127.0.0.1 is
# listed in pop_audience
policy "$LONG" "export_claims = sub email" "pop_audience = ssh://127.0.0.1 local://%h" >"$conf_long"
# the ES256 tokens, bound to the holder key: proof of possession.  ssh
# reaches the host as 127.0.0.1 (the client's target ssh://127.0.0.1):
# pop_audience names it, when the module knows pop_audience
policy "$RESOURCE" "require_pop = yes" "pop_audience = ssh://127.0.0.1 local://%h" \
    "export_claims = sub" >"$conf_pop"
chmod 0644 "$conf_pop"
# a module without pop_audience (an unknown key: config error, exit 2) does not check the proof's aud
"$pamjwt" mint --key "$tmp/keys/mint.pem" --sub "$ACCOUNT" --iss "$ISSUER" --aud "$RESOURCE" >"$tmp/probe.jwt"
printf '%s\n' "key_file = $etc/mint.pub.pem" "allowed_subjects = *" "pop_audience = ssh://127.0.0.1" \
    >"$etc/probe.conf"
chmod 0644 "$etc/probe.conf" "$etc/mint.pub.pem"
"$pamjwt" check --config "$etc/probe.conf" --user "$U" <"$tmp/probe.jwt" >/dev/null 2>&1
[ $? = 2 ] && policy "$RESOURCE" "require_pop = yes" "export_claims = sub" >"$conf_pop" &&
    policy "$LONG" "export_claims = sub email" >"$conf_long"
chmod 0644 "$conf_long" "$conf_pop" "$etc/users.map" "$etc/mint.pub.pem"
diag_file "$conf_long"
diag_file "$conf_pop"
diag_file "$etc/users.map"

tx "ISSUER=$ISSUER CA_FILE=ca.pem JWKS_FILE=$JWKS PAMJWT_CONFIG=$conf_long pamjwt-jwks-refresh" \
    env ISSUER="$ISSUER" CA_FILE="$CA" JWKS_FILE="$JWKS" PAMJWT_CONFIG="$conf_long" \
    PAMJWT="$pamjwt" sh "$top/conf/pamjwt-jwks-refresh"
check "refresher: discovery finds jwks_uri, the provider's JWK Set is installed" \
    eval '[ "$rc" = 0 ] && has "discovered jwks_uri $ISSUER/jwks" && has "installed a new JWK Set" &&
          [ "$(jq -r "[.keys[].kid] | join(\" \")" "$JWKS")" = "ec-1 rsa-1" ]'

# ---- sshd, sudo -------------------------------------------------------------------

put_pam_stack "$SVC_SSHD" "$conf_long"
put_pam_stack "$SVC_SUDO" "$conf_long"
diag_file "/etc/pam.d/$SVC_SSHD"

# in a log namespace: the module's lines reach $authlog
start_sshd no "${LOGNS[@]}"
ok "sshd (PAM service $SVC_SSHD, keyboard-interactive only) listens on 127.0.0.1:$sport, pid $sshd_pid"

put_sudoers
ok "sudoers drop-in $SUDOERS: sudo for $U uses PAM service $SVC_SUDO"

# ---- helpers: login, ssh, sudo, what askpass was asked ------------------------------

store() { echo "$tmp/run/$1/pamjwt"; } # store USER: pamjwt's directory of USER
len() { tr -d '\n' <"$1" | wc -c; }
claim() { jwt_claims "$1" | jq -r "$2"; }
show_token() {
    diag "$2: $(len "$1") bytes" "  header: $(jwt_header "$1" | jq -c .)" \
        "  claims: $(jwt_claims "$1" | jq -c .)"
}
# holder_jkt PEM: the RFC 7638 thumbprint of an EC P-256 key, computed here
holder_jkt() {
    openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | tail -c 64 | "$PY" -c '
import base64, hashlib, json, sys
b = sys.stdin.buffer.read()
e = lambda v: base64.urlsafe_b64encode(v).rstrip(b"=").decode()
assert len(b) == 64
j = json.dumps({"crv": "P-256", "kty": "EC", "x": e(b[:32]), "y": e(b[32:])}, separators=(",", ":"), sort_keys=True)
print(e(hashlib.sha256(j.encode()).digest()))'
}
mode_of() { stat -c '%a %U' "$1" 2>/dev/null; }

# pamjwt_login RESOURCE: $U runs pamjwt login in the background; the code it
# prints is approved as $ACCOUNT by approve.mjs; login must exit 0.
pamjwt_login() {
    local res=$1 log=$tmp/login.log code='' arc lrc shown t0=$EPOCHREALTIME
    echo "# \$ (as $U) pamjwt login --issuer $ISSUER --client-id cli --scope login --resource $res --ca-file ca.pem &"
    WAIT=120 user_cmd "$U" "$pamjwt" login --issuer "$ISSUER" --client-id cli --scope login \
        --resource "$res" --ca-file "$CA"
    "${UCMD[@]}" >"$log" 2>&1 </dev/null & # $! is timeout's pid: TERM reaches pamjwt
    login_pid=$!
    echo "$login_pid" >"$tmp/login.pid"
    for _ in $(seq 100); do # at most 20 s
        code=$(sed -n 's/.* the code \([A-Za-z0-9-]\{1,64\}\)$/\1/p' "$log" | head -n 1)
        [ -n "$code" ] && break
        kill -0 "$login_pid" 2>/dev/null || break
        sleep 0.2
    done
    if [ -z "$code" ]; then
        stop_pid "$login_pid"
        login_pid=
        sed 's/^/#   /' "$log"
        return 1
    fi
    sed 's/^/#   /' "$log"
    shown=$(wc -l <"$log")
    tx "OIDC_ISSUER=$ISSUER node approve.mjs $code $ACCOUNT" \
        env OIDC_ISSUER="$ISSUER" timeout 30 node "$OIDC_DIR/approve.mjs" "$code" "$ACCOUNT"
    arc=$rc
    # login polls every 5 s (the provider's interval): 30 s are plenty
    for _ in $(seq 150); do
        kill -0 "$login_pid" 2>/dev/null || break
        sleep 0.2
    done
    if kill -0 "$login_pid" 2>/dev/null; then
        stop_pid "$login_pid"
        lrc="still running after 30 s: stopped"
    else
        wait "$login_pid"
        lrc=$?
    fi
    login_pid=
    echo "#   (pamjwt login, after the approval:)"
    tail -n +"$((shown + 1))" "$log" | mask | sed 's/^/#   /'
    echo "#   [exit $lrc]"
    login_secs=$(secs "$t0")
    diag "pamjwt login: $login_secs s from start to token"
    login_out=$(cat "$log")
    [ "$arc" = 0 ] && [ "$lrc" = 0 ]
}

# pieces: what askpass was asked, from $ASKPASS_LOG: "TOKEN_PIECES
# TOKEN_MAX PROOF_PIECES PROOF_MAX OTHER FAILED" (pieces of the token and of
# the proof, the longest answer of each, other prompts, failed answers)
pieces() {
    awk -F '\t' '
        $1 ~ /pamjwt-continue [0-9]+\/[0-9]+: ?$/ { k = o }
        $1 ~ /pamjwt-pop [A-Za-z0-9_-]+: ?$/ { o = "p"; k = o }
        $1 ~ /Token: ?$/ { o = "t"; k = o }
        { if ($2 != 0) bad++ }
        k == "" { other++; next }
        { n[k]++; if ($3 + 0 > m[k]) m[k] = $3 + 0; k = "" }
        END { printf "%d %d %d %d %d %d\n", n["t"], m["t"], n["p"], m["p"], other, bad }' "$1" 2>/dev/null ||
        echo "0 0 0 0 0 0"
}
# show_askpass FILE: the prompts askpass answered (nonces shortened)
show_askpass() {
    [ -s "$1" ] || { echo "#   askpass: not asked"; return; }
    sed -E 's/(pamjwt-pop [A-Za-z0-9_-]{8})[A-Za-z0-9_-]*/\1.../' "$1" |
        awk -F '\t' '{ printf "#   askpass: %-58s -> exit %s, %s bytes\n", "\"" $1 "\"", $2, $3 }'
}

# ssh_kbd WHO CMD [VAR=VALUE...]: the local user WHO runs
# "ssh -o PreferredAuthentications=keyboard-interactive $U@127.0.0.1 CMD",
# SSH_ASKPASS=pamjwt-askpass (through askpass-logged), SSH_ASKPASS_REQUIRE=force.
# Sets out, rc, elapsed, alog (the askpass log), slog (sshd's and the
# module's lines).
ssh_kbd() {
    local who=$1 cmd=$2 s0 l0 t0
    shift 2
    alog=$tmp/askpass-$who.log
    rm -f "$alog" "$tmp/run/$who/askpass.log"
    s0=$(wc -l <"$tmp/sshd.log")
    l0=$(log_lines)
    t0=$EPOCHREALTIME
    tx "(as $who)${*:+ $*} SSH_ASKPASS=pamjwt-askpass SSH_ASKPASS_REQUIRE=force ssh -o PreferredAuthentications=keyboard-interactive -p $sport $U@127.0.0.1 '$cmd'" \
        as_user "$who" SSH_ASKPASS="$tmp/bin/askpass-logged" SSH_ASKPASS_REQUIRE=force \
        ASKPASS_LOG="$tmp/run/$who/askpass.log" "$@" \
        ssh -F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
        -o LogLevel=ERROR -o ConnectTimeout=10 -o BatchMode=no -o ControlMaster=no \
        -o ControlPath=none -o PreferredAuthentications=keyboard-interactive \
        -o PubkeyAuthentication=no -o GSSAPIAuthentication=no -o NumberOfPasswordPrompts=1 \
        -p "$sport" "$U@127.0.0.1" "$cmd" </dev/null
    elapsed=$(secs "$t0")
    sleep 0.3 # let sshd and the log socket write their lines
    cp "$tmp/run/$who/askpass.log" "$alog" 2>/dev/null || : >"$alog"
    show_askpass "$alog"
    slog=$({
        tail -n +"$((s0 + 1))" "$tmp/sshd.log" | grep -E 'Accepted|Failed|authentication failure|PAM' | mask
        log_since "$l0"
    })
    [ -n "$slog" ] && printf '%s\n' "$slog" | sed 's/^/#   log: /'
    echo "#   ($elapsed s)"
}
ssh_ok() { [ "$rc" = 0 ] && has "e2e-ok-$U"; }
# refused in time: ssh gave up by itself (255), not killed by timeout (124)
ssh_refused() { [ "$rc" = 255 ] && has "Permission denied" && ! has "e2e-ok-"; }
in_time() { awk -v e="$elapsed" -v w="$WAIT" 'BEGIN { exit !(e < w) }'; }

# sudo_a [VAR=VALUE...]: $U runs "sudo -A -k /usr/bin/id -un" with
# SUDO_ASKPASS=pamjwt-askpass (through askpass-logged).  Sets out, rc,
# elapsed, alog, slog.
sudo_a() {
    local l0 t0
    alog=$tmp/askpass-sudo.log
    rm -f "$alog" "$tmp/run/$U/askpass.log"
    l0=$(log_lines)
    t0=$EPOCHREALTIME
    tx "(as $U)${*:+ $*} SUDO_ASKPASS=pamjwt-askpass sudo -A -k /usr/bin/id -un" \
        as_user "$U" SUDO_ASKPASS="$tmp/bin/askpass-logged" ASKPASS_LOG="$tmp/run/$U/askpass.log" \
        "$@" sudo -A -k /usr/bin/id -un </dev/null
    elapsed=$(secs "$t0")
    sleep 0.3
    cp "$tmp/run/$U/askpass.log" "$alog" 2>/dev/null || : >"$alog"
    show_askpass "$alog"
    slog=$(log_since "$l0")
    [ -n "$slog" ] && printf '%s\n' "$slog" | sed 's/^/#   log: /'
    echo "#   ($elapsed s)"
}
sudo_said_root() { [ "$rc" = 0 ] && [ "$(printf '%s\n' "$out" | tail -n 1)" = root ]; }
sudo_said_no() { [ "$rc" = 1 ] && ! has root; }
# check_log DESCRIPTION TEXT: the module's lines of the last ssh/sudo hold TEXT
check_log() {
    if [ -z "$have_log" ]; then
        skip "$1" "no private /dev/log"
        return
    fi
    case $slog in *"$2"*) ok "$1" ;; *) notok "$1" ;; esac
}
diag "SSH_ASKPASS and SUDO_ASKPASS below name $tmp/bin/askpass-logged: it runs pamjwt-askpass" \
    "and notes each prompt, the exit status and the answer's length (never the answer)"
summary=() # the transcript's summary lines
TAB=$'\t'
note() { summary+=("$*"); }
# put_stored FILE: FILE becomes $U's stored token: in $tokf (the latest
# login's token.KEY) and in token, where login also keeps its latest token
put_stored() {
    install -m 0600 -o "$U" -g "$(id -g "$U")" "$1" "$tokf"
    install -m 0600 -o "$U" -g "$(id -g "$U")" "$1" "$(store "$U")/token"
}

# targets_file LINE...: $U's targets file (askpass gives a token only to a
# target its aud names or this file lists); none: no file
targets_file() {
    as_user "$U" sh -c 'mkdir -p "$HOME/.config/pamjwt" && rm -f "$HOME/.config/pamjwt/targets" &&
        for l in "$@"; do echo "$l" >>"$HOME/.config/pamjwt/targets"; done' _ "$@"
}
HOSTNAME_=$(hostname)
# the long token's aud (urn:pamjwt:long) names neither ssh://127.0.0.1 nor
# local://HOSTNAME: the user lists both
targets_file ssh://127.0.0.1 "local://$HOSTNAME_"

# ==== 1. the device flow, a long token, in pieces =====================================

echo "# ---- pamjwt login (device flow + DPoP), resource $LONG"
tokf=$(store "$U")/token
if pamjwt_login "$LONG"; then
    ok "pamjwt login as $U: the code approved as $ACCOUNT, exit 0 in $login_secs s"
    tokf=$(ls -t "$(store "$U")"/token.* | head -n 1) # one file per issuer and resource
else
    bail "pamjwt login as $U: the code approved as $ACCOUNT, exit 0"
fi
show_token "$tokf" "stored token ($tokf)"
len_long=$(len "$tokf")
jkt_holder=$(holder_jkt "$(store "$U")/holder.pem")
diag "holder key $(store "$U")/holder.pem: RFC 7638 thumbprint $jkt_holder"
check "stored token: RS256, $len_long bytes (> 1100), sub $ACCOUNT, aud $LONG" \
    eval '[ "$len_long" -gt 1100 ] && [ "$(jwt_header "$tokf" | jq -r .alg)" = RS256 ] &&
          [ "$(claim "$tokf" ".sub + \" \" + .aud")" = "$ACCOUNT $LONG" ]'
check "the token is bound to the holder key login made (cnf.jkt = its thumbprint), no warning" \
    eval '[ -n "$jkt_holder" ] && [ "$(claim "$tokf" .cnf.jkt)" = "$jkt_holder" ] &&
          case $login_out in *warning*) false ;; *) true ;; esac'
check "store: pamjwt/ is 0700, token and holder.pem 0600, all owned by $U" \
    eval '[ "$(mode_of "$(store "$U")")" = "700 $U" ] && [ "$(mode_of "$tokf")" = "600 $U" ] &&
          [ "$(mode_of "$(store "$U")/holder.pem")" = "600 $U" ]'
tx "(as $U) pamjwt token" as_user "$U" "$pamjwt" token
check "pamjwt token prints the stored token, exit 0" \
    eval '[ "$rc" = 0 ] && [ "$out" = "$(tr -d "\n" <"$tokf")" ]'
tx "pamjwt check --config long.conf --user $U < token" \
    bash -c '"$0" check --config "$1" --user "$2" <"$3"' "$pamjwt" "$conf_long" "$U" "$tokf"
check "pamjwt check accepts it and warns it is too long for sudo and ssh in one answer" \
    eval '[ "$rc" = 0 ] && has "decision: accept" && has "too long for the OpenSSH client" && has "sudo refuses"'

echo "# ---- ssh, keyboard-interactive, SSH_ASKPASS=pamjwt-askpass: the long token in pieces"
ssh_kbd "$U" 'echo e2e-ok-$(id -un); printenv PAM_JWT_SUB PAM_JWT_EMAIL; true'
read -r ssh_pieces ssh_max _ _ ssh_other ssh_bad <<<"$(pieces "$alog")"
check "ssh: $U logs in with the $len_long-byte token in $ssh_pieces pieces (longest answer $ssh_max bytes)" \
    eval 'ssh_ok && [ "$ssh_pieces" -ge 3 ] && [ "$ssh_max" -le 500 ] && [ "$ssh_other" = 0 ] && [ "$ssh_bad" = 0 ]'
check "ssh: the session has PAM_JWT_SUB=$ACCOUNT and PAM_JWT_EMAIL (export_claims = sub email)" \
    eval 'printf "%s\n" "$out" | grep -qx "$ACCOUNT" && printf "%s\n" "$out" | grep -qx "$ACCOUNT@accounts.pamjwt.example"'
check "askpass: nothing kept after the last piece (no pamjwt/askpass-state.*)" \
    eval '! ls "$(store "$U")" | grep -q askpass-state'
note "ssh (keyboard-interactive): long RS256 token, $len_long bytes, in $ssh_pieces pieces (longest $ssh_max bytes): $([ "$rc" = 0 ] && echo logged in || echo "FAILED, exit $rc")"

echo "# ---- sudo -A, SUDO_ASKPASS=pamjwt-askpass: the long token in pieces"
sudo_a
read -r sudo_pieces sudo_max _ _ sudo_other sudo_bad <<<"$(pieces "$alog")"
check "sudo -A: runs id as root with the token in $sudo_pieces pieces, each under 512 bytes (longest $sudo_max)" \
    eval 'sudo_said_root && [ "$sudo_pieces" -ge 3 ] && [ "$sudo_max" -lt 512 ] && [ "$sudo_other" = 0 ] && [ "$sudo_bad" = 0 ]'
note "sudo -A: the same token in $sudo_pieces pieces (longest $sudo_max bytes): $(sudo_said_root && echo "ran id as root" || echo "FAILED, exit $rc")"

echo "# ---- a prompt that is not pamjwt's"
tx "(as $U) PAMJWT_ASKPASS_FALLBACK=fallback pamjwt-askpass \"Enter passphrase for key '/home/$U/.ssh/id_ed25519': \"" \
    as_user "$U" PAMJWT_ASKPASS_FALLBACK="$tmp/bin/fallback" "$ASKPASS" \
    "Enter passphrase for key '/home/$U/.ssh/id_ed25519': "
check "askpass passes another prompt to PAMJWT_ASKPASS_FALLBACK (with the prompt as its argument)" \
    eval '[ "$rc" = 0 ] && [ "$out" = "fallback-was-asked: Enter passphrase for key '\''/home/$U/.ssh/id_ed25519'\'': " ]'
t0=$EPOCHREALTIME
tx "(as $U, no terminal) pamjwt-askpass 'Password: '" as_user "$U" "$ASKPASS" "Password: "
elapsed=$(secs "$t0")
check "without a fallback and without a terminal it fails at once (exit 1 in $elapsed s), prints nothing on stdout" \
    eval '[ "$rc" = 1 ] && ! has eyJ && in_time'

echo "# ---- an expired stored token"
now=$(date +%s)
"$pamjwt" mint --key "$tmp/keys/mint.pem" --sub "$ACCOUNT" --iss "$ISSUER" --aud "$LONG" \
    --claim "exp=$((now - 2))" --claim "iat=$((now - 62))" >"$tmp/expired.jwt" ||
    notok "pamjwt mint an expired token"
put_stored "$tmp/expired.jwt"
show_token "$tokf" "stored token: minted, expired 2 s ago"
tx "pamjwt check --config long.conf --user $U < token" \
    bash -c '"$0" check --config "$1" --user "$2" <"$3"' "$pamjwt" "$conf_long" "$U" "$tokf"
check "pamjwt check: the host would still take it (expired less than leeway = 30 s ago)" \
    eval '[ "$rc" = 0 ] && has "decision: accept"'
tx "(as $U) pamjwt token" as_user "$U" "$pamjwt" token
check "pamjwt token: exit 1 for the expired token (no leeway on the client), the token not printed" \
    eval '[ "$rc" = 1 ] && ! has eyJ'
ssh_kbd "$U" 'echo e2e-ok-$(id -un)'
check "ssh: with the expired token refused in $elapsed s (under $WAIT s; askpass sent no token)" \
    eval 'ssh_refused && in_time && [ "$(pieces "$alog" | cut -d" " -f1)" = 1 ] && ! grep -q "${TAB}0${TAB}[1-9]" "$alog"'
note "expired stored token: pamjwt token exit 1; ssh refused in $elapsed s"
sudo_a
check "sudo -A: with the expired token refused in $elapsed s (under $WAIT s)" \
    eval 'sudo_said_no && in_time'
summary[${#summary[@]} - 1]+="; sudo -A refused in $elapsed s"
check "sudo -A: askpass says it has no token for local://$HOSTNAME_ and how to get one" \
    eval 'has "no token for local://$HOSTNAME_" && has "pamjwt login --resource local://$HOSTNAME_"'

echo "# ---- issue 24: the sudo token expired, the ssh token is valid: sudo -A gets nothing"
"$pamjwt" mint --key "$tmp/keys/mint.pem" --sub "$ACCOUNT" --iss "$ISSUER" --aud "local://$HOSTNAME_" \
    --claim "exp=$((now - 60))" --claim "iat=$((now - 120))" >"$tmp/sudo-expired.jwt" &&
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/keys/ssh-holder.pem" 2>/dev/null &&
    "$pamjwt" mint --key "$tmp/keys/mint.pem" --sub "$ACCOUNT" --iss "$ISSUER" --aud ssh://127.0.0.1 \
        --ttl 300 --holder-key "$tmp/keys/ssh-holder.pem" >"$tmp/ssh-valid.jwt" ||
    notok "pamjwt mint the sudo and ssh tokens"
saved_store=$tmp/saved-store
mkdir -m 0700 "$saved_store" && mv "$(store "$U")"/token* "$saved_store"/
install -m 0600 -o "$U" -g "$(id -g "$U")" "$tmp/sudo-expired.jwt" "$(store "$U")/token.sudo"
install -m 0600 -o "$U" -g "$(id -g "$U")" "$tmp/ssh-valid.jwt" "$(store "$U")/token.ssh"
targets_file # the user lists nothing: each token goes where its aud says
diag "stored: token.sudo (aud local://$HOSTNAME_, expired 60 s ago), token.ssh (aud ssh://127.0.0.1, bound, valid)"
sudo_a
check "sudo -A: refused; askpass answered nothing at every prompt (the ssh token never sent)" \
    eval 'sudo_said_no && [ -s "$alog" ] && ! grep -q "${TAB}0${TAB}" "$alog" && ! grep -qv "${TAB}0\$" "$alog"'
check "sudo -A shows: no token for local://$HOSTNAME_ ... pamjwt login --resource local://$HOSTNAME_" \
    eval 'has "askpass: no token for local://$HOSTNAME_ (" && has "get one with: pamjwt login --resource local://$HOSTNAME_ --issuer $ISSUER"'
note "issue 24: sudo token expired, ssh token valid: sudo -A refused, askpass sent nothing and said: $(printf '%s\n' "$out" | grep -o 'no token for [^;]*' | head -n 1)"
ssh_kbd "$U" 'echo e2e-ok-$(id -un)'
check "... while ssh (ssh://127.0.0.1, which its aud names) still gets the ssh token (refused by this host's audience, but sent)" \
    eval 'grep -q "Token: ${TAB}0${TAB}[1-9]" "$alog"'
rm -f "$(store "$U")"/token*
mv "$saved_store"/token* "$(store "$U")"/ && rmdir "$saved_store"
targets_file ssh://127.0.0.1 "local://$HOSTNAME_"

# ==== 2. proof of possession ===========================================================

echo "# ---- require_pop = yes: a bound ES256 token"
put_pam_stack "$SVC_SSHD" "$conf_pop"
put_pam_stack "$SVC_SUDO" "$conf_pop"
diag "PAM services $SVC_SSHD and $SVC_SUDO now use $conf_pop"
if pamjwt_login "$RESOURCE"; then
    ok "pamjwt login as $U for $RESOURCE: exit 0 in $login_secs s (the holder key is kept)"
    check "the first login's token is kept beside the new one (one per issuer and resource)" \
        eval '[ "$(ls "$(store "$U")" | grep -c "^token\.")" -eq 2 ]'
    tokf=$(ls -t "$(store "$U")"/token.* | head -n 1)
else
    bail "pamjwt login as $U for $RESOURCE: exit 0"
fi
show_token "$tokf" "stored token ($tokf)"
len_pop=$(len "$tokf")
check "bound token: ES256, cnf.jkt = the thumbprint of the same holder key" \
    eval '[ "$(jwt_header "$tokf" | jq -r .alg)" = ES256 ] && [ "$(claim "$tokf" .cnf.jkt)" = "$jkt_holder" ] &&
          [ "$(holder_jkt "$(store "$U")/holder.pem")" = "$jkt_holder" ]'
cp "$tokf" "$tmp/bound.jwt"
tx "pamjwt check --config pop.conf --user $U < token" \
    bash -c '"$0" check --config "$1" --user "$2" <"$3"' "$pamjwt" "$conf_pop" "$U" "$tokf"
check "pamjwt check: prints \"proof: required (jkt $jkt_holder)\", decides the rest: accept, exit 0" \
    eval '[ "$rc" = 0 ] && has "proof: required (jkt $jkt_holder" && has "decision: accept"'

echo "# ---- ssh with the proof of possession"
ssh_kbd "$U" 'echo e2e-ok-$(id -un); printenv PAM_JWT_SUB; true'
read -r popssh_tp _ popssh_pp popssh_pmax popssh_other popssh_bad <<<"$(pieces "$alog")"
check "ssh: logs in; askpass sent the token ($popssh_tp piece(s)) and a proof ($popssh_pp piece(s), longest $popssh_pmax bytes)" \
    eval 'ssh_ok && [ "$popssh_tp" -ge 1 ] && [ "$popssh_pp" -ge 1 ] && [ "$popssh_other" = 0 ] && [ "$popssh_bad" = 0 ]'
check "ssh: the session has PAM_JWT_SUB=$ACCOUNT (export_claims = sub)" \
    eval 'printf "%s\n" "$out" | grep -qx "$ACCOUNT"'
note "ssh with require_pop: token $len_pop bytes in $popssh_tp piece(s), proof in $popssh_pp piece(s) (longest $popssh_pmax bytes): $(ssh_ok && echo "logged in, PAM_JWT_SUB in the session" || echo "FAILED, exit $rc")"

echo "# ---- sudo -A with the proof of possession"
sudo_a
read -r popsudo_tp _ popsudo_pp popsudo_pmax popsudo_other popsudo_bad <<<"$(pieces "$alog")"
check "sudo -A: runs id as root; askpass sent the token ($popsudo_tp) and a proof ($popsudo_pp piece(s), longest $popsudo_pmax < 512)" \
    eval 'sudo_said_root && [ "$popsudo_pp" -ge 1 ] && [ "$popsudo_pmax" -lt 512 ] && [ "$popsudo_other" = 0 ] && [ "$popsudo_bad" = 0 ]'
note "sudo -A with require_pop: proof in $popsudo_pp piece(s): $(sudo_said_root && echo "ran id as root" || echo "FAILED, exit $rc")"

echo "# ---- the token stolen: a copy in $T's runtime directory"
install -d -m 0700 -o "$T" -g "$(id -g "$T")" "$(store "$T")"
install -m 0600 -o "$T" -g "$(id -g "$T")" "$tmp/bound.jwt" "$(store "$T")/token"
diag "copied $tokf to $(store "$T")/token ($T has no holder key)"
# the thief's askpass is his own: he lists the target
as_user "$T" sh -c 'mkdir -p "$HOME/.config/pamjwt" && echo "ssh://127.0.0.1" >"$HOME/.config/pamjwt/targets"'
ssh_kbd "$T" 'echo e2e-ok-$(id -un)'
read -r th_tp _ th_pp _ _ _ <<<"$(pieces "$alog")"
check "stolen token, no holder key: ssh as $U refused at the challenge in $elapsed s (the pamjwt-pop prompt came, askpass could not answer)" \
    eval 'ssh_refused && in_time && [ "$th_tp" -ge 1 ] && grep -q "pamjwt-pop .*${TAB}1${TAB}0\$" "$alog"'
check_log "the module logs that no proof came (ssh sent an empty answer: PAM_AUTH_ERR)" "proof of possession failed: no proof (an empty answer)"
note "stolen token, no holder key: ssh refused in $elapsed s ($(printf '%s\n' "$slog" | grep -o 'proof of possession failed[^(]*' | head -n 1 || true))"
# the thief makes a key of his own
as_user "$T" sh -c 'umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"' \
    _ "$(store "$T")/holder.pem" 2>/dev/null
diag "$T made a holder key of his own: thumbprint $(holder_jkt "$(store "$T")/holder.pem")"
ssh_kbd "$T" 'echo e2e-ok-$(id -un)'
check "stolen token, the thief's own key: askpass signs a proof, ssh as $U refused in $elapsed s" \
    eval 'ssh_refused && in_time && grep -q "pamjwt-pop .*${TAB}0${TAB}[1-9]" "$alog"'
check_log "the module logs \"proof of possession failed\" for the wrong key" "proof of possession failed"
note "stolen token, the thief's own key: ssh refused in $elapsed s ($(printf '%s\n' "$slog" | grep -o 'proof of possession failed[^(]*' | head -n 1 || true))"

echo "# ---- token and proof in smaller pieces: PAMJWT_CHUNK=200"
ssh_kbd "$U" 'echo e2e-ok-$(id -un)' PAMJWT_CHUNK=200
read -r ch_tp ch_tmax ch_pp ch_pmax ch_other ch_bad <<<"$(pieces "$alog")"
check "ssh: PAMJWT_CHUNK=200: the token in $ch_tp pieces and the proof in $ch_pp pieces (longest answer $(( ch_tmax > ch_pmax ? ch_tmax : ch_pmax )) bytes) log in" \
    eval 'ssh_ok && [ "$ch_tp" -ge 3 ] && [ "$ch_pp" -ge 3 ] && [ "$ch_tmax" -le 200 ] && [ "$ch_pmax" -le 200 ] &&
          [ "$ch_other" = 0 ] && [ "$ch_bad" = 0 ]'
note "ssh with require_pop, PAMJWT_CHUNK=200: token in $ch_tp pieces, proof in $ch_pp pieces: $(ssh_ok && echo "logged in" || echo "FAILED, exit $rc")"
sudo_a PAMJWT_CHUNK=200
read -r ch_tp ch_tmax ch_pp ch_pmax ch_other ch_bad <<<"$(pieces "$alog")"
check "sudo -A: PAMJWT_CHUNK=200: the token in $ch_tp pieces and the proof in $ch_pp pieces run id as root" \
    eval 'sudo_said_root && [ "$ch_tp" -ge 3 ] && [ "$ch_pp" -ge 3 ] && [ "$ch_tmax" -le 200 ] && [ "$ch_pmax" -le 200 ] &&
          [ "$ch_other" = 0 ] && [ "$ch_bad" = 0 ]'
note "sudo -A with require_pop, PAMJWT_CHUNK=200: token in $ch_tp pieces, proof in $ch_pp pieces: $(sudo_said_root && echo "ran id as root" || echo "FAILED, exit $rc")"

echo "# ---- tokens from pamjwt mint under require_pop = yes"
"$pamjwt" mint --key "$tmp/keys/mint.pem" --sub "$ACCOUNT" --iss "$ISSUER" --aud "$RESOURCE" --ttl 300 \
    >"$tmp/unbound.jwt" || notok "pamjwt mint a token without cnf"
put_stored "$tmp/unbound.jwt"
show_token "$tokf" "stored token: minted, no cnf"
targets_file "local://$HOSTNAME_"
ssh_kbd "$U" 'echo e2e-ok-$(id -un)'
check "a token without cnf.jkt (aud $RESOURCE): askpass refuses to give it to ssh://127.0.0.1" \
    eval 'ssh_refused && in_time && grep -q "^(.*) Token: ${TAB}1${TAB}0\$" "$alog"'
# the user lists the host: the bearer token may go there
as_user "$U" sh -c 'mkdir -p "$HOME/.config/pamjwt" && echo "ssh://127.0.0.1" >"$HOME/.config/pamjwt/targets"'
ssh_kbd "$U" 'echo e2e-ok-$(id -un)'
check "a token without cnf.jkt: ssh refused in $elapsed s before any proof prompt" \
    eval 'ssh_refused && in_time && [ "$(pieces "$alog" | cut -d" " -f3)" = 0 ]'
check_log "the module logs that the token has no cnf.jkt" "has no cnf.jkt"
# another holder key (mint, run by root, takes root's files; the user gets a copy of his own)
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/keys/other-holder.pem" 2>/dev/null
install -m 0600 -o "$U" -g "$(id -g "$U")" "$tmp/keys/other-holder.pem" "$tmp/run/$U/other-holder.pem"
"$pamjwt" mint --key "$tmp/keys/mint.pem" --sub "$ACCOUNT" --iss "$ISSUER" --aud "$RESOURCE" --ttl 300 \
    --holder-key "$tmp/keys/other-holder.pem" >"$tmp/minted-bound.jwt" ||
    notok "pamjwt mint --holder-key"
put_stored "$tmp/minted-bound.jwt"
show_token "$tokf" "stored token: pamjwt mint --holder-key other-holder.pem"
diag "other-holder.pem: thumbprint $(holder_jkt "$tmp/keys/other-holder.pem"); the login's holder key: $jkt_holder"
check "pamjwt mint --holder-key: cnf.jkt is that key's thumbprint" \
    eval '[ "$(claim "$tokf" .cnf.jkt)" = "$(holder_jkt "$tmp/keys/other-holder.pem")" ]'
ssh_kbd "$U" 'echo e2e-ok-$(id -un)'
check "ssh: the minted bound token with the login's holder key (the wrong one) is refused" \
    eval 'ssh_refused && in_time && grep -q "pamjwt-pop .*${TAB}0${TAB}[1-9]" "$alog"'
ssh_kbd "$U" 'echo e2e-ok-$(id -un)' PAMJWT_HOLDER_KEY="$tmp/run/$U/other-holder.pem"
check "ssh: with PAMJWT_HOLDER_KEY naming its key it logs in" \
    eval 'ssh_ok && [ "$(pieces "$alog" | cut -d" " -f3)" -ge 1 ]'
note "pamjwt mint: no cnf refused before the proof prompt; --holder-key: refused with the login's key, logged in with PAMJWT_HOLDER_KEY"

# ---- summary, undo everything and check that it is undone ------------------------------

oidc_stop
echo "# ---- summary"
diag "discovery: $(printf '%s' "$discovery" | jq -c '{issuer, device_authorization_endpoint, dpop_signing_alg_values_supported}' 2>/dev/null)" \
    "tokens: long RS256 $len_long bytes; bound ES256 ${len_pop:-?} bytes" \
    "${summary[@]}" \
    "times: npm ci $OIDC_NPM_SECS s, provider start $provider_time s, whole run $(secs "$t_start") s"
cleanup_and_check "$sshd_pid" "$OIDC_PID" "$syslog_pid" "$login_pid"
[ "$(readlink /dev/log 2>/dev/null)" = "$tmp/log.sock" ] && left="$left /dev/log;" # never made outside a namespace
report_undone "processes stopped, $U and $T removed, system files as before"

echo "1..$n"
[ "$failed" -eq 0 ]
