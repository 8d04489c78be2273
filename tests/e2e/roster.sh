#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# End-to-end test of rosters (contract "Users and groups from a roster"): a
# user who exists only in a signed roster, applied by `pamjwt roster apply`
# as systemd user records in /etc/userdb (served by nss-systemd), logs in
# over a real sshd with a token, has the roster's group in the session, and
# runs a command through a `%group` sudoers rule; once the roster drops
# them they are refused at once (logged "locked").  Rolled-back, forged and
# hostile rosters change nothing.  TAP output; the transcript is printed as
# "#" lines.
#
#   sudo tests/e2e/roster.sh                  # module from ../../build
#   sudo E2E_BUILD_DIR=/tmp/be tests/e2e/roster.sh
#
# Must run as root.  Debian 12 packages: openssh-server openssh-client sudo
# sshpass openssl libnss-systemd python3 util-linux procps.
#
# What it changes while it runs, and undoes on exit, INT or TERM:
#   - /etc/userdb/pjwt-ros-* records (the files the roster wrote: the
#     state's manifest), and /etc/userdb itself when it was not there;
#   - /etc/nsswitch.conf, only when its passwd or group line lacks systemd
#     (then saved and put back);
#   - a local user pjwt-ros-local (useradd, uid in the roster range: the
#     "uid of a local user" case), removed with userdel;
#   - /etc/pam.d/pjwt-ros-sshd, /etc/pam.d/pjwt-ros-sudo,
#     /etc/sudoers.d/pamjwt-roster;
#   - /run/sshd (created if missing), /run/sudo/ts/pjwt-ros-user;
#   - processes: one sshd, one python3 (a syslog socket);
#   - /tmp/pamjwt-roster.XXXXXX (the roster's state directory lives there).
set -u

t_start=$EPOCHREALTIME
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
e2e_env
U="pjwt-ros-user"  # exists only in the roster
G="pjwt-ros-devs"  # the roster's group, named in sudoers
L="pjwt-ros-local" # a local user whose uid a hostile roster takes
GECOS="pam_jwt roster e2e test user"
SVC_SSHD="pjwt-ros-sshd"
SVC_SUDO="pjwt-ros-sudo"
SUDOERS=/etc/sudoers.d/pamjwt-roster
MARK="# pamjwt-roster-e2e: temporary file written by tests/e2e/roster.sh; removed when it ends"
ISS="https://idp.roster.example"
SUB="roster-e2e-sub-1"
UID_U=299901 GID_G=299950 UID_L=299902
USERDB=/etc/userdb

skip_unless_ready "openssh-server openssh-client sudo sshpass openssl libnss-systemd python3 util-linux procps" \
    /usr/sbin/sshd ssh ssh-keygen sudo visudo runuser useradd userdel sshpass setsid unshare \
    openssl timeout getent ps pgrep "$PY"
if ! ls /lib/*/libnss_systemd.so.2 /usr/lib/*/libnss_systemd.so.2 >/dev/null 2>&1; then
    echo "1..0 # SKIP libnss-systemd is not installed (apt-get install libnss-systemd)"
    exit 0
fi

E2E_TAG=roster
syslog_pid=
userdb_created=
stop_services() {
    stop_pid "$sshd_pid"
    stop_pid "$syslog_pid"
    remove_roster_files
}
# the records the roster wrote (its manifest), and /etc/userdb if it is ours
remove_roster_files() {
    local f
    [ -n "$tmp" ] && [ -f "$tmp/state/state.json" ] || return 0
    "$PY" -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1])).get("files", [])))' \
        "$tmp/state/state.json" 2>/dev/null | while IFS= read -r f; do
        case $f in pjwt-ros-* | [0-9]*.user | [0-9]*.group) rm -f "$USERDB/$f" ;; esac
    done
    rm -rf "$USERDB"/.pamjwt-roster.* 2>/dev/null
    [ -n "$userdb_created" ] && rmdir "$USERDB" 2>/dev/null
    return 0
}
cleanup_on_exit

find_built # pam_so, pamjwt_built; cd /
pamjwt=$pamjwt_built
diag "module: $pam_so" "$(ssh -V 2>&1), $(sudo -V | head -n 1), $(dpkg-query -W libnss-systemd 2>/dev/null)"

