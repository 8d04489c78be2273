#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# End-to-end test of groups from the token (pam_jwt.conf group_map): a real
# sshd gives an existing local user the local group a token's "groups"
# claim maps to (id over ssh shows it), a sudoers rule on that group lets
# the user run its command from that session, and sudo authenticated with
# pam_jwt adds no group to the target's command.  TAP output; the
# transcript is printed as "#" comment lines.
#
#   sudo tests/e2e/groups.sh                  # module from ../../build
#   sudo E2E_BUILD_DIR=/tmp/b tests/e2e/groups.sh
#
# Must run as root.  Debian 12 packages: openssh-server openssh-client
# sshpass sudo openssl python3 util-linux.  It runs beside the other e2e
# scripts: its own user, groups, PAM services, sudoers file, port and
# temporary directory.  What it changes while it runs, and undoes on exit,
# INT or TERM:
#   - user pjwt-grp-user (useradd, userdel -r) and groups pjwt-grp-ops and
#     pjwt-grp-other (groupadd, groupdel), and the /etc/{passwd,...}-
#     backups they rewrite;
#   - /etc/pam.d/pjwt-grp-sshd, /etc/pam.d/pjwt-grp-sudo,
#     /etc/sudoers.d/pamjwt-groups;
#   - /run/sshd (created if missing), /run/sudo/ts/pjwt-grp-user;
#   - processes: one sshd and one python3 (a syslog socket), started here
#     and stopped by PID;
#   - /tmp/pamjwt-groups.XXXXXX.
set -u

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
e2e_env
U="pjwt-grp-user"
G="pjwt-grp-ops"     # the local group the token's /admins maps to
G2="pjwt-grp-other"  # mapped from a group the token does not carry
GECOS="pam_jwt groups e2e test user"
SVC_SSHD="pjwt-grp-sshd"
SVC_SUDO="pjwt-grp-sudo"
SUDOERS=/etc/sudoers.d/pamjwt-groups
MARK="# pamjwt-groups-e2e: temporary file written by tests/e2e/groups.sh; removed when it ends"

skip_unless_ready "openssh-server openssh-client sshpass sudo openssl python3 util-linux" \
    /usr/sbin/sshd ssh ssh-keygen sshpass sudo visudo runuser useradd userdel groupadd groupdel \
    chpasswd openssl timeout unshare "$PY"

E2E_TAG=groups
syslog_pid=
groups_created=()
stop_services() {
    stop_pid "$sshd_pid"
    stop_pid "$syslog_pid"
    local g
    for g in "${groups_created[@]}"; do groupdel "$g" 2>/dev/null; done
}
cleanup_on_exit

find_built # pam_so, pamjwt_built; cd /
pamjwt=$pamjwt_built
diag "module: $pam_so" "$(ssh -V 2>&1), $(sudo -V | head -n 1)"

e2e_tmpdir
mkdir -m 0755 "$tmp/bin" "$tmp/stage"
add_group() { # a group of this run; one left by an interrupted run is removed first
    if getent group "$1" >/dev/null; then
        diag "removing group $1 left over from an interrupted run"
        groupdel "$1" || bail "group $1 is free"
    fi
    groupadd "$1" && groups_created+=("$1") || bail "groupadd $1"
}
add_group "$G"
add_group "$G2"
PASSWORD="grp-pw-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
add_user "$U" "$PASSWORD"
ok "test user $U and groups $G, $G2 created ($U is a member of neither in /etc/group)"
tx "id $U" id "$U"

start_log_ns pjwt-grp-probe
log_lines() { wc -l <"$authlog"; }
log_since() { tail -n +"$(($1 + 1))" "$authlog" | grep 'pam_jwt' | mask; }
check_log() { # check_log DESCRIPTION TEXT [absent]: the lines since $l0 hold TEXT (or not)
    local slog
    if [ -z "$have_log" ]; then
        skip "$1" "no private /dev/log"
        return
    fi
    sleep 0.3
    slog=$(log_since "$l0")
    printf '%s\n' "$slog" | sed 's/^/#   log: /'
    case $slog in
    *"$2"*) [ "${3:-}" = absent ] && notok "$1" || ok "$1" ;;
    *) [ "${3:-}" = absent ] && ok "$1" || notok "$1" ;;
    esac
}

