#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The Debian packages, as an administrator meets them: build libpam-jwt and
# pamjwt with dpkg-buildpackage (in a copy of the tree under /tmp, so the
# source tree stays clean), check them with lintian (any E: or W: fails),
# install them with apt-get, run the real-sshd/sudo end-to-end test
# (tests/e2e/run.sh with E2E_INSTALLED=1) against the installed module and
# tool, enable the pam-auth-update profile, check that removal is refused
# while a hand-written PAM stack still loads the module, purge both
# packages, and check that the PAM configuration and module directories
# are exactly as before and no file of theirs is left.  TAP output.
#
#   sudo tests/deb.sh
#
# Must run as root (prints "1..0 # SKIP not root" otherwise).  Debian 12
# packages: dpkg-dev debhelper lintian, the build dependencies in
# debian/control, and those of tests/e2e/run.sh.  Refuses to run when
# libpam-jwt or pamjwt is installed already: it purges them at the end.
#
# What it changes while it runs, and undoes on exit, INT or TERM:
#   - installs and purges libpam-jwt and pamjwt (apt-get);
#   - /etc/pam.d/common-* while the profile is enabled (pam-auth-update
#     rewrites them; the purge takes the profile out again);
#   - /etc/pam.d/pamjwt-deb-test, a stack of its own (removed);
#   - a build directory /tmp/pamjwt-deb.XXXXXX (removed; kept on failure).
set -u
export LC_ALL=C DEBIAN_FRONTEND=noninteractive

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
PKGS="libpam-jwt pamjwt"
TESTSVC=/etc/pam.d/pamjwt-deb-test
MARK="# pamjwt-deb: temporary file written by tests/deb.sh; removed when it ends"

if [ "$(id -u)" != 0 ]; then
    echo "1..0 # SKIP not root"
    exit 0
fi

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
check() { # check DESCRIPTION COMMAND...
    local d=$1
    shift
    if "$@"; then ok "$d"; else notok "$d"; fi
}
diag() { printf '%s\n' "$@" | sed 's/^/# /'; }
diag_cmd() { # diag_cmd COMMAND...: "$ COMMAND" and its output as comments
    echo "# \$ $*"
    "$@" 2>&1 | sed 's/^/#   /'
}
bail() { # a step failed: the remaining tests cannot run
    notok "$1"
    shift
    [ $# -gt 0 ] && diag "$@"
    echo "1..$n"
    exit 1
}
installed() { # installed PKG: dpkg has it in any state but not-installed
    local s      # (installed, half-installed, config-files, ...)
    s=$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null) || return 1
    case $s in ?n* | "") return 1 ;; esac
    return 0
}

missing=
for p in dpkg-buildpackage dh lintian apt-get dpkg-deb pam-auth-update md5sum; do
    command -v "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -z "$missing" ] ||
    bail "build tools present" "missing:$missing (apt-get install dpkg-dev debhelper lintian)"
for p in $PKGS; do
    installed "$p" && bail "$p not installed before the test" \
        "$p is installed ($(dpkg-query -W -f='${db:Status-Abbrev}${Version}' "$p")): this test purges it at the end; purge it first"
done
if [ -e "$TESTSVC" ]; then
    grep -qF "$MARK" "$TESTSVC" || bail "$TESTSVC is free" "it exists and was not written by this test"
    rm -f "$TESTSVC"
fi

# ---- cleanup -----------------------------------------------------------------

work=
ours=    # set once apt-get installed the packages
cleanup() {
    trap '' INT TERM HUP
    rm -f "$TESTSVC"
    if [ -n "$ours" ]; then
        for p in $PKGS; do
            if installed "$p"; then
                diag "cleanup: purging $p"
                apt-get purge -y -q "$p" >/dev/null 2>&1 || dpkg --purge "$p" >/dev/null 2>&1
            fi
        done
    fi
    if [ -n "$work" ]; then
        if [ "$failed" -eq 0 ]; then rm -rf "$work"; else diag "build directory kept: $work"; fi
    fi
}
trap cleanup EXIT
trap 'echo "# interrupted"; failed=$((failed + 1)); exit 130' INT
trap 'echo "# terminated"; failed=$((failed + 1)); exit 143' TERM HUP

# ---- build -------------------------------------------------------------------

start=$(date +%s)
work=$(mktemp -d /tmp/pamjwt-deb.XXXXXX) || bail "temporary directory"
chmod 0755 "$work" # apt's _apt user reads the .deb files from here
mkdir "$work/src"
# the tree as it is, without what the build, git or an in-tree configure made
srcstate() { git -C "$top" status --porcelain --ignored 2>/dev/null | sort; }
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    src_before=$(srcstate)
    (cd "$top" && git ls-files -z -co --exclude-standard | tar --null -T - -cf -) |
        tar -C "$work/src" -xf - || bail "copy of the source tree"