e2e_tmpdir
mkdir -m 0755 "$tmp/etc" "$tmp/bin" "$tmp/stage" "$tmp/state"
etc=$tmp/etc
for id in $UID_U $GID_G $UID_L; do
    getent passwd "$id" >/dev/null || getent group "$id" >/dev/null &&
        bail "ids $UID_U $GID_G $UID_L are free" "$id is taken on this host"
done
getent passwd "$U" >/dev/null && bail "$U does not exist yet" "a user $U exists (an interrupted run?)"
[ -d "$USERDB" ] || { mkdir -m 0755 "$USERDB" && userdb_created=1; } || bail "mkdir $USERDB"

# nss-systemd must be asked: systemd on the passwd and group lines
if ! grep -Eq '^passwd:.*[[:space:]]systemd([[:space:]]|$)' /etc/nsswitch.conf ||
    ! grep -Eq '^group:.*[[:space:]]systemd([[:space:]]|$)' /etc/nsswitch.conf; then
    sed -E '/^(passwd|group):/{/[[:space:]]systemd([[:space:]]|$)/!s/$/ systemd/}' /etc/nsswitch.conf |
        { echo "$MARK"; cat; } | put_sysfile /etc/nsswitch.conf 0644 || bail "systemd added to nsswitch.conf"
    diag "added systemd to the passwd and group lines of /etc/nsswitch.conf (restored at the end)"
fi
diag "$(grep -E '^(passwd|group):' /etc/nsswitch.conf)"

# a local user whose uid lies in the roster's range
useradd -l -M -N -u "$UID_L" -c "$GECOS" -s /usr/sbin/nologin "$L" && users_created+=("$L") ||
    bail "useradd $L"

# ---- keys, config --------------------------------------------------------------

for k in roster forger signer; do
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/$k.pem" 2>/dev/null
    openssl pkey -in "$tmp/$k.pem" -pubout -out "$etc/$k.pub" 2>/dev/null
    chmod 0600 "$tmp/$k.pem"
done
conf=$etc/pam_jwt.conf
cat >"$conf" <<EOF
issuer = $ISS
key_file = $etc/signer.pub
algorithms = ES256
roster = yes
roster_key_file = $etc/roster.pub
roster_state_dir = $tmp/state
EOF
diag_file "$conf"

# roster SERIAL USERS GROUPS > FILE.json
roster_json() {
    printf '{"serial": %s, "users": [%s], "groups": [%s]}\n' "$1" "$2" "$3"
}
USER_U="{\"name\": \"$U\", \"uid\": $UID_U, \"iss\": \"$ISS\", \"sub\": \"$SUB\", \"groups\": [\"$G\"], \"real_name\": \"Roster E2E\", \"shell\": \"/bin/sh\"}"
GROUP_G="{\"name\": \"$G\", \"gid\": $GID_G}"
sign() { # sign NAME KEY: NAME.json -> NAME.jws
    tx "pamjwt roster sign --key $2.pem $1.json > $1.jws" \
        bash -c '"$0" roster sign --key "$1" "$2" > "$3"' "$pamjwt" "$tmp/$2.pem" "$tmp/$1.json" "$tmp/$1.jws"
}
apply() { # apply NAME
    tx "pamjwt roster apply --config pam_jwt.conf $1.jws" "$pamjwt" roster apply --config "$conf" "$tmp/$1.jws"
}
snapshot() { # the roster's records and state, names and contents
    (cd "$USERDB" && find . -name '*pjwt-ros*' -o -name "$UID_U.*" -o -name "$GID_G.*" -o -name "$UID_L.*" | sort |
        while read -r f; do printf '%s %s ' "$f" "$(readlink "$f")"; [ -L "$f" ] || sha256sum <"$f"; echo; done
     cd "$tmp/state" && find . -type f | sort | xargs -r sha256sum)
}

roster_json 1 "$USER_U" "$GROUP_G" >"$tmp/r1.json"
sign r1 roster
[ "$rc" = 0 ] || bail "roster signed"
apply r1
check "pamjwt roster apply: exit 0, says what it added" eval '[ "$rc" = 0 ] && has "added user $U" && has "added group $G"'
diag "$(ls -l "$USERDB" | grep pjwt-ros)"
tx "getent passwd $U" getent passwd "$U"
check "getent passwd $U: the roster user, uid $UID_U, home /home/$U (nss-systemd)" \
    eval 'has "$U:x:$UID_U:$UID_U:Roster E2E:/home/$U:/bin/sh"'
