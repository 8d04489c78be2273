#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Man page lint: the pages render without a warning.  mandoc -T lint
# (warnings and errors; style notes are left alone) and groff with every
# warning (-ww) over man/*.[158] and debian/*.8, whichever of the two is
# installed (tests/debian-packages.txt has both); text after an example
# starts a new paragraph; and in pam_jwt.conf(5) every key's heading
# starts its own tagged paragraph (.TP), so no key's text runs into the
# one before it; and pam_jwt(8) lists every line the module can tell the
# person at the prompt (tests/told_lines.py reads them from the sources).
# TAP output.
top=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
n=0; bad=0
t() { # t DESCRIPTION OUTPUT: ok when OUTPUT is empty
    n=$((n + 1))
    if [ -z "$2" ]; then
        echo "ok $n - $1"
    else
        bad=$((bad + 1))
        echo "not ok $n - $1"
        printf '%s\n' "$2" | sed 's/^/#   /'
    fi
}
have_mandoc=; command -v mandoc >/dev/null 2>&1 && have_mandoc=1
have_groff=; command -v groff >/dev/null 2>&1 && have_groff=1
if [ -z "$have_mandoc$have_groff" ]; then
    echo "1..0 # SKIP neither mandoc nor groff installed (apt-get install mandoc groff-base)"
    exit 0
fi
for page in "$top"/man/*.[158] "$top"/debian/*.8; do
    [ -f "$page" ] || continue
    name=${page#"$top"/}
    if [ -n "$have_mandoc" ]; then
        t "$name: mandoc -T lint -W warning finds nothing" \
            "$(mandoc -T lint -W warning "$page" 2>&1)"
    fi
    if [ -n "$have_groff" ]; then
        t "$name: groff -man -ww renders it without a warning" \
            "$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$page" 2>&1)"
    fi
done
# After an indented example (.RS, .EX or .nf, ... .EE or .fi, .RE) the
# text starts a new paragraph: a line that runs on there is a fragment
# left behind (the example's text was cut, or a paragraph was moved).
for page in "$top"/man/*.[158] "$top"/debian/*.8; do
    [ -f "$page" ] || continue
    t "${page#"$top"/}: text after an example starts a new paragraph" "$(awk '
        /^\.(EE|fi)$/ { closed = NR }
        /^\.RE$/ && closed == NR - 1 { after = NR; next }
        after && NR == after + 1 {
            if ($0 !~ /^\.(PP|LP|P|SH|SS|TP|IP|RS)( |$)/) print FILENAME ":" FNR ": " $0
            after = 0
        }' "$page")"
done
conf5=$top/man/pam_jwt.conf.5
if [ -f "$conf5" ]; then
    # a key heading: .BI "KEY = " ... (KEY lower case, \% allowed)
    t "pam_jwt.conf.5: every key heading follows .TP" "$(awk '
        /^\.BI "(\\%)?[a-z_]+ = "/ && prev != ".TP" { print FILENAME ":" FNR ": " $0 " (after " prev ")" }
        { prev = $0 }' "$conf5")"
fi
# pam_jwt(8) lists every line the module can tell the person at the prompt
if [ -x /usr/bin/python3 ]; then
    told=$(/usr/bin/python3 "$top/tests/told_lines.py" "$top" 2>&1)
    t "pam_jwt(8) lists every line the module can tell ($(printf '%s\n' "$told" | grep -c '^ok') lines)" \
        "$(printf '%s\n' "$told" | grep -v '^ok\|^1\.\.')"
fi
echo "1..$n"
[ "$bad" -eq 0 ]
