#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Every source, script, test and build file names its licence: an
# "SPDX-License-Identifier: BSD-3-Clause" line in its first three lines
# (after a "#!" line where there is one).  The files listed in NO_SPDX
# cannot hold a comment (data, formats that allow none) or are the
# licence itself; LICENSE and debian/copyright name the licence for them.
# Reads the tracked files (git ls-files): outside a git checkout (the
# release tarball) there is no list to read, and the test is skipped.
top=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
L='SPDX-License-Identifier: BSD-3-Clause'
no_spdx() {
    case $1 in
    LICENSE | debian/copyright | debian/changelog | debian/source/format) return 0 ;;
    *.json | */.keep | tests/fuzz/corpus/*) return 0 ;;
    conf/pam-auth-update/pam_jwt) return 0 ;; # pam-auth-update's profile format has no comments
    esac
    return 1
}
if ! files=$(git -C "$top" ls-files 2>/dev/null) || [ -z "$files" ]; then
    echo "1..0 # SKIP not a git checkout: no list of tracked files"
    exit 0
fi
n=0; bad=0
for f in $files; do
    [ -f "$top/$f" ] || continue
    no_spdx "$f" && continue
    n=$((n + 1))
    if head -n 3 "$top/$f" | grep -qF "$L"; then
        echo "ok $n - $f"
    else
        bad=$((bad + 1))
        echo "not ok $n - $f has no \"$L\" line in its first three lines"
    fi
done
echo "1..$n"
[ "$bad" -eq 0 ]
