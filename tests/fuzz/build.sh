#!/bin/sh
# Build the libFuzzer harnesses for pam_jwt with clang directly (no automake):
#   tests/fuzz/build.sh [BUILD_DIR]        (default /tmp/pamjwt-fuzz)
# Produces BUILD_DIR/fuzz_token, fuzz_config, fuzz_jwks, fuzz_keyfile, fuzz_pam and the
# instrumented module BUILD_DIR/pam_jwt_fuzz.so that fuzz_pam loads through
# the real libpam.  Needs: clang libclang-rt-14-dev pkg-config libpam0g-dev
# libssl-dev libjansson-dev.
# Environment: CC (default clang), WERROR (default -Werror; set WERROR= to
# allow warnings), EXTRA_CFLAGS (appended last, so it can override, e.g.
# -fno-sanitize=float-cast-overflow).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
src=$top/src
out=${1:-/tmp/pamjwt-fuzz}
CC=${CC:-clang}
WERROR=${WERROR--Werror}
EXTRA_CFLAGS=${EXTRA_CFLAGS:-}

command -v "$CC" >/dev/null 2>&1 || { echo "build.sh: $CC not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }
pkg-config --exists libcrypto jansson pam || { echo "build.sh: pkg-config cannot find libcrypto jansson pam" >&2; exit 1; }

mkdir -p "$out/obj" "$out/obj-plain"
out=$(cd "$out" && pwd)

# A minimal autoconf config.h: only what src/ uses (grep HAVE_ and PJ_ in src).
cat > "$out/config.h.tmp" <<'CFG'
/* config.h for the fuzz build (tests/fuzz/build.sh); not autoconf's. */
#ifndef _GNU_SOURCE
# define _GNU_SOURCE 1
#endif
#define PACKAGE "pam_jwt"
#define PACKAGE_VERSION "0.0.0-fuzz"
#define VERSION PACKAGE_VERSION
#define HAVE_EDDSA 1
#define HAVE_EXPLICIT_BZERO 1
#define HAVE_PAM_START_CONFDIR 1
#define HAVE_SECURITY_PAM_EXT_H 1
#define HAVE_SECURITY_PAM_MODULES_H 1
#define PJ_VERIFY_ALGS "RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA HS256 HS384 HS512"
#define PJ_LIBJWT_ALGS "HS256 HS384 HS512 RS256 RS384 RS512 ES256 ES384 ES512"
CFG
if cmp -s "$out/config.h.tmp" "$out/config.h" 2>/dev/null; then
    rm -f "$out/config.h.tmp"
else
    mv "$out/config.h.tmp" "$out/config.h"
fi

warn="-Wall -Wextra $WERROR"
base="-std=gnu11 -g -O1 -fno-omit-frame-pointer -fPIC $warn -I$src -I$out $(pkg-config --cflags libcrypto jansson pam)"
# Everything that decides: instrumented for coverage and checked by ASan+UBSan.
fuzzcc="$CC $base -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined $EXTRA_CFLAGS"
# The shared module: coverage without libFuzzer's main (the harness has it).
socc="$CC $base -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined $EXTRA_CFLAGS"
# Helpers fuzz_pam uses to sign tokens: sanitized but not coverage-instrumented,
# so only the module's code guides the fuzzer.
plaincc="$CC $base -fsanitize=address,undefined -fno-sanitize-recover=undefined $EXTRA_CFLAGS"
libs=$(pkg-config --libs libcrypto jansson pam)

libsrc=
for f in "$src"/*.c; do
    case $(basename "$f") in
    pam_jwt.c|pamjwt.c) ;;
    *) libsrc="$libsrc $f" ;;
    esac
done

objs=
plainobjs=
for f in $libsrc; do
    b=$(basename "$f" .c)
    $fuzzcc -c "$f" -o "$out/obj/$b.o"
    $plaincc -c "$f" -o "$out/obj-plain/$b.o"
    objs="$objs $out/obj/$b.o"
    plainobjs="$plainobjs $out/obj-plain/$b.o"
done
rm -f "$out/libpj-fuzz.a" "$out/libpj-plain.a"
ar rcs "$out/libpj-fuzz.a" $objs
ar rcs "$out/libpj-plain.a" $plainobjs

# The module exactly as PAM sees it: pam_jwt.c + the library, exporting only
# pam_sm_* (like -export-symbols-regex '^pam_sm_' in Makefile.am).
printf '{ global: pam_sm_*; local: *; };\n' > "$out/pam_jwt_fuzz.map"
$socc -c "$src/pam_jwt.c" -o "$out/obj/pam_jwt.o"
# The sanitizer and coverage runtime symbols stay undefined here: they come
# from the fuzzer executable that loads the module.
$socc -shared -Wl,--version-script="$out/pam_jwt_fuzz.map" \
    -o "$out/pam_jwt_fuzz.so" "$out/obj/pam_jwt.o" $objs $libs

for h in token config jwks keyfile; do
    $fuzzcc "$here/fuzz_$h.c" "$out/libpj-fuzz.a" $libs -o "$out/fuzz_$h"
done
# fuzz_pam exports its symbols (-rdynamic) so the dlopen'ed module finds the
# sanitizer/coverage runtime, and so its __syslog_chk replaces glibc's for
# libpam (the module's log lines are dropped, or printed with PJ_FUZZ_VERBOSE).
$fuzzcc -rdynamic "$here/fuzz_pam.c" "$out/libpj-plain.a" $libs -ldl -o "$out/fuzz_pam"

echo "build.sh: built fuzz_token fuzz_config fuzz_jwks fuzz_keyfile fuzz_pam pam_jwt_fuzz.so in $out"
