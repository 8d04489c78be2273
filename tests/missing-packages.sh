#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Print the packages of tests/debian-packages.txt that this Debian system
# lacks: neither installed nor provided by an installed package (a
# NodeSource nodejs, for one, provides npm and conflicts with Debian's).
here=$(cd "$(dirname "$0")" && pwd)
have=$(dpkg-query -W -f='${Status}\t${Package}, ${Provides}\n' 2>/dev/null |
  awk -F'\t' '$1 == "install ok installed" { print $2 }' |
  tr ',' '\n' | sed 's/([^)]*)//; s/^ *//; s/ *$//' | grep -v '^$' | sort -u)
for p in $(grep -v '^#' "$here/debian-packages.txt"); do
  printf '%s\n' "$have" | grep -qx "$p" || echo "$p"
done
