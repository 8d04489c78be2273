#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The trust boundary in the source tree (README.md, "Code layout"): a file
# in src/core includes only src/core headers, one in src/pam only src/core
# and src/pam headers, so nothing of src/tool (HTTP, signing, the client)
# can reach the module through an include.  System headers (<...>) and the
# generated config.h are free.
top=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
n=0; bad=0
check_dir() { # check_dir DIR ALLOWED_DIR...
    dir=$1; shift
    for f in "$top/src/$dir"/*.[ch]; do
        for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
            [ "$inc" = config.h ] && continue
            found=
            case $inc in */*) ;; *)
                for a in "$@"; do [ -f "$top/src/$a/$inc" ] && found=$a; done ;;
            esac
            n=$((n + 1))
            if [ -n "$found" ]; then
                echo "ok $n - src/$dir/${f##*/} includes $inc (src/$found)"
            else
                bad=$((bad + 1))
                echo "not ok $n - src/$dir/${f##*/} includes \"$inc\", which is not in src/{$(echo "$@" | tr ' ' ,)}"
            fi
        done
    done
}
check_dir core core
check_dir pam core pam
echo "1..$n"
[ $n -gt 0 ] && [ $bad -eq 0 ]