tx "getent group $G" getent group "$G"
check "getent group $G: gid $GID_G" eval 'has "$G:x:$GID_G:"'
tx "id $U" id "$U"
check "id $U: groups $U and $G (the .membership file)" eval 'has "uid=$UID_U($U)" && has "$GID_G($G)"'

# ---- the log, PAM, sshd, sudo ---------------------------------------------------

start_log_ns pjwt-ros-probe
log_lines() { wc -l <"$authlog"; }
put_pam_stack "$SVC_SSHD" "$conf"
put_pam_stack "$SVC_SUDO" "$conf"
start_sshd no "${LOGNS[@]}"
port=$sport
ok "sshd (PAM service $SVC_SSHD) listens on 127.0.0.1:$port"

cat >"$tmp/sudoers" <<EOF
$MARK
Defaults:%$G pam_service=$SVC_SUDO, lecture=never, passwd_tries=1, !mail_badpass, !requiretty
%$G ALL=(root) /usr/bin/id
EOF
chmod 0440 "$tmp/sudoers"
visudo -cf "$tmp/sudoers" >/dev/null || bail "visudo accepts the test sudoers file"
if [ ! -d /run/sudo ]; then sudo_ts_created=rundir
elif [ ! -d /run/sudo/ts ]; then sudo_ts_created=dir
else sudo_ts_created=file; fi
put_sysfile "$SUDOERS" 0440 <"$tmp/sudoers" || bail "write $SUDOERS"
diag_file "$SUDOERS"

mint() { # mint NAME SUB
    "$pamjwt" mint --key "$tmp/signer.pem" --iss "$ISS" --sub "$2" --ttl 300 >"$tmp/$1.jwt"
}
mint valid "$SUB"
mint stranger "someone-else"

ssh_login() { # ssh_login FILE: keyboard-interactive with the token, runs id
    SSHPASS=$(cat "$1") tx "sshpass -P Token: ssh $U@127.0.0.1 'echo e2e-ok; id'" \
        timeout 30 sshpass -e -P Token: \
        ssh -F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
        -o LogLevel=ERROR -o ConnectTimeout=10 -o ControlMaster=no -o ControlPath=none \
        -o PreferredAuthentications=keyboard-interactive -o PubkeyAuthentication=no \
        -o GSSAPIAuthentication=no -o NumberOfPasswordPrompts=1 \
        -p "$port" "$U@127.0.0.1" 'echo e2e-ok; id' </dev/null
}
before=$(log_lines)
ssh_login "$tmp/valid.jwt"
check "ssh: $U, who exists only in the roster, logs in with a token on the first try" \
    eval '[ "$rc" = 0 ] && has e2e-ok'
check "ssh: id in the session shows the roster group $G" eval 'has "$GID_G($G)"'
ssh_login "$tmp/stranger.jwt"
check "ssh: a token of another subject is refused for $U" eval '! has e2e-ok'

printf '%s\n' "$(cat "$tmp/valid.jwt")" >"$tmp/sudo.in"
tx "runuser -u $U -- sudo -S -k -p '' /usr/bin/id -un < valid.jwt" \
    bash -c 'timeout 30 runuser -u "$1" -- sudo -S -k -p "" /usr/bin/id -un < "$0"' "$tmp/sudo.in" "$U"
check "sudo: the %$G rule lets $U run id with a token (id -un says root)" \
    eval '[ "$rc" = 0 ] && [ "$(printf "%s\n" "$out" | tail -n 1)" = root ]'

# ---- rosters that change nothing -------------------------------------------------

s0=$(snapshot)
unchanged() { [ "$(snapshot)" = "$s0" ]; }
roster_json 1 "$USER_U" "$GROUP_G" >"$tmp/rollback.json"
sign rollback roster
apply rollback
check "a roster with the same serial (rollback) is refused and changes nothing" \
    eval '[ "$rc" = 1 ] && has "no rollback" && unchanged'
