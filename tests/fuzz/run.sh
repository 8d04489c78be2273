#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Build the fuzz harnesses and run each for SECONDS:
#   tests/fuzz/run.sh SECONDS [BUILD_DIR]          (BUILD_DIR default /tmp/pamjwt-fuzz)
# BUILD_DIR is an automake build directory: the first run configures it
#   (SRCDIR/configure --enable-fuzzing CC=clang ...), every run then does
#   make fuzz there (tests/fuzz/README.md).
# Environment:
#   FUZZ_HARNESSES  which to run (default "token config jwks keyfile pam chunk policy pop device groups lines roster netmatch")
#   FUZZ_PARALLEL   how many at once (default 1)
#   FUZZ_NO_BUILD=1 skip configure and make (binaries already in BUILD_DIR)
#   FUZZ_KEEP_CORPUS=1  continue from BUILD_DIR/run/H/corpus instead of a
#                   fresh copy of tests/fuzz/corpus/H
#   FUZZ_ARGS       extra libFuzzer arguments (e.g. "-fork=1 -ignore_crashes=1"
#                   to keep fuzzing after a finding; findings still fail the run)
#   CC (default clang), WERROR (default -Werror; WERROR= allows warnings),
#   EXTRA_CFLAGS (appended last, e.g. -fno-sanitize=float-cast-overflow):
#                   used when BUILD_DIR is configured; to change them later,
#                   remove BUILD_DIR/config.status
# The seed corpus in the repository is never written to: each harness works
# on a copy in BUILD_DIR/run/HARNESS/corpus; findings go to
# BUILD_DIR/run/HARNESS/artifacts/ and the full log to .../fuzz.log.
# Prints per harness libFuzzer's final stats line and a summary line
#   fuzz HARNESS: N execs, cov C, K crashes
# plus TAP (1..n, ok/not ok).  Exits 1 if any harness crashed, leaked, ran
# out of memory or time, or reported a sanitizer error.
set -u

usage() { echo "usage: $0 SECONDS [BUILD_DIR]" >&2; exit 2; }
[ $# -ge 1 ] || usage
secs=$1
case $secs in ''|*[!0-9]*) usage ;; esac
out=${2:-/tmp/pamjwt-fuzz}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
harnesses=${FUZZ_HARNESSES:-token config jwks keyfile pam chunk policy pop device groups lines roster netmatch}
parallel=${FUZZ_PARALLEL:-1}

if [ "${FUZZ_NO_BUILD:-0}" != 1 ]; then
    mkdir -p "$out" || { echo "Bail out! cannot create $out"; exit 1; }
    if [ ! -x "$top/configure" ]; then
        (cd "$top" && ./autogen.sh) >"$out/autogen.out" 2>&1 ||
            { cat "$out/autogen.out"; echo "Bail out! autogen.sh failed"; exit 1; }
    fi
    if [ ! -f "$out/config.status" ]; then
        (cd "$out" && "$top/configure" --enable-fuzzing CC="${CC:-clang}" \
            CFLAGS="-g -O1 ${WERROR--Werror} ${EXTRA_CFLAGS:-}") >"$out/configure.out" 2>&1 ||
            { tail -n 20 "$out/configure.out"; echo "Bail out! configure --enable-fuzzing failed (see $out/config.log)"; exit 1; }
    fi
    # as many compilers at once as fuzzers will run
    make -C "$out" -j"${FUZZ_PARALLEL:-1}" fuzz >"$out/make.out" 2>&1 ||
        { tail -n 40 "$out/make.out"; echo "Bail out! make fuzz failed"; exit 1; }
fi
out=$(cd "$out" && pwd)
bin=$out/tests/fuzz

# One harness, in the background or not; writes its exit code to $run/rc.
fuzz_one() {
    h=$1
    run=$out/run/$h
    mkdir -p "$run"
    if [ "${FUZZ_KEEP_CORPUS:-0}" != 1 ] || [ ! -d "$run/corpus" ]; then
        rm -rf "$run/corpus"
        mkdir -p "$run/corpus"
        if [ -d "$here/corpus/$h" ]; then
            cp "$here/corpus/$h"/* "$run/corpus/" 2>/dev/null || true
        fi
    fi
    rm -rf "$run/artifacts"
    mkdir -p "$run/artifacts"
    set -- -max_total_time="$secs" -rss_limit_mb=2048 -detect_leaks=1 -timeout=60 \
        -print_final_stats=1 -artifact_prefix="$run/artifacts/"
    case $h in
    pam|token) set -- "$@" -max_len=20000 ;;
    esac
    [ -f "$here/dict/$h.dict" ] && set -- "$@" -dict="$here/dict/$h.dict"
    # A smaller quarantine than ASan's 256 MB: fuzz_pam makes thousands of
    # allocations per login (OpenSSL key import), and recycling a large
    # quarantine costs it half its speed; 32 MB still spans many iterations.
    # shellcheck disable=SC2086
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_stack_use_after_return=1:quarantine_size_mb=32} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
        "$bin/fuzz_$h" "$@" ${FUZZ_ARGS:-} "$run/corpus" >"$run/fuzz.log" 2>&1
    echo $? >"$run/rc"
}

report() {
    h=$1
    run=$out/run/$h
    rc=$(cat "$run/rc" 2>/dev/null || echo 99)
    log=$run/fuzz.log
    final=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1)
    # (-fork=N mode prints "#N: cov: ..." lines and no DONE line)
    [ -n "$final" ] || final=$(grep -E '^#[0-9]+:?[[:space:]]' "$log" | tail -n 1)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    [ -n "$execs" ] || execs=$(printf '%s\n' "$final" | sed -n 's/^#\([0-9]*\).*/\1/p')
    cov=$(printf '%s\n' "$final" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
    found=$(ls "$run/artifacts" 2>/dev/null | grep -E '^(crash|leak|oom|timeout|slow-unit)-' || true)
    nfound=$(printf '%s' "$found" | grep -c . || true)
    errors=$(grep -cE 'ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|libFuzzer)|runtime error:|property failed' "$log" || true)
    echo "fuzz $h: final stats: ${final:-(none)}"
    echo "fuzz $h: ${execs:-0} execs, cov ${cov:-0}, $nfound crashes"
    bad=0
    if [ "$rc" != 0 ] || [ "$nfound" != 0 ] || [ "$errors" != 0 ]; then
        bad=1
        echo "# fuzz $h: libFuzzer exit $rc, $errors error report(s); log: $log"
        for f in $found; do echo "#   artifact: $run/artifacts/$f"; done
        grep -E 'ERROR:|runtime error:|property failed|SUMMARY:' "$log" | head -n 20 | sed 's/^/#   /'
    fi
    return $bad
}

set -- $harnesses
echo "1..$#"
running=0
for h in "$@"; do
    if [ ! -x "$bin/fuzz_$h" ]; then
        echo "Bail out! $bin/fuzz_$h missing"
        exit 1
    fi
    rm -f "$out/run/$h/rc"
    fuzz_one "$h" &
    running=$((running + 1))
    if [ "$running" -ge "$parallel" ]; then
        wait
        running=0
    fi
done
wait

status=0
i=0
for h in "$@"; do
    i=$((i + 1))
    if report "$h"; then
        echo "ok $i - fuzz_$h ${secs}s"
    else
        echo "not ok $i - fuzz_$h ${secs}s"
        status=1
    fi
done
exit $status
