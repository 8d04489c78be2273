# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
# Shared helpers of the end-to-end tests (run.sh, oidc.sh, client.sh,
# relay.sh, device.sh, groups.sh, roster.sh); sourced, bash.  The sourcing
# script sets $here (its own directory), sources this file before anything
# else and calls e2e_env, which sets $PY (a python3) for free_port and
# drop_btmp_records.

n=0      # tests run
failed=0 # tests failed

# ---- environment and paths -------------------------------------------------

# e2e_env [--no-proxy]: the environment every suite runs in.  Exports
# LC_ALL=C, unsets PYTHONPATH and PYTHONHOME; sets top (the source tree,
# $here/../..), build (the build tree: $E2E_BUILD_DIR, else $top/build) and
# PY (Debian's python3, with its packages).  --no-proxy: a provider on
# 127.0.0.1 is never reached through a proxy (NO_PROXY and no_proxy get
# 127.0.0.1 and localhost added; npm keeps its own).  Changes only this
# shell's environment; nothing to undo.
# shellcheck disable=SC2154 # $here: set by the sourcing suite
e2e_env() {
    export LC_ALL=C
    unset PYTHONPATH PYTHONHOME
    if [ "${1:-}" = --no-proxy ]; then
        export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}"
        export no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}"
    fi
    top=$(cd "$here/../.." && pwd)
    build=${E2E_BUILD_DIR:-$here/../../build}
    PY=/usr/bin/python3
}

# ---- can this run here? -------------------------------------------------------

# skip_unless_ready "PACKAGES" COMMAND...: go on as root with every COMMAND
# on PATH; else TAP's "1..0 # SKIP" (naming the Debian PACKAGES) and exit 0.
skip_unless_ready() {
    local hint=$1 p missing=
    shift
    if [ "$(id -u)" != 0 ]; then
        echo "1..0 # SKIP not root"
        exit 0
    fi
    for p in "$@"; do
        command -v "$p" >/dev/null 2>&1 || missing="$missing $p"
    done
    if [ -n "$missing" ]; then
        echo "1..0 # SKIP missing:$missing (apt-get install $hint)"
        exit 0
    fi
}

# skip_unless_node_18: oidc-provider 8 needs node 18 or later
skip_unless_node_18() {
    local major
    major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)
    if [ "${major:-0}" -lt 18 ]; then
        echo "1..0 # SKIP node $(node --version 2>/dev/null) is older than 18 (oidc-provider 8)"
        exit 0
    fi
}

# find_built [PROGRAM...]: the module and tools of the build tree $build,
# or bail ("not ok", the plan, exit 1) when one is missing.  Sets pam_so
# (the absolute path of .libs/pam_jwt.so), pamjwt_built (of pamjwt) and
# built_dir (the build tree, absolute); each PROGRAM (pamjwt-device) must
# be an executable in built_dir too.  Bails when pam_so holds white space
# (a PAM stack cannot name it).  Then cd /: the test users' commands run
# from a directory any of them can enter.  Changes nothing else; nothing
# to undo.
find_built() {
    local p missing=
    built_dir=$(cd "$build" 2>/dev/null && pwd)
    pam_so=$(cd "$build/.libs" 2>/dev/null && pwd)/pam_jwt.so
    pamjwt_built=$built_dir/pamjwt
    [ -f "$pam_so" ] || missing=pam_jwt.so
    for p in pamjwt "$@"; do
        [ -x "$built_dir/$p" ] || missing="${missing:+$missing, }$p"
    done
    [ -z "$missing" ] ||
        bail "built module and tool found" "no $missing in E2E_BUILD_DIR=$build"
    case $pam_so in *[[:space:]]*) bail "module path has no white space (PAM cannot take it)" "$pam_so" ;; esac
    cd / || bail "cd /"
}

secs() { # secs START: seconds since START ($EPOCHREALTIME), one decimal
    awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'
}

