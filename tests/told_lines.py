#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Every line the module can tell the person at the prompt is listed in
pam_jwt(8), "WHAT THE USER IS TOLD".  The lines are the string literals
the sources hand to tell(), told(), the TELL_ macros, the rule table and
the token prompt's snprintf(line, ...); a printf conversion matches any
text, as the man page's upper-case words stand for values.
Usage: told_lines.py TOP_SRCDIR.  TAP output."""
import re
import sys

top = sys.argv[1]
SOURCES = ["src/core/decide.c", "src/core/claims.c", "src/pam/pam_jwt.c"]
LITS = r'((?:"(?:[^"\\]|\\.)*"\s*)+)'
PATTERNS = [r'\btell\(d,\s*' + LITS, r'\btold\(tell,\s*t?sz,\s*' + LITS,
            r'#define\s+TELL_\w+\s+' + LITS, r'\brule_\w+,\s*' + LITS,
            r'snprintf\(line,\s*PJ_USER_LINE_MAX,\s*' + LITS,
            r'static const char lacks\[\]\s*=\s*' + LITS]


def joined(lits):
    return "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', lits)).replace('\\"', '"')


lines = set()
for src in SOURCES:
    text = open(f"{top}/{src}").read()
    for pat in PATTERNS:
        for m in re.finditer(pat, text):
            s = joined(m.group(1))
            if s and s != "%s":
                lines.add(s)

man = open(f"{top}/man/pam_jwt.8").read()
sect = man.split(".SH WHAT THE USER IS TOLD", 1)[1].split("\n.SH ", 1)[0]
block = sect.split("\n.nf\n", 1)[1].split("\n.fi\n", 1)[0]
listed = []
for l in block.splitlines():
    l = re.sub(r'\\f[IBRP]', '', l).replace('\\-', '-').replace("\\(aq", "'")
    listed.append(l)

n = bad = 0
for s in sorted(lines):
    rx = "^" + "".join(".*" if part.startswith("%") else re.escape(part)
                       for part in re.split(r'(%%|%[-0-9.]*(?:zu|ju|s|d|ld|lld))', s)
                       if part) + "$"
    n += 1
    if any(re.match(rx, l) for l in listed):
        print(f"ok {n} - pam_jwt(8) lists: {s}")
    else:
        bad += 1
        print(f"not ok {n} - pam_jwt(8), WHAT THE USER IS TOLD, lacks: {s}")
print(f"1..{n}")
sys.exit(1 if bad or n < 10 else 0)