else
    src_before=
    tar -C "$top" --exclude=./build --exclude=./build-asan --exclude=./build-fuzz \
        --exclude=./autom4te.cache -cf - . | tar -C "$work/src" -xf - ||
        bail "copy of the source tree"
fi
jobs=$(nproc 2>/dev/null || echo 2)
diag "\$ cd $work/src && DEB_BUILD_OPTIONS='nocheck parallel=$jobs' dpkg-buildpackage -us -uc -b"
(cd "$work/src" && DEB_BUILD_OPTIONS="nocheck parallel=$jobs" dpkg-buildpackage -us -uc -b) \
    >"$work/build.log" 2>&1
rc=$?
if [ $rc -ne 0 ]; then
    tail -n 60 "$work/build.log" | sed 's/^/#   /'
    bail "dpkg-buildpackage -us -uc -b builds the packages"
fi
changes=$(ls "$work"/pam-jwt_*_*.changes 2>/dev/null | head -n 1)
deb_lib=$(ls "$work"/libpam-jwt_*.deb 2>/dev/null | head -n 1)
deb_tool=$(ls "$work"/pamjwt_*.deb 2>/dev/null | head -n 1)
[ -n "$changes" ] && [ -n "$deb_lib" ] && [ -n "$deb_tool" ] ||
    bail "dpkg-buildpackage made libpam-jwt, pamjwt and a .changes file" "$(ls "$work")"
ok "dpkg-buildpackage -us -uc -b: $(basename "$deb_lib") $(basename "$deb_tool") ($(($(date +%s) - start)) s)"
if [ -n "$src_before" ]; then
    check "the source tree is unchanged by the build" [ "$(srcstate)" = "$src_before" ]
fi

# ---- lintian -----------------------------------------------------------------

lintian "$changes" >"$work/lintian.out" 2>&1
echo "# \$ lintian $(basename "$changes")"
grep -v 'running with root privileges is not recommended' "$work/lintian.out" | sed 's/^/#   /'
check "lintian: no errors, no warnings" \
    eval '! grep -qE "^[EW]: " "$work/lintian.out"'

# ---- what the packages hold --------------------------------------------------

# where this release puts them, as debian/rules computes it: pam.pc's
# securedir, else its libdir/security (Debian 12: /lib/<triplet>/security,
# 13: /usr/lib/<triplet>/security), and systemd.pc's unit directory
pamdir=$(pkg-config --variable=securedir pam 2>/dev/null)
[ -n "$pamdir" ] || pamdir=$(pkg-config --variable=libdir pam 2>/dev/null)/security
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null)
dpkg-deb -c "$deb_lib" | awk '{print $6}' | sed 's|^\./|/|' >"$work/lib.list"
dpkg-deb -c "$deb_tool" | awk '{print $6}' | sed 's|^\./|/|' >"$work/tool.list"
has_file() { grep -qxF "$2" "$1"; }
check "libpam-jwt holds $pamdir/pam_jwt.so" has_file "$work/lib.list" "$pamdir/pam_jwt.so"
check "neither package holds a libtool .la file" eval '! grep -q "\.la$" "$work/lib.list" "$work/tool.list"'
for f in /usr/share/pam-configs/pam_jwt /etc/security/pam_jwt.conf \
    /usr/share/man/man8/pam_jwt.8.gz /usr/share/man/man5/pam_jwt.conf.5.gz; do
    check "libpam-jwt holds $f" has_file "$work/lib.list" "$f"
done
for f in /usr/bin/pamjwt /usr/share/man/man1/pamjwt.1.gz /usr/sbin/pamjwt-jwks-refresh \
    /usr/share/man/man8/pamjwt-jwks-refresh.8.gz \
    "$unitdir/pamjwt-jwks-refresh.service" "$unitdir/pamjwt-jwks-refresh.timer" \
    "$unitdir/pamjwt-roster-sync.service" "$unitdir/pamjwt-roster-sync.timer" \
    /etc/default/pamjwt-roster-sync \
    /etc/default/pamjwt-jwks-refresh /usr/libexec/pamjwt/pamjwt-device; do
    check "pamjwt holds $f" has_file "$work/tool.list" "$f"
done
check "libpam-jwt holds no HTTP client (pamjwt-device is pamjwt's)" \
    eval '! grep -q "pamjwt-device" "$work/lib.list"'
check "libpam-jwt does not depend on libcurl" \
    eval '! dpkg-deb -f "$deb_lib" Depends | grep -q curl' 