# ---- keys, config, tokens ----------------------------------------------------------

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/signer.pem" 2>/dev/null &&
    openssl pkey -in "$tmp/signer.pem" -pubout -out "$tmp/signer.pub.pem" ||
    bail "ES256 key pair generated"
chmod 0600 "$tmp/signer.pem"
chmod 0644 "$tmp/signer.pub.pem"
cat >"$tmp/group_map" <<EOF
# IdP group (a Keycloak path, an Entra object id)   local group
/admins $G
0a1b2c3d-0000-4000-8000-000000000001 $G2
EOF
cat >"$tmp/pam_jwt.conf" <<EOF
key_file = $tmp/signer.pub.pem
allowed_subjects = $U
audience = ssh
algorithms = ES256
group_map = $tmp/group_map
EOF
chmod 0644 "$tmp/group_map" "$tmp/pam_jwt.conf"
conf=$tmp/pam_jwt.conf
diag_file "$conf"
diag_file "$tmp/group_map"

mint() { # mint NAME [--claim ...]: a token for $U in NAME.jwt
    local name=$1
    shift
    tx "pamjwt mint --key signer.pem --sub $U --aud ssh --ttl 300 $* > $name.jwt" \
        bash -c '"$0" mint --key "$1" --sub "$2" --aud ssh --ttl 300 "${@:4}" > "$3"' \
        "$pamjwt" "$tmp/signer.pem" "$U" "$tmp/$name.jwt" "$@"
    [ -s "$tmp/$name.jwt" ] || bail "token $name minted"
}
mint admins --claim 'groups=["/admins","/somewhere-else"]'
mint plain --claim 'groups=["/somewhere-else"]'

tx "pamjwt check --config pam_jwt.conf --user $U < admins.jwt" \
    bash -c '"$0" check --config "$1" --user "$2" < "$3"' "$pamjwt" "$conf" "$U" "$tmp/admins.jwt"
check "pamjwt check prints the group the token would get" eval '[ "$rc" = 0 ] && has "groups: $G"'
tx "pamjwt check --config pam_jwt.conf --user $U < plain.jwt" \
    bash -c '"$0" check --config "$1" --user "$2" < "$3"' "$pamjwt" "$conf" "$U" "$tmp/plain.jwt"
check "pamjwt check: a token without a mapped group gets none" \
    eval '[ "$rc" = 0 ] && has "groups: none"'

# ---- sshd, and sudo from the session ------------------------------------------------

put_pam_stack "$SVC_SSHD" "$conf"
put_pam_stack "$SVC_SUDO" "$conf"
cat >"$tmp/sudoers" <<EOF
$MARK
Defaults:$U pam_service=$SVC_SUDO, lecture=never, passwd_tries=1, !mail_badpass, !requiretty
%$G ALL=(root) NOPASSWD: /usr/bin/id -un
$U ALL=(root) /usr/bin/id -Gn
EOF
chmod 0440 "$tmp/sudoers"
tx "visudo -cf sudoers" visudo -cf "$tmp/sudoers"
[ "$rc" = 0 ] || bail "visudo accepts the test sudoers file"
[ -d /run/sudo ] || sudo_ts_created=rundir
[ -z "$sudo_ts_created" ] && [ ! -d /run/sudo/ts ] && sudo_ts_created=dir
[ -z "$sudo_ts_created" ] && sudo_ts_created=file
put_sysfile "$SUDOERS" 0440 <"$tmp/sudoers" || bail "write $SUDOERS"
diag_file "$SUDOERS"

start_sshd yes "${LOGNS[@]}"
ok "sshd (PAM service $SVC_SSHD) listens on 127.0.0.1:$sport, pid $sshd_pid"

