# shellcheck shell=bash
# Shared helpers of the end-to-end tests (run.sh, oidc.sh, client.sh); sourced, bash.
# The sourcing script sets n=0 failed=0 first and provides $PY (a python3)
# for free_port and drop_btmp_records.

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