conffiles() { dpkg-deb --ctrl-tarfile "$1" | tar -xOf - ./conffiles 2>/dev/null; }
check "conffiles: /etc/security/pam_jwt.conf (libpam-jwt), /etc/default/pamjwt-jwks-refresh and pamjwt-roster-sync (pamjwt)" \
    eval '[ "$(conffiles "$deb_lib")" = /etc/security/pam_jwt.conf ] &&
          [ "$(conffiles "$deb_tool" | sort | tr "\n" " ")" = "/etc/default/pamjwt-jwks-refresh /etc/default/pamjwt-roster-sync " ]'
dpkg-deb --fsys-tarfile "$deb_lib" | tar -xOf - ./usr/share/pam-configs/pam_jwt >"$work/profile"
check "the pam-auth-update profile is not enabled by default (Default: no)" \
    grep -qx 'Default: no' "$work/profile"
dpkg-deb --fsys-tarfile "$deb_tool" | tar -xOf - ".$unitdir/pamjwt-jwks-refresh.service" \
    >"$work/unit"
check "the service runs /usr/sbin/pamjwt-jwks-refresh" \
    grep -qx 'ExecStart=/usr/sbin/pamjwt-jwks-refresh' "$work/unit"

# ---- install -----------------------------------------------------------------

# The PAM configuration and module directories, and pam-auth-update's
# state.  Both lists leave out the files of tests/e2e/run.sh (pamjwt-e2e*):
# it checks its own cleanup, and on a shared machine another e2e run may
# come and go meanwhile.
snapshot() {
    find /etc/pam.d /lib/*/security /usr/lib/*/security /var/lib/pam -type f \
        ! -name 'pamjwt-e2e*' 2>/dev/null | sort | xargs md5sum
}
# every file or directory whose name says it is ours; not the chroots of
# tests/chroot.sh, which run_all runs at the same time
leftovers() {
    find /etc /lib /usr /var -xdev -path "${PAMJWT_CI_CACHE:-/var/cache/pamjwt-ci}" -prune -o \
        \( -iname '*pam_jwt*' -o -iname '*pamjwt*' \
        -o -iname '*pam-jwt*' \) ! -name 'pamjwt-e2e*' -print 2>/dev/null | sort
}
snapshot >"$work/before.md5"
leftovers >"$work/before.names"
diag "$(wc -l <"$work/before.md5") files in /etc/pam.d, /lib/*/security, /usr/lib/*/security, /var/lib/pam recorded"

echo "# \$ apt-get install -y ./$(basename "$deb_lib") ./$(basename "$deb_tool")"
ours=1
(cd "$work" && apt-get install -y -q "./$(basename "$deb_lib")" "./$(basename "$deb_tool")") \
    >"$work/install.out" 2>&1
rc=$?
grep -E '^(Setting up|Unpacking|E:|W:|dpkg:)' "$work/install.out" | sed 's/^/#   /'
[ $rc -eq 0 ] || { sed 's/^/#   /' "$work/install.out"; bail "apt-get install of both packages"; }
ok "apt-get install ./libpam-jwt_*.deb ./pamjwt_*.deb"
diag_cmd dpkg -L libpam-jwt
diag_cmd dpkg -L pamjwt
check "pamjwt's postinst made the device sign-in helper's system user _pamjwt (no login shell)" \
    eval 'getent passwd _pamjwt | grep -q ":/usr/sbin/nologin$"'
check "installing changes no PAM stack (/etc/pam.d as before)" \
    eval 'diff <(grep " /etc/pam.d/" "$work/before.md5") <(snapshot | grep " /etc/pam.d/") >/dev/null'
check "the profile is registered with pam-auth-update" grep -qx pam_jwt /var/lib/pam/seen
check "the refresher's timer is not enabled" \
    eval '[ ! -e /etc/systemd/system/timers.target.wants/pamjwt-jwks-refresh.timer ]'
check "the roster sync timer is not enabled" \
    eval '[ ! -e /etc/systemd/system/timers.target.wants/pamjwt-roster-sync.timer ]'
check "pamjwt recommends libnss-systemd (rosters)" \
    eval 'dpkg-deb -f "$deb_tool" Recommends | grep -q libnss-systemd'
check "pamjwt runs (pamjwt --version)" eval '/usr/bin/pamjwt --version >/dev/null'
# as installed, every setting is commented out: tokens are refused as
# "unavailable", ordinary passwords are left to the next module
decides() { # decides INPUT DECISION EXIT: pamjwt check with the default config
    local out rc
    out=$(printf '%s\n' "$1" | /usr/bin/pamjwt check 2>/dev/null)
    rc=$?
    printf '%s\n' "$out" | grep -qx "decision: $2" && [ "$rc" -eq "$3" ]
}
check "the installed configuration enables nothing: a token is 'unavailable' (exit 2)" \
    decides e30.e30.AA unavailable 2