REMOTE='echo "groups: $(id -Gn)"; echo "sealed: $(env | grep -c ^pam_jwt_setcred=)"; sudo -n /usr/bin/id -un 2>&1 | sed "s/^/sudo: /"'
ssh_run() { # ssh_run METHOD FILE: log in as $U with FILE's content, run $REMOTE
    local pflag=
    [ "$1" = keyboard-interactive ] && pflag="-P Token:"
    SSHPASS=$(cat "$2") tx "SSHPASS=\$(cat $(basename "$2")) sshpass -e ${pflag:+$pflag }ssh -o PreferredAuthentications=$1 -p $sport $U@127.0.0.1 '$REMOTE'" \
        timeout 30 sshpass -e $pflag ssh -F /dev/null -o StrictHostKeyChecking=no \
        -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=10 \
        -o ControlMaster=no -o ControlPath=none -o PreferredAuthentications="$1" \
        -o PubkeyAuthentication=no -o GSSAPIAuthentication=no -o NumberOfPasswordPrompts=1 \
        -p "$sport" "$U@127.0.0.1" "$REMOTE" </dev/null
}
in_group() { printf '%s\n' "$out" | grep -q "^groups: .*\b$1\b"; }
for m in password keyboard-interactive; do
    l0=$(log_lines)
    ssh_run "$m" "$tmp/admins.jwt"
    check "ssh ($m): token with /admins logs in, id shows $G in the session" \
        eval '[ "$rc" = 0 ] && in_group "$G"'
    check "ssh ($m): ... and not $G2 (the token does not carry its IdP group)" \
        eval '[ "$rc" = 0 ] && ! in_group "$G2"'
    check "ssh ($m): sudo's %$G rule lets the user run id -un as root from that session" \
        eval 'has "sudo: root"'
    check "ssh ($m): the session's environment has no pam_jwt_setcred line" eval 'has "sealed: 0"'
    check_log "ssh ($m): the module logs the group it added" "added groups $G("
    l0=$(log_lines)
    ssh_run "$m" "$tmp/plain.jwt"
    check "ssh ($m): a token without /admins logs in without $G" \
        eval '[ "$rc" = 0 ] && ! in_group "$G"'
    check "ssh ($m): ... and sudo's %$G rule does not apply" eval '! has "sudo: root"'
    l0=$(log_lines)
    printf '%s\n' "$PASSWORD" >"$tmp/password.txt"
    ssh_run "$m" "$tmp/password.txt"
    check "ssh ($m): the password (pam_unix) logs in without $G" \
        eval '[ "$rc" = 0 ] && ! in_group "$G"'
    check_log "ssh ($m): ... and pam_jwt's setcred added nothing" "setcred" absent
done

# ---- sudo authenticated with pam_jwt: the target's command gets no group -----------

l0=$(log_lines)
tx "(as $U) sudo -S -k -p '' /usr/bin/id -Gn < admins.jwt" \
    env IN="$tmp/admins.jwt" timeout -k 5 30 "${LOGNS[@]}" /bin/sh -c \
    'runuser -u "$0" -- sudo -S -k -p "" /usr/bin/id -Gn <"$IN"' "$U"
check "sudo with the token runs id -Gn as root ..." \
    eval '[ "$rc" = 0 ] && printf "%s\n" "$out" | tail -n 1 | grep -qw root'
check "... and root's command has no mapped group" \
    eval '! printf "%s\n" "$out" | tail -n 1 | grep -qw "$G"'
check_log "... the module logs that PAM_USER changed (no group added)" \
    "setcred: PAM_USER is root, not $U whom the token logged in: no group added"

# ---- the end ------------------------------------------------------------------------

cleanup_and_check "$sshd_pid" "$syslog_pid"
for g in "$G" "$G2"; do getent group "$g" >/dev/null && left="$left group $g;"; done
[ "$(readlink /dev/log 2>/dev/null)" = "$tmp/log.sock" ] && left="$left /dev/log;"
report_undone "processes stopped, $U, $G, $G2 removed, system files as before"

echo "1..$n"
[ "$failed" -eq 0 ]
