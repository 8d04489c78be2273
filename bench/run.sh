#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Build pam_jwt (if needed) and run its benchmark.
#
#   bench/run.sh [-d BUILD_DIR] [BENCH_ARGS...]
#
#   -d BUILD_DIR  where to configure and build (default: build/ in the source
#                 tree, the directory tests/run_all.sh uses); configured with
#                 --sysconfdir=/etc when it has no Makefile yet, then only
#                 `make` is run again.
#   BENCH_ARGS    passed to pamjwt_bench: -q (quick run, N=200), -n N,
#                 -p CASE (time one case only, for profilers).
#
# Examples:
#   bench/run.sh            # full run, about 1-2 minutes on 2 cores
#   bench/run.sh -q         # quick run
#   bench/run.sh -d /tmp/bb -n 5000
#
# The figures are wall-clock medians: run it on an otherwise idle machine.
# Every accepted login is logged by the module through syslog (authpriv).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build="$top/build"
if [ "${1:-}" = "-d" ]; then
  [ $# -ge 2 ] || { echo "usage: $0 [-d BUILD_DIR] [BENCH_ARGS...]" >&2; exit 2; }
  build=$2
  shift 2
fi
jobs=$(nproc 2>/dev/null || echo 2)

if [ ! -x "$top/configure" ]; then
  echo "run.sh: bootstrapping ($top/autogen.sh)" >&2
  (cd "$top" && ./autogen.sh) >/dev/null
fi
mkdir -p "$build"
cd "$build"
if [ ! -f Makefile ]; then
  echo "run.sh: configuring in $build" >&2
  "$top/configure" --sysconfdir=/etc >configure.log 2>&1 || {
    cat configure.log >&2
    exit 1
  }
fi
echo "run.sh: building in $build" >&2
make -j"$jobs" >make.log 2>&1 || { cat make.log >&2; exit 1; }
exec make -s bench BENCH_ARGS="$*"