check "... and an ordinary password is 'ignore' (left to the next module)" \
    decides hunter2 ignore 1

# ---- end to end against the installed module -----------------------------------

echo "# \$ E2E_INSTALLED=1 tests/e2e/run.sh"
E2E_INSTALLED=1 "$top/tests/e2e/run.sh" >"$work/e2e.out" 2>&1
rc=$?
e2e_bad=0
while IFS= read -r line; do
    case $line in
    "ok "*) ok "e2e (installed): ${line#ok [0-9]* - }" ;;
    "not ok "*) notok "e2e (installed): ${line#not ok [0-9]* - }"; e2e_bad=1 ;;
    1..*) ;;
    *) printf '#   %s\n' "$line" ;;
    esac
done <"$work/e2e.out"
[ $rc -eq 0 ] || [ $e2e_bad -eq 1 ] || notok "e2e (installed): tests/e2e/run.sh exit status $rc"
grep -q '^ok ' "$work/e2e.out" || notok "e2e (installed): tests/e2e/run.sh ran tests (it skipped: see above)"

# ---- the pam-auth-update profile, and removal while a stack uses the module ----

diag_cmd pam-auth-update --enable pam_jwt
check "pam-auth-update --enable pam_jwt puts the module into common-auth" \
    grep -qE '^auth[[:space:]].*[[:space:]]pam_jwt\.so[[:space:]]' /etc/pam.d/common-auth
grep -E 'pam_jwt|pam_unix' /etc/pam.d/common-auth | sed 's/^/#   common-auth: /'

printf '%s\nauth required pam_jwt.so\naccount required pam_permit.so\n' "$MARK" >"$TESTSVC"
echo "# \$ apt-get remove -y libpam-jwt     # while $TESTSVC loads pam_jwt.so"
apt-get remove -y -q libpam-jwt >"$work/remove.out" 2>&1
rc=$?
grep -E '^(libpam-jwt:|E:|dpkg:)|^ +/etc/pam.d' "$work/remove.out" | sed 's/^/#   /'
check "removal is refused while $TESTSVC loads pam_jwt.so, naming the file" \
    eval '[ $rc -ne 0 ] && grep -q "$TESTSVC:2:" "$work/remove.out"'
check "after the refused removal the module and the enabled profile are still there" \
    eval '[ -f "$pamdir/pam_jwt.so" ] && grep -q pam_jwt.so /etc/pam.d/common-auth'
rm -f "$TESTSVC"

# ---- purge ---------------------------------------------------------------------

echo "# \$ apt-get purge -y libpam-jwt pamjwt"
apt-get purge -y -q libpam-jwt pamjwt >"$work/purge.out" 2>&1
rc=$?
grep -E '^(Removing|Purging|E:|W:|dpkg:)' "$work/purge.out" | sed 's/^/#   /'
if [ $rc -eq 0 ]; then
    ok "apt-get purge -y libpam-jwt pamjwt"
else
    sed 's/^/#   /' "$work/purge.out"
    notok "apt-get purge -y libpam-jwt pamjwt"
fi
check "both packages are gone from dpkg's database" eval '! installed libpam-jwt && ! installed pamjwt'
snapshot >"$work/after.md5"
if diff -u "$work/before.md5" "$work/after.md5" >"$work/md5.diff"; then
    ok "/etc/pam.d, /lib/*/security, /usr/lib/*/security, /var/lib/pam: all $(wc -l <"$work/after.md5") files as before (md5sum)"
else
    sed 's/^/#   /' "$work/md5.diff"
    notok "/etc/pam.d, /lib/*/security, /usr/lib/*/security, /var/lib/pam: all files as before (md5sum)"
fi
check "no PAM configuration line names pam_jwt.so" \
    eval '! grep -rsE --exclude="pamjwt-e2e*" "^[^#]*pam_jwt\.so" /etc/pam.d /etc/pam.conf'
leftovers >"$work/after.names"
if diff -u "$work/before.names" "$work/after.names" >"$work/names.diff"; then
    ok "no pam_jwt/pamjwt file is left in /etc, /usr, /var"
else
    sed 's/^/#   /' "$work/names.diff"
    notok "no pam_jwt/pamjwt file is left in /etc, /usr, /var"
fi
ours=
diag "tests/deb.sh took $(($(date +%s) - start)) s"
echo "1..$n"
[ "$failed" -eq 0 ]
