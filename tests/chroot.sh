#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The tree on other Debian releases and architectures, each in a chroot made
# with debootstrap --variant=minbase:
#   trixie-amd64   Debian 13, amd64: the build dependencies from Debian 13
#                  (apt-get build-dep), configure and make with -Werror,
#                  make check, dpkg-buildpackage -us -uc -b, lintian (any E:
#                  or W: fails), apt-get install of both packages, what they
#                  hold and where, apt-get purge without a warning.
#   bookworm-i386  Debian 12, i386 (32-bit): build with -Werror, make check.
# TAP output (ok N / not ok N, one line per step; make check's summary as
# "#" lines).
#
#   sudo tests/chroot.sh [TARGET...]        (default: both)
#
# Needs root, debootstrap and the Debian archive (http://deb.debian.org, or
# PAMJWT_CI_MIRROR) the first time and once a week; without one of them a
# target prints "not run: chroot-TARGET (reason)" and a "not ok" line, and
# the exit status is 2 (1 when a step that ran failed, 0 when all passed).
#
# Cache (PAMJWT_CI_CACHE, default /var/cache/pamjwt-ci), per TARGET:
#   TARGET/base   the debootstrap root file system, made again when older
#                 than 7 days;
#   TARGET/deps   base with the build dependencies installed, made again
#                 when base is newer or debian/control's hash changed
#                 (TARGET/deps.key).
# Each run copies deps to a work directory CACHE/run.XXXXXX, mounts /proc and
# /dev there, copies the source tree in (the files git knows, without
# build directories) and removes all of it at the end, also on failure,
# INT or TERM.  The cache stays.
set -u
export LC_ALL=C DEBIAN_FRONTEND=noninteractive

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
CACHE=${PAMJWT_CI_CACHE:-/var/cache/pamjwt-ci}
MIRROR=${PAMJWT_CI_MIRROR:-http://deb.debian.org/debian}
MAXAGE_DAYS=7
JOBS=${PAMJWT_CI_JOBS:-2}
# -Werror is the point; PAMJWT_CI_CFLAGS='-O2 -g' lists make check's
# failures past a warning, to diagnose
CFLAGS_CI=${PAMJWT_CI_CFLAGS:--O2 -g -Werror}
targets=${*:-trixie-amd64 bookworm-i386}

n=0
failed=0
notrun=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
diag() { printf '%s\n' "$@" | sed 's/^/# /'; }
now() { date +%s; }

# ---- cleanup: mounts and work directories ------------------------------------

mounts=()  # mount points, innermost last
works=()   # work directories to remove
cleanup() {
    trap '' INT TERM HUP
    local i
    for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
        umount -R "${mounts[$i]}" 2>/dev/null || umount -lR "${mounts[$i]}" 2>/dev/null
    done
    mounts=()
    for w in "${works[@]}"; do
        # never remove a directory that still has something mounted below it
        if grep -q " $w/" /proc/self/mounts; then
            echo "# cleanup: $w still has mounts, left in place" >&2
        else
            rm -rf --one-file-system "$w"
        fi
    done
    works=()
}
trap cleanup EXIT
trap 'echo "# interrupted"; exit 130' INT
trap 'echo "# terminated"; exit 143' TERM HUP

# mount_in ROOT: /proc and /dev (with /dev/pts, /dev/shm) inside ROOT
mount_in() {
    mount -t proc proc "$1/proc" || return 1
    mounts+=("$1/proc")
    mount --rbind /dev "$1/dev" || return 1
    mounts+=("$1/dev")
    # unmounting it later must not unmount the host's /dev/pts, /dev/shm
    mount --make-rslave "$1/dev"
}
umount_in() {
    local keep=() m
    for m in "${mounts[@]}"; do
        case $m in
        "$1"/*) umount -R "$m" 2>/dev/null || umount -lR "$m" ;;
        *) keep+=("$m") ;;
        esac
    done
    mounts=("${keep[@]}")
}

# in ROOT ARCH COMMAND...: run COMMAND (a shell script) in the chroot, as
# that architecture (uname -m says i686 in an i386 chroot)
in_root() {
    local root=$1 arch=$2
    shift 2
    local pers=()
    [ "$arch" = i386 ] && pers=(setarch i686)
    "${pers[@]}" chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive /bin/sh -c "$*"
}

# ---- what makes a cache stale ------------------------------------------------

older_than_maxage() { # PATH: true when PATH is missing or older than MAXAGE_DAYS
    [ -e "$1" ] || return 0
    [ -n "$(find "$1" -maxdepth 0 -mtime +$((MAXAGE_DAYS - 1)) 2>/dev/null)" ]
}
deps_key() { # the build dependencies, the extra packages, the mirror
    { cat "$top/debian/control"; echo "$1 $MIRROR"; } | md5sum | cut -d' ' -f1
}
reachable() { # can this machine fetch from the archive?
    local url="$MIRROR/dists/$1/InRelease"
    if command -v wget >/dev/null 2>&1; then
        wget -q -T 20 -t 1 -O /dev/null "$url"
    elif command -v curl >/dev/null 2>&1; then
        curl -fsS -m 20 -o /dev/null "$url"
    else
        return 0 # cannot tell: debootstrap will say
    fi
}

# no_i386: does this kernel refuse to run i386 programs?  A 93-byte
# ELF32 that only calls exit(0) (int 0x80) is run; only "Exec format
# error" (a kernel without IA32 emulation) counts, so a probe that cannot
# run for another reason never hides the target.
no_i386() {
    local f out
    mkdir -p "$CACHE" && f=$(mktemp "$CACHE/.i386-probe.XXXXXX") || return 1
    printf '%s' '\177\105\114\106\001\001\001\000\000\000\000\000\000\000\000\000\002\000\003\000\001\000\000\000\124\200\004\010\064\000\000\000\000\000\000\000\000\000\000\000\064\000\040\000\001\000\000\000\000\000\000\000\001\000\000\000\000\000\000\000\000\200\004\010\000\200\004\010\135\000\000\000\135\000\000\000\005\000\000\000\000\020\000\000\270\001\000\000\000\061\333\315\200' | xargs -0 printf >"$f" && chmod 0700 "$f"
    out=$("$f" 2>&1)
    rm -f "$f"
    case $out in *"Exec format error"*) return 0 ;; esac
    return 1
}

# not_run TARGET REASON
not_run() {
    notrun=$((notrun + 1))
    echo "not run: chroot-$1 ($2)"
    notok "chroot-$1: not run ($2)"
}

# ---- the root file systems ---------------------------------------------------

# make_base TARGET RELEASE ARCH: $CACHE/TARGET/base, made again once a week
make_base() {
    local dir=$CACHE/$1 rel=$2 arch=$3 t
    if [ -f "$dir/base/.pamjwt-ci-made" ] && ! older_than_maxage "$dir/base/.pamjwt-ci-made"; then
        return 0
    fi
    t=$(now)
    rm -rf --one-file-system "$dir/base.new"
    mkdir -p "$dir"
    debootstrap --variant=minbase --arch="$arch" "$rel" "$dir/base.new" "$MIRROR" \
        >"$dir/debootstrap.log" 2>&1 || {
        tail -n 20 "$dir/debootstrap.log" | sed 's/^/#   /'
        rm -rf --one-file-system "$dir/base.new"
        return 1
    }
    date -u >"$dir/base.new/.pamjwt-ci-made"
    rm -rf --one-file-system "$dir/base" "$dir/deps" "$dir/deps.key"
    mv "$dir/base.new" "$dir/base"
    diag "chroot-$1: debootstrap --variant=minbase --arch=$arch $rel: $(($(now) - t)) s"
}

# make_deps TARGET RELEASE ARCH EXTRA: $CACHE/TARGET/deps, base with the
# build dependencies (apt-get build-dep on debian/control) and EXTRA installed
make_deps() {
    local dir=$CACHE/$1 rel=$2 arch=$3 extra=$4 key t root
    key=$(deps_key "$extra")
    if [ -d "$dir/deps" ] && [ "$(cat "$dir/deps.key" 2>/dev/null)" = "$key" ] &&
        [ "$dir/deps.key" -nt "$dir/base/.pamjwt-ci-made" ]; then
        return 0
    fi
    t=$(now)
    root=$dir/deps.new
    case $root in /?*/?*) ;; *) echo "# chroot.sh: bad root '$root'" >&2; return 1 ;; esac
    rm -rf --one-file-system "$root"
    cp -a "$dir/base" "$root" || return 1
    works+=("$root")
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    # the release's main suite only (its point releases): -updates and
    # -security add mirrors that can be caught mid-sync, and nothing here
    # is about them
    echo "deb $MIRROR $rel main" >"$root/etc/apt/sources.list"
    rm -f "$root"/etc/apt/sources.list.d/*
    # no service starts inside the chroot
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
    chmod 0755 "$root/usr/sbin/policy-rc.d"
    mkdir -p "$root/tmp/pj-deps/debian"
    cp "$top/debian/control" "$root/tmp/pj-deps/debian/control"
    mount_in "$root" || { umount_in "$root"; return 1; }
    in_root "$root" "$arch" "apt-get -o Acquire::Retries=3 update -q && apt-get upgrade -y -q &&
        apt-get build-dep -y -q --no-install-recommends /tmp/pj-deps &&
        ${extra:+apt-get install -y -q --no-install-recommends $extra &&}
        apt-get clean" >"$dir/apt.log" 2>&1
    local rc=$?
    umount_in "$root"
    if [ $rc -ne 0 ]; then
        tail -n 30 "$dir/apt.log" | sed 's/^/#   /'
        return 1
    fi
    rm -rf "$root/tmp/pj-deps"
    rm -rf --one-file-system "$dir/deps"
    mv "$root" "$dir/deps" && echo "$key" >"$dir/deps.key"
    diag "chroot-$1: build dependencies installed: $(($(now) - t)) s"
}

# ---- one target --------------------------------------------------------------

# run_target TARGET RELEASE ARCH FULL(yes: packages too)
run_target() {
    local name=$1 rel=$2 arch=$3 full=$4 t0 t w root extra=""
    local tag="chroot-$name"
    t0=$(now)
    [ "$full" = yes ] && extra="lintian curl jq"

    if [ "$(id -u)" != 0 ]; then
        not_run "$name" "needs root: debootstrap, chroot, mount"
        return
    fi
    for c in debootstrap chroot setarch; do
        command -v $c >/dev/null 2>&1 ||
            { not_run "$name" "$c not installed: apt-get install debootstrap util-linux coreutils"; return; }
    done
    chroot / true 2>/dev/null || { not_run "$name" "chroot is not allowed here"; return; }
    # a machine whose kernel runs no 32-bit programs cannot test an i386
    # root at all (no emulator is used): a skip that says why, not a failure
    if [ "$arch" = i386 ] && no_i386; then
        ok "$tag # SKIP this kernel cannot run i386 programs (Exec format error: no IA32 emulation)"
        return
    fi

    # the cache: made when missing or stale, reused otherwise
    mkdir -p "$CACHE" && chmod 0755 "$CACHE"
    exec {lock}>"$CACHE/$name.lock"
    flock "$lock"
    local stale=no
    if ! [ -f "$CACHE/$name/base/.pamjwt-ci-made" ] || older_than_maxage "$CACHE/$name/base/.pamjwt-ci-made" ||
        ! [ -d "$CACHE/$name/deps" ] || [ "$(cat "$CACHE/$name/deps.key" 2>/dev/null)" != "$(deps_key "$extra")" ]; then
        stale=yes
    fi
    if [ $stale = yes ] && ! reachable "$rel"; then
        flock -u "$lock"
        not_run "$name" "no network to the archive $MIRROR and no usable cache in $CACHE/$name"
        return
    fi
    t=$(now)
    if ! make_base "$name" "$rel" "$arch"; then
        flock -u "$lock"
        notok "$tag: debootstrap --variant=minbase --arch=$arch $rel (log: $CACHE/$name/debootstrap.log)"
        return
    fi
    if ! make_deps "$name" "$rel" "$arch" "$extra"; then
        flock -u "$lock"
        notok "$tag: build dependencies from Debian $rel (apt-get build-dep; log: $CACHE/$name/apt.log)"
        return
    fi
    # a copy of the cached root file system to work in
    w=$(mktemp -d "$CACHE/run.XXXXXX") || { flock -u "$lock"; notok "$tag: work directory"; return; }
    works+=("$w")
    root=$w/root
    cp -a "$CACHE/$name/deps" "$root"
    local cprc=$?
    flock -u "$lock"
    exec {lock}>&-
    [ $cprc -eq 0 ] || { notok "$tag: copy of the cached root file system"; return; }
    ok "$tag: Debian $rel $arch root file system with the build dependencies ($([ $stale = yes ] && echo made || echo cached), $(($(now) - t)) s)"
    in_root "$root" "$arch" "cat /etc/debian_version; dpkg --print-architecture; gcc --version | head -n 1;
        dpkg-query -W -f='\${Package} \${Version}\n' libpam0g-dev libssl-dev libjansson-dev libjwt-dev libcurl4-openssl-dev" |
        sed "s/^/# $tag: /"

    # the source tree, as git knows it (or without build directories)
    mkdir -p "$root/build/src"
    if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        (cd "$top" && git ls-files -z -co --exclude-standard | tar --null -T - -cf -) |
            tar -C "$root/build/src" -xf -
    else
        tar -C "$top" --exclude=./build --exclude=./build-asan --exclude=./build-fuzz \
            --exclude=./autom4te.cache -cf - . | tar -C "$root/build/src" -xf -
    fi || { notok "$tag: copy of the source tree"; return; }
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    mount_in "$root" || { notok "$tag: mount /proc and /dev in the chroot"; return; }

    # build with warnings as errors, make check
    t=$(now)
    if in_root "$root" "$arch" "cd /build/src && ./autogen.sh && mkdir -p /build/b && cd /build/b &&
        ../src/configure --sysconfdir=/etc --enable-tests CFLAGS='$CFLAGS_CI' && make -j$JOBS" \
        >"$w/build.log" 2>&1; then
        sed -n '/^  pam_jwt [0-9]/,/^ *fuzzing/p' "$w/build.log" | sed "s/^/# $tag: /"
        ok "$tag: configure and make -j$JOBS with CFLAGS='$CFLAGS_CI' ($(($(now) - t)) s)"
    else
        grep -E 'error|warning' "$w/build.log" | head -n 40 | sed 's/^/#   /'
        tail -n 20 "$w/build.log" | sed 's/^/#   /'
        notok "$tag: configure and make -j$JOBS with CFLAGS='$CFLAGS_CI'"
        umount_in "$root"
        return
    fi
    t=$(now)
    in_root "$root" "$arch" "cd /build/b && make -j$JOBS check" >"$w/check.log" 2>&1
    local rc=$?
    grep -E '^(FAIL|ERROR|XPASS)' "$w/check.log" | sed "s/^/# $tag: /"
    sed -n 's/^# \(TOTAL\|PASS\|SKIP\|XFAIL\|FAIL\|XPASS\|ERROR\):/\1:/p' "$root/build/b/test-suite.log" 2>/dev/null |
        tr '\n' ' ' | sed "s/^/# $tag: make check: /; s/ *\$/\n/"
    if [ $rc -eq 0 ]; then
        ok "$tag: make check ($(sed -n 's/^# PASS: *//p' "$root/build/b/test-suite.log") passed, $(($(now) - t)) s)"
    else
        grep -h '^not ok' "$root"/build/b/tests/*.log 2>/dev/null | head -n 40 | sed "s/^/# $tag: /"
        tail -n 5 "$w/check.log" | sed 's/^/#   /'
        notok "$tag: make check"
    fi

    if [ "$full" = yes ]; then
        package_steps "$name" "$arch" "$root" "$w"
    fi
    umount_in "$root"
    diag "$tag: $(($(now) - t0)) s in all"
}

# package_steps TARGET ARCH ROOT WORK: build, lint, install, purge
package_steps() {
    local name=$1 arch=$2 root=$3 w=$4 tag="chroot-$1" t rc
    t=$(now)
    rm -rf "$root/build/b"
    if in_root "$root" "$arch" "cd /build/src && DEB_BUILD_OPTIONS='nocheck parallel=$JOBS' dpkg-buildpackage -us -uc -b" \
        >"$w/deb.log" 2>&1; then
        ok "$tag: dpkg-buildpackage -us -uc -b ($(cd "$root/build" && ls ./*.deb | tr '\n' ' ')$(($(now) - t)) s)"
    else
        tail -n 40 "$w/deb.log" | sed 's/^/#   /'
        notok "$tag: dpkg-buildpackage -us -uc -b"
        return
    fi
    in_root "$root" "$arch" "cd /build && lintian --version && lintian *.changes" >"$w/lintian.log" 2>&1
    grep -v 'running with root privileges is not recommended' "$w/lintian.log" | sed "s/^/# $tag: /"
    if grep -qE '^[EW]: ' "$w/lintian.log"; then
        notok "$tag: lintian: no errors, no warnings"
    else
        ok "$tag: lintian: no errors, no warnings"
    fi

    # where the files are: where this release's pam.pc and systemd.pc say
    local pamdir unitdir
    pamdir=$(in_root "$root" "$arch" 'd=$(pkg-config --variable=securedir pam); echo "${d:-$(pkg-config --variable=libdir pam)/security}"')
    unitdir=$(in_root "$root" "$arch" 'pkg-config --variable=systemdsystemunitdir systemd')
    (cd "$root/build" && for d in ./*.deb; do dpkg-deb -c "$d"; done) | awk '{print $6}' | sed 's|^\./|/|' >"$w/files"
    if grep -qxF "$pamdir/pam_jwt.so" "$w/files" && grep -qxF "$unitdir/pamjwt-jwks-refresh.timer" "$w/files" &&
        grep -qxF "$unitdir/pamjwt-jwks-refresh.service" "$w/files"; then
        ok "$tag: the module is in $pamdir, the units in $unitdir (pam.pc, systemd.pc)"
    else
        grep -E 'security/|systemd/' "$w/files" | sed 's/^/#   /'
        notok "$tag: the module is in $pamdir, the units in $unitdir (pam.pc, systemd.pc)"
    fi

    t=$(now)
    if in_root "$root" "$arch" "cd /build && apt-get install -y -q ./libpam-jwt_*.deb ./pamjwt_*.deb &&
        /usr/bin/pamjwt --version && test -f $pamdir/pam_jwt.so" >"$w/install.log" 2>&1; then
        ok "$tag: apt-get install ./libpam-jwt_*.deb ./pamjwt_*.deb ($(($(now) - t)) s)"
    else
        tail -n 30 "$w/install.log" | sed 's/^/#   /'
        notok "$tag: apt-get install ./libpam-jwt_*.deb ./pamjwt_*.deb"
        return
    fi
    # a roster applied in the chroot: nss-systemd (libnss-systemd, which
    # pamjwt recommends) serves its user from /etc/userdb without
    # systemd-userdbd running
    if in_root "$root" "$arch" "set -e; d=\$(mktemp -d); cd \$d; chmod 755 \$d
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out k.pem 2>/dev/null
        openssl pkey -in k.pem -pubout -out k.pub; chmod 600 k.pem; chmod 644 k.pub
        printf 'issuer = i\\nkey_file = %s/k.pub\\nroster = yes\\nroster_key_file = %s/k.pub\\nroster_state_dir = %s/state\\n' \$d \$d \$d > c.conf
        printf '{\"serial\":1,\"users\":[{\"name\":\"pjwt-chroot\",\"uid\":299981,\"iss\":\"i\",\"sub\":\"s\"}]}' > r.json
        pamjwt roster sign --key k.pem r.json > r.jws
        grep -E '^(passwd|group):' /etc/nsswitch.conf
        pamjwt roster apply --config \$d/c.conf r.jws
        getent passwd pjwt-chroot
        rm -f /etc/userdb/pjwt-chroot.* /etc/userdb/299981.*; rmdir /etc/userdb 2>/dev/null || :; rm -rf \$d" >"$w/roster.log" 2>&1 &&
        grep -q '^pjwt-chroot:x:299981:299981:' "$w/roster.log"; then
        ok "$tag: pamjwt roster apply, then getent passwd shows the roster user (nss-systemd)"
    else
        sed 's/^/#   /' "$w/roster.log"
        notok "$tag: pamjwt roster apply, then getent passwd shows the roster user (nss-systemd)"
    fi
    in_root "$root" "$arch" "apt-get purge -y -q libpam-jwt pamjwt" >"$w/purge.log" 2>&1
    rc=$?
    grep -E '^(Removing|Purging)|warning|W:|E:' "$w/purge.log" | sed "s/^/# $tag: /"
    local left
    left=$(grep -v '/$' "$w/files" | while read -r f; do [ -e "$root$f" ] || [ -L "$root$f" ] && echo "$f"; done)
    if [ $rc -eq 0 ] && ! grep -qiE 'warning|^W:|^E:' "$w/purge.log" && [ -z "$left" ]; then
        ok "$tag: apt-get purge libpam-jwt pamjwt: no warning, none of their files left"
    else
        [ -z "$left" ] || diag "left: $left"
        notok "$tag: apt-get purge libpam-jwt pamjwt: no warning, none of their files left"
    fi
}

for target in $targets; do
    case $target in
    trixie-amd64) run_target trixie-amd64 trixie amd64 yes ;;
    bookworm-i386) run_target bookworm-i386 bookworm i386 no ;;
    *) notok "unknown target $target (trixie-amd64, bookworm-i386)" ;;
    esac
done
echo "1..$n"
[ $((failed - notrun)) -eq 0 ] || exit 1
[ $notrun -eq 0 ] || exit 2
exit 0
