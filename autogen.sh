#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Generate configure and friends from configure.ac / Makefile.am.
set -e
cd "$(dirname "$0")"
mkdir -p build-aux m4
autoreconf -fi
# automake's TAP driver is not copied by autoreconf; the tests use it.
for d in /usr/share/automake-*; do
  if [ -f "$d/tap-driver.sh" ]; then cp -f "$d/tap-driver.sh" build-aux/; break; fi
done
test -f build-aux/tap-driver.sh || { echo "automake's tap-driver.sh not found" >&2; exit 1; }