# ---- TAP and transcript helpers ------------------------------------------

ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
check() { # check DESCRIPTION COMMAND...
    local d=$1
    shift
    if "$@"; then ok "$d"; else notok "$d"; fi
}
diag() { printf '%s\n' "$@" | sed 's/^/# /'; }
diag_file() { echo "# $1:"; sed 's/^/#     /' "$1"; }
# a token in a transcript: its start and length, not the whole thing
mask() { sed -E 's/(eyJ[A-Za-z0-9_-]{10})[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/\1...(JWT)/g'; }
# tx SHOWN COMMAND...: print "$ SHOWN", run COMMAND, print its output
# (stdout and stderr) and exit status; they stay in $out and $rc.
tx() {
    local shown=$1
    shift
    echo "# \$ $shown"
    out=$("$@" 2>&1)
    rc=$?
    [ -n "$out" ] && printf '%s\n' "$out" | mask | sed 's/^/#   /'
    echo "#   [exit $rc]"
    return 0
}
has() { case $out in *"$1"*) return 0 ;; esac; return 1; }
bail() { # a setup step failed: the remaining tests cannot run
    notok "$1"
    shift
    [ $# -gt 0 ] && diag "$@"
    echo "1..$n"
    exit 1
}

# jwt_header FILE, jwt_claims FILE: a token's decoded header / claims (JSON)
b64url_json() { tr '_-' '/+' | "$PY" -c 'import base64, sys
s = sys.stdin.read().strip()
sys.stdout.write(base64.b64decode(s + "=" * (-len(s) % 4)).decode())'; }
jwt_header() { cut -d. -f1 <"$1" | b64url_json; }
jwt_claims() { cut -d. -f2 <"$1" | b64url_json; }

# ---- processes, ports, /var/log/btmp ----------------------------------------

stop_pid() { # TERM, then KILL after 5 s; only processes this script started
    local pid=$1
    [ -n "$pid" ] || return 0
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}

free_port() { # a port on 127.0.0.1 that could be bound just now
    "$PY" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# sshd appends a record to /var/log/btmp for each failed login.  Take back
# the ones this run caused: only if every record added since the start names
# the test user (nothing else logged a failure meanwhile) and the file was
# not rotated.
drop_btmp_records() { # uses $btmp_size $btmp_inode $U
    "$PY" - "$btmp_size" "$btmp_inode" "$U" <<'PYEOF' || diag "/var/log/btmp left as it is"
import os, sys
size, inode, user = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].encode()
RECORD, USER_AT = 384, 44  # glibc struct utmp on Linux; ut_user[32] at 44
path = "/var/log/btmp"
fd = os.open(path, os.O_RDWR | os.O_NOFOLLOW)
try:
    st = os.fstat(fd)
    if st.st_ino != inode or st.st_size < size or (st.st_size - size) % RECORD:
        sys.exit(1)
    os.lseek(fd, size, os.SEEK_SET)
    added = os.read(fd, st.st_size - size)
    for i in range(0, len(added), RECORD):
        if added[i + USER_AT:i + USER_AT + 32].rstrip(b"\0") != user:
            sys.exit(1)
    os.ftruncate(fd, size)
finally:
    os.close(fd)
PYEOF
}


# ---- system state: what a run changes, undone by cleanup whatever happens ----
# The sourcing script sets $MARK (a string in every system file it writes)
# and $E2E_TAG (names its temporary files), defines stop_services (stops
# the processes it started), records the users it creates in users_created,
# and calls cleanup_on_exit before it changes anything.

tmp=
btmp_size=
btmp_inode=
sshd_pid=
users_created=()
run_sshd_shared=    # listed as a user of /run/sshd (share_run_sshd)
sudo_ts_created=
managed=()          # system files written here
declare -A saved=() # path -> saved copy (absent: remove it at the end)
cleaned=

cleanup() {
    [ -n "$cleaned" ] && return 0
    cleaned=1
    trap '' INT TERM HUP
    stop_services
    local f u
    for f in "${managed[@]}"; do
        if [ -n "${saved[$f]:-}" ]; then
            cp -a "${saved[$f]}" "$f"
        else
            rm -f "$f"
        fi
    done
    if [ ${#users_created[@]} -gt 0 ]; then
        # their ssh/sudo processes have ended; give the last session a moment
        for u in "${users_created[@]}"; do
            for _ in $(seq 20); do
                userdel -r "$u" 2>/dev/null && break
                sleep 0.25
            done
            getent passwd "$u" >/dev/null && userdel -f -r "$u" 2>/dev/null
        done
        # useradd/userdel rewrite the "-" backups: put them back when the
        # main file is what it was before (nobody else changed it meanwhile)
        for f in passwd shadow group gshadow subuid subgid; do
            if [ -f "$tmp/etc-save/$f" ] && cmp -s "/etc/$f" "$tmp/etc-save/$f"; then
                if [ -f "$tmp/etc-save/$f-" ]; then
                    cp -a "$tmp/etc-save/$f-" "/etc/$f-"
                else
                    rm -f "/etc/$f-"
                fi
            fi
        done
    fi
    [ -n "$btmp_size" ] && drop_btmp_records
    [ -n "$sudo_ts_created" ] && rm -f "/run/sudo/ts/$U"
    case $sudo_ts_created in
    dir) rmdir /run/sudo/ts 2>/dev/null ;;
    rundir) rmdir /run/sudo/ts /run/sudo 2>/dev/null ;;
    esac
    release_run_sshd
    [ -n "$tmp" ] && rm -rf "$tmp"
    return 0
}

# e2e_tmpdir: first undo what a run of this script killed with SIGKILL
# left (no trap ran): stop the processes it recorded in *.pid files, if they
# still name its directory, and remove that directory; its user and /etc
# files carry markers, handled by the script.  Then make $tmp
# (/tmp/pamjwt-$E2E_TAG.XXXXXX, root-owned, 0755: the module reads files
# there) and note what cleanup compares against: the user database's
# backups, /var/log/btmp's size, /etc/pam.d/sshd and sudo.
e2e_tmpdir() {
    local d owner pf p f script=${0##*/}
    for d in /tmp/pamjwt-"$E2E_TAG".*; do
        [ -f "$d/owner" ] || continue
        owner=$(cat "$d/owner")
        if tr '\0' ' ' <"/proc/$owner/cmdline" 2>/dev/null | grep -q "e2e/$script"; then
            bail "no other $script run in progress" "tests/e2e/$script is running as pid $owner"
        fi
        for pf in "$d"/*.pid "$d"/*/*.pid; do
            [ -f "$pf" ] || continue
            p=$(cat "$pf")
            case $p in '' | *[!0-9]*) continue ;; esac
            if { tr '\0' '\n' <"/proc/$p/cmdline"; tr '\0' '\n' <"/proc/$p/environ"; } 2>/dev/null |
                grep -qF "$d/"; then
                diag "stopping pid $p left by an earlier run ($d)"
                kill -TERM "$p" 2>/dev/null
            fi
        done
        rm -rf "$d"
    done
    tmp=$(mktemp -d /tmp/pamjwt-"$E2E_TAG".XXXXXX) || bail "temporary directory"
    echo $$ >"$tmp/owner"
    chmod 0755 "$tmp"
    mkdir -m 0700 "$tmp/saved" "$tmp/etc-save"
    for f in passwd shadow group gshadow subuid subgid; do
        [ -f "/etc/$f" ] && cp -a "/etc/$f" "$tmp/etc-save/"
        [ -f "/etc/$f-" ] && cp -a "/etc/$f-" "$tmp/etc-save/"
    done
    if [ -f /var/log/btmp ] && [ ! -L /var/log/btmp ]; then
        btmp_size=$(stat -c %s /var/log/btmp)
        btmp_inode=$(stat -c %i /var/log/btmp)
    fi
    pam_sshd_sum=$(sha256sum /etc/pam.d/sshd 2>/dev/null)
    pam_sudo_sum=$(sha256sum /etc/pam.d/sudo 2>/dev/null)
    return 0
}

# add_user NAME [PASSWORD]: a test user made by useradd with $GECOS and a
# home, its password PASSWORD or one nobody knows (only tokens log in).  A
# user NAME left by an interrupted run (same GECOS) is removed first; any
# other user of that name stops the test.
add_user() {
    local u=$1 pw=${2:-x-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')}
    if getent passwd "$u" >/dev/null; then
        if [ "$(getent passwd "$u" | cut -d: -f5)" = "$GECOS" ]; then
            diag "removing $u left over from an interrupted run"
            userdel -r "$u" 2>/dev/null || userdel -f -r "$u" 2>/dev/null
        else
            bail "test user $u is free" "a user $u exists and was not made by this script"
        fi
    fi
    useradd -l -m -c "$GECOS" -s /bin/sh "$u" && users_created+=("$u") || bail "useradd $u"
    printf '%s:%s\n' "$u" "$pw" | chpasswd || bail "chpasswd $u"
}

cleanup_on_exit() {
    trap cleanup EXIT
    trap 'echo "# interrupted"; cleanup; exit 130' INT
    trap 'echo "# terminated"; cleanup; exit 143' TERM HUP
}

# put_sysfile DEST MODE: write stdin to the system file DEST, saving what
# was there.  A file carrying $MARK is a leftover of a killed run: not saved.
put_sysfile() {
    local dest=$1 mode=$2 copy new="$1.pamjwt-$E2E_TAG-new"
    if [ -e "$dest" ] || [ -L "$dest" ]; then
        if ! grep -qF "$MARK" "$dest" 2>/dev/null; then
            copy="$tmp/saved/$(printf '%s' "$dest" | tr / _)"
            cp -a "$dest" "$copy" || return 1
            saved[$dest]=$copy
        fi
    fi
    managed+=("$dest")
    rm -f "$new"
    cat >"$new" && chmod "$mode" "$new" && chown root:root "$new" && mv -f "$new" "$dest"
}

# put_pam_stack SERVICE CONFIG [MODULE]: the stack the contract recommends,
# under a service name of the test's own (no /etc/pam.d file of the system
# is touched): pam_jwt (MODULE, by default $pam_so) decides tokens with
# CONFIG, pam_unix passwords.
put_pam_stack() {
    put_sysfile "/etc/pam.d/$1" 0644 <<EOF || bail "write /etc/pam.d/$1"
$MARK
auth    [success=done ignore=ignore default=die]  ${3:-$pam_so}  config=$2
auth    required  pam_unix.so  try_first_pass
account required  pam_unix.so
session required  pam_unix.so
EOF
}

# ---- the module's log: a syslog socket and private mount namespaces -----------

# start_log_ns PROBE: a syslog socket $tmp/log.sock whose lines go to
# $authlog (its reader's pid in $syslog_pid, for stop_services), and
# LOGNS, the command prefix that runs a command in a private mount
# namespace whose /dev is a tmpfs holding the real /dev's few nodes sshd,
# sudo and a shell need, and log -> the socket.  A line logged there with
# the tag PROBE must arrive: then $have_log is 1; if not, LOGNS is empty
# and the log-line checks are skipped.  Needs $tmp/bin and $tmp/stage.
start_log_ns() {
    local probe=$1
    authlog=$tmp/auth.log
    : >"$authlog"
    "$PY" - "$tmp/log.sock" "$authlog" >"$tmp/syslog.err" 2>&1 <<'PYEOF' &
import os, socket, sys
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
with open(out, "ab", buffering=0) as f:
    while True:
        m = s.recv(65536)
        f.write(m.rstrip(b"\0\n").replace(b"\n", b" ") + b"\n")
PYEOF
    syslog_pid=$!
    echo "$syslog_pid" >"$tmp/syslog.pid"
    for _ in $(seq 50); do
        [ -S "$tmp/log.sock" ] && break
        sleep 0.1
    done
    cat >"$tmp/bin/with-devlog" <<EOF
#!/bin/sh
# TEST ONLY (tests/e2e/$E2E_TAG.sh): run in a private mount namespace
set -e
mount -t tmpfs -o mode=0755,nosuid tmpfs '$tmp/stage'
for f in null zero full random urandom tty ptmx; do
    [ -c "/dev/\$f" ] || continue
    : >"$tmp/stage/\$f"
    mount --bind "/dev/\$f" "$tmp/stage/\$f"
done
for d in pts shm; do
    [ -d "/dev/\$d" ] || continue
    mkdir "$tmp/stage/\$d"
    mount --rbind "/dev/\$d" "$tmp/stage/\$d"
done
ln -s /proc/self/fd '$tmp/stage/fd'
ln -s /proc/self/fd/0 '$tmp/stage/stdin'
ln -s /proc/self/fd/1 '$tmp/stage/stdout'
ln -s /proc/self/fd/2 '$tmp/stage/stderr'
ln -s '$tmp/log.sock' '$tmp/stage/log'
mount --move '$tmp/stage' /dev
exec "\$@"
EOF
    chmod 0700 "$tmp/bin/with-devlog"
    LOGNS=(unshare -m --propagation private /bin/sh "$tmp/bin/with-devlog")
    if [ -S "$tmp/log.sock" ] &&
        "${LOGNS[@]}" /bin/sh -c "logger -t $probe probe-line && test -c /dev/null" 2>"$tmp/logns.err" &&
        sleep 0.3 && grep -q "$probe.*probe-line" "$authlog"; then
        ok "private mount namespaces with /dev/log -> $tmp/log.sock: the module's log lines are read here"
        have_log=1
    else
        diag "no private /dev/log ($(cat "$tmp/logns.err" "$tmp/syslog.err" 2>/dev/null | head -n 3)):" \
            "the log-line checks are skipped"
        skip "private mount namespaces with a /dev/log socket" "unshare or the socket does not work here"
        LOGNS=()
        have_log=
    fi
}

# ---- the client's tools ---------------------------------------------------------

# install_client_tools: pamjwt and pamjwt-askpass in $tmp/bin, where the
# test users can run them (a build tree may sit in a directory they cannot
# enter).  Sets pamjwt ($tmp/bin/pamjwt, a copy of $pamjwt_built, see
# find_built) and ASKPASS ($tmp/bin/pamjwt-askpass, made from
# conf/pamjwt-askpass.in the way the Makefile makes the installed one, with
# bindir = $tmp/bin).  Needs $tmp/bin.  Bails when either fails.  Both go
# with $tmp; nothing else to undo.
install_client_tools() {
    pamjwt=$tmp/bin/pamjwt
    ASKPASS=$tmp/bin/pamjwt-askpass
    cp "$pamjwt_built" "$pamjwt" && chmod 0755 "$pamjwt" || bail "pamjwt copied to $tmp/bin"
    sed -e "s|@bindir[@]|$tmp/bin|g" "$top/conf/pamjwt-askpass.in" >"$ASKPASS" &&
        chmod 0755 "$ASKPASS" || bail "pamjwt-askpass made from conf/pamjwt-askpass.in"
}

# ---- the OpenID provider (oidc/fixture.sh, sourced by the suite) -----------------

# provider_install [--bare]: oidc-provider installed by npm ci into
# $tmp/oidc ("ok", naming its version unless --bare), then the test CA and
# the server certificate (oidc_pki); sets CA (the CA certificate).  Bails
# when either fails.  All of it goes with $tmp; nothing else to undo.
provider_install() {
    local v=
    oidc_install "$tmp/oidc" ||
        bail "npm ci installed oidc-provider (needs the npm registry or npm's cache)"
    [ "${1:-}" = --bare ] ||
        v=" $(node -p 'require(process.argv[1]).version' "$OIDC_DIR/node_modules/oidc-provider/package.json")"
    ok "npm ci installed oidc-provider$v in $OIDC_NPM_SECS s"
    oidc_pki || bail "test CA and server certificate made"
    # shellcheck disable=SC2034 # CA: read by the suite
    CA=$OIDC_CA
}

# provider_start SET [--timed]: the provider started with the private JWK
# Set SET (made by oidc_keyset), or bail with its log; "ok" naming the
# issuer and the pid (with --timed also the start-up time, kept in
# provider_time).  Sets ISSUER.  The process, $OIDC_PID, is stopped by the
# suite's stop_services (stop_pid "$OIDC_PID").
provider_start() {
    local t0=$EPOCHREALTIME up=
    oidc_start "$1" || bail "provider started" "$(cat "$OIDC_DIR/provider.log")"
    if [ "${2:-}" = --timed ]; then
        provider_time=$(secs "$t0")
        up=", up in $provider_time s"
    fi
    ISSUER=$OIDC_ISSUER
    ok "provider (oidc-provider) listens: issuer $ISSUER, pid $OIDC_PID$up"
}

# ---- sshd --------------------------------------------------------------------

# sshd needs its privilege separation directory /run/sshd, which a fresh
# machine (no sshd ever started) lacks.  The e2e suites run in parallel and
# share it.  Each one, from its first sshd to its cleanup, is listed (by
# pid) in $RUN_SSHD_USERS; whoever finds /run/sshd missing creates it and
# marks it there; the last suite out (no other live pid listed) removes a
# directory a suite created, never one that was there before.  Both steps
# hold an exclusive lock on $RUN_SSHD_LOCK, opened in a subshell only, so
# no process started here inherits it.
RUN_SSHD_LOCK=/run/pamjwt-e2e-sshd.lock
RUN_SSHD_USERS=/run/pamjwt-e2e-sshd.users
share_run_sshd() {
    [ -n "$run_sshd_shared" ] && [ -d /run/sshd ] && return 0
    (
        flock -x 9 || exit 1
        mkdir -p -m 0700 "$RUN_SSHD_USERS" && : >"$RUN_SSHD_USERS/$$" || exit 1
        if [ ! -d /run/sshd ]; then
            mkdir -m 0755 /run/sshd && : >"$RUN_SSHD_USERS/created"
        fi
        [ -d /run/sshd ]
    ) 9>>"$RUN_SSHD_LOCK" || bail "/run/sshd exists (shared by the e2e suites)"
    run_sshd_shared=1
}
release_run_sshd() {
    [ -n "$run_sshd_shared" ] || return 0
    (
        flock -x 9 || exit 1
        rm -f "$RUN_SSHD_USERS/$$"
        for f in "$RUN_SSHD_USERS"/[0-9]*; do # a killed suite's entry
            [ -f "$f" ] && ! kill -0 "${f##*/}" 2>/dev/null && rm -f "$f"
        done
        for f in "$RUN_SSHD_USERS"/[0-9]*; do
            [ -f "$f" ] && exit 0 # another suite still needs it
        done
        if [ -f "$RUN_SSHD_USERS/created" ]; then
            rmdir /run/sshd 2>/dev/null
            rm -f "$RUN_SSHD_USERS/created"
        fi
        rmdir "$RUN_SSHD_USERS" 2>/dev/null
        exit 0
    ) 9>>"$RUN_SSHD_LOCK"
    run_sshd_shared=
}

# start_sshd yes|no [WRAPPER...]: a private sshd for PAM service $SVC_SSHD
# on a free port of 127.0.0.1 ($sport, pid $sshd_pid), only $U allowed,
# keyboard-interactive on and the password method as asked; WRAPPER... runs
# it (a log namespace).  The test cannot go on without it: bails.
start_sshd() {
    local password=$1 ready=
    shift
    share_run_sshd
    ssh-keygen -q -t ed25519 -N '' -C "pamjwt-$E2E_TAG" -f "$tmp/ssh_host_ed25519_key" ||
        bail "ssh host key generated"
    # sshd re-executes itself by the absolute path in argv[0]; OpenSSH 9.2
    # (Debian 12) takes its PAM service name from its basename: a symlink
    # gives it a service of its own
    ln -s /usr/sbin/sshd "$tmp/$SVC_SSHD"
    for _ in 1 2 3; do # a port taken meanwhile: try another
        sport=$(free_port)
        cat >"$tmp/sshd_config" <<EOF
ListenAddress 127.0.0.1:$sport
HostKey $tmp/ssh_host_ed25519_key
PidFile $tmp/sshd.pid
UsePAM yes
KbdInteractiveAuthentication yes
PasswordAuthentication $password
PubkeyAuthentication no
HostbasedAuthentication no
GSSAPIAuthentication no
AuthorizedKeysFile none
PermitRootLogin no
PermitEmptyPasswords no
AllowUsers $U
PermitTTY no
X11Forwarding no
AllowTcpForwarding no
AllowAgentForwarding no
PermitTunnel no
UseDNS no
PrintMotd no
PrintLastLog no
StrictModes no
MaxAuthTries 3
LoginGraceTime 30
LogLevel VERBOSE
EOF
        # OpenSSH 9.8 and later (Debian 13: 10.0) take it from PAMServiceName
        # instead (default "sshd", whatever the program is called; the same
        # as -o PAMServiceName=...); Debian 12's 9.2 has no such keyword
        "$tmp/$SVC_SSHD" -T -f "$tmp/sshd_config" 2>/dev/null | grep -q '^pamservicename ' &&
            echo "PAMServiceName $SVC_SSHD" >>"$tmp/sshd_config"
        "$tmp/$SVC_SSHD" -t -f "$tmp/sshd_config" 2>"$tmp/sshd-t.log" ||
            bail "sshd -t accepts the test sshd_config" "$(cat "$tmp/sshd-t.log")"
        "$@" "$tmp/$SVC_SSHD" -D -e -f "$tmp/sshd_config" >"$tmp/sshd.log" 2>&1 </dev/null &
        sshd_pid=$!
        for _ in $(seq 100); do # at most 20 s
            grep -q "Server listening on 127.0.0.1 port $sport" "$tmp/sshd.log" && { ready=1; break; }
            kill -0 "$sshd_pid" 2>/dev/null || break
            sleep 0.2
        done
        [ -n "$ready" ] && break
        stop_pid "$sshd_pid"
        sshd_pid=
        grep -q "Address already in use" "$tmp/sshd.log" || break
    done
    [ -n "$ready" ] || bail "sshd started" "$(cat "$tmp/sshd.log")"
}

# ---- sudo ----------------------------------------------------------------------

# put_sudoers: the drop-in $SUDOERS (checked by visudo first) that gives $U
# "sudo id" through PAM service $SVC_SUDO, one password try, no lecture.
put_sudoers() {
    cat >"$tmp/sudoers" <<EOF
$MARK
Defaults:$U pam_service=$SVC_SUDO, lecture=never, passwd_tries=1, !mail_badpass, !requiretty
$U ALL=(root) /usr/bin/id
EOF
    chmod 0440 "$tmp/sudoers"
    tx "visudo -cf sudoers" visudo -cf "$tmp/sudoers"
    [ "$rc" = 0 ] || bail "visudo accepts the test sudoers file"
    # sudo keeps a time stamp file per user under /run/sudo/ts (made on first use)
    if [ ! -d /run/sudo ]; then
        sudo_ts_created=rundir
    elif [ ! -d /run/sudo/ts ]; then
        sudo_ts_created=dir
    else
        sudo_ts_created=file
    fi
    put_sysfile "$SUDOERS" 0440 <"$tmp/sudoers" || bail "write $SUDOERS"
    diag_file "$SUDOERS"
}

# sudo_as FILE: $U runs "sudo id -un", FILE on sudo's standard input
sudo_as() {
    tx "runuser -u $U -- sudo -S -k -p '' /usr/bin/id -un < $(basename "$1")" \
        bash -c 'timeout 30 runuser -u "$1" -- sudo -S -k -p "" /usr/bin/id -un < "$0"' "$1" "$U"
}
sudo_ok() { sudo_as "$1"; [ "$rc" = 0 ] && [ "$(printf '%s\n' "$out" | tail -n 1)" = root ]; }
sudo_refused() { sudo_as "$1"; [ "$rc" = 1 ] && has "incorrect password attempt"; }

# ---- the end: everything undone? ----------------------------------------------

# cleanup_and_check PID...: run cleanup, then list in $left what it should
# have undone and did not ("" when nothing): the processes given, sshd's
# per-connection processes, $U and the other users created and their homes,
# sudo's timestamp, the system files written, /etc/pam.d/sshd and sudo
# (against $pam_sshd_sum and $pam_sudo_sum), $tmp.
cleanup_and_check() {
    local p f u
    cleanup
    left=
    for p in "$@"; do [ -n "$p" ] && kill -0 "$p" 2>/dev/null && left="$left process $p;"; done
    # sshd's per-connection processes end with their sessions (give them 5 s)
    for _ in $(seq 25); do
        pgrep -x "$SVC_SSHD" >/dev/null || break
        sleep 0.2
    done
    p=$(pgrep -x "$SVC_SSHD" | tr '\n' ' ')
    [ -n "$p" ] && left="$left sshd processes $p;"
    for u in "$U" "${users_created[@]}"; do
        getent passwd "$u" >/dev/null && left="$left user $u;"
        [ -e "/home/$u" ] && left="$left /home/$u;"
    done
    [ -e "/run/sudo/ts/$U" ] && left="$left /run/sudo/ts/$U;"
    for f in "${managed[@]}"; do
        # a saved file is back (without the marker); a new one is gone
        if [ -n "${saved[$f]:-}" ]; then
            grep -qF "$MARK" "$f" 2>/dev/null && left="$left $f not restored;"
        else
            [ -e "$f" ] && left="$left $f;"
        fi
    done
    [ "$(sha256sum /etc/pam.d/sshd 2>/dev/null)" = "$pam_sshd_sum" ] || left="$left /etc/pam.d/sshd changed;"
    [ "$(sha256sum /etc/pam.d/sudo 2>/dev/null)" = "$pam_sudo_sum" ] || left="$left /etc/pam.d/sudo changed;"
    [ -e "$tmp" ] && left="$left $tmp;"
    return 0
}

# report_undone WHAT: "ok - cleanup: WHAT" when $left is empty, else not ok
# with what is left
report_undone() {
    if [ -z "$left" ]; then
        ok "cleanup: $1"
    else
        notok "cleanup: $1"
        diag "left:$left"
    fi
}