roster_json 3 "$USER_U, {\"name\": \"pjwt-ros-x\", \"uid\": $UID_L, \"iss\": \"$ISS\", \"sub\": \"x\"}" "$GROUP_G" >"$tmp/localuid.json"
sign localuid roster
apply localuid
check "a roster giving the uid of local user $L is refused and changes nothing" \
    eval '[ "$rc" = 1 ] && has "already belongs to $L" && unchanged'
roster_json 3 "$USER_U, {\"name\": \"root\", \"uid\": 299903, \"iss\": \"$ISS\", \"sub\": \"r\"}" "$GROUP_G" >"$tmp/root.json"
"$pamjwt" roster sign --key "$tmp/roster.pem" "$tmp/root.json" >"$tmp/root.jws" 2>/dev/null
apply root
check "a roster naming root is refused and changes nothing" \
    eval '[ "$rc" = 1 ] && has "named root" && unchanged'
roster_json 3 "$USER_U, {\"name\": \"pjwt-ros-z\", \"uid\": 0, \"iss\": \"$ISS\", \"sub\": \"z\"}" "$GROUP_G" >"$tmp/uid0.json"
# sign refuses it too: sign by hand what a careless signer could make
"$PY" - "$tmp/roster.pem" "$tmp/uid0.json" "$tmp/uid0.jws" <<'PYEOF'
import base64, json, subprocess, sys
def b64(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
h = b64(json.dumps({"alg": "ES256", "typ": "pamjwt-roster+jwt"}).encode())
p = b64(json.dumps(json.load(open(sys.argv[2]))).encode())
der = subprocess.run(["openssl", "dgst", "-sha256", "-sign", sys.argv[1]], input=(h + "." + p).encode(),
                     capture_output=True, check=True).stdout
# DER ECDSA signature -> r||s
i = 2 + (1 if der[1] & 0x80 else 0)
def intg(i):
    l = der[i + 1]; v = der[i + 2:i + 2 + l]; return int.from_bytes(v, "big"), i + 2 + l
r, i = intg(i); s, _ = intg(i)
open(sys.argv[3], "w").write(h + "." + p + "." + b64(r.to_bytes(32, "big") + s.to_bytes(32, "big")) + "\n")
PYEOF
apply uid0
check "a roster with uid 0 is refused and changes nothing" eval '[ "$rc" = 1 ] && has "uid" && unchanged'
roster_json 3 "$USER_U" "$GROUP_G" >"$tmp/forged.json"
sign forged forger
apply forged
check "a roster signed by another key is refused and changes nothing" \
    eval '[ "$rc" = 1 ] && has "bad signature" && unchanged'

# ---- the user leaves -----------------------------------------------------------

roster_json 4 "" "$GROUP_G" >"$tmp/r4.json"
sign r4 roster
apply r4
check "a roster without $U: applied, $U locked" eval '[ "$rc" = 0 ] && has "locked user $U"'
before=$(log_lines)
ssh_login "$tmp/valid.jwt"
sleep 0.3
slog=$(tail -n +"$((before + 1))" "$authlog" | mask)
check "ssh: $U, dropped from the roster, is refused at once" eval '! has e2e-ok'
if [ -n "$have_log" ]; then
    case $slog in *"roster user $U is locked"*) ok "the module logged \"locked\"" ;;
    *) notok "the module logged \"locked\""; diag "$slog" ;; esac
else
    skip "the module logged \"locked\"" "no private /dev/log"
fi
tx "getent passwd $U" getent passwd "$U"
check "$U stays known to NSS while locked (uid $UID_U kept)" eval 'has "$U:x:$UID_U"'

# ---- the end --------------------------------------------------------------------

cleanup_and_check "$sshd_pid" "$syslog_pid"
ls "$USERDB" 2>/dev/null | grep -q pjwt-ros && left="$left $USERDB/pjwt-ros-*;"
grep -qF "$MARK" /etc/nsswitch.conf && left="$left /etc/nsswitch.conf not restored;"
report_undone "records, users, sshd, sudoers, nsswitch.conf and $tmp removed or restored"
echo "1..$n"
diag "roster.sh took $(secs "$t_start") s"
[ "${failed:-0}" = 0 ]
