#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# One version everywhere a user reads it: configure.ac (PACKAGE_VERSION),
# pamjwt --version, the newest entries of NEWS and debian/changelog, and
# the footer of every man page.  The release tarball is
# pam_jwt-VERSION.tar.gz (make distcheck builds it).
top=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
bin=${top_builddir:-.}
n=0; bad=0
is() { # is DESCRIPTION GOT WANT
    n=$((n + 1))
    if [ "$2" = "$3" ]; then echo "ok $n - $1: $2"
    else bad=$((bad + 1)); echo "not ok $n - $1: got '$2', want '$3'"; fi
}
want=$(sed -n 's/^AC_INIT(\[pam_jwt\], \[\([^]]*\)\].*/\1/p' "$top/configure.ac")
[ -n "$want" ] || { echo "1..0 # SKIP no AC_INIT version in configure.ac"; exit 0; }
is "pamjwt --version" "$("$bin/pamjwt" --version | sed -n '1s/^pamjwt (pam_jwt) //p')" "$want"
is "NEWS: the newest version" "$(sed -n 's/^\* Version \([^ ]*\) .*/\1/p' "$top/NEWS" | head -n 1)" "$want"
is "debian/changelog: the newest version" \
    "$(sed -n '1s/^pam-jwt (\([^)]*\)).*/\1/p' "$top/debian/changelog")" "$want"
for m in "$top"/man/*.[158] "$top"/debian/*.8; do
    is "${m#"$top"/}: .TH footer" "$(sed -n 's/^\.TH .* "pam_jwt \([^"]*\)".*/\1/p' "$m" | head -n 1)" "$want"
done
echo "1..$n"
[ "$bad" -eq 0 ]
