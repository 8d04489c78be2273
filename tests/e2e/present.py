#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""TEST ONLY (tests/e2e/relay.sh): a server that has collected a user's token
logs in with it elsewhere, as a bearer token.

  present.py PORT USER TOKEN_FILE LOG

Logs in to 127.0.0.1:PORT as USER with keyboard-interactive (paramiko):
the token for the token prompt, nothing (an empty answer) for a proof
prompt, since it does not hold the user's key.  Writes to LOG, one JSON
object a line, each prompt it got and whether it got in ("result":
"accepted" or "refused").  Exit 0 when it got in.
"""
import json
import sys

import paramiko

PORT, USER, TOKEN_FILE, LOG = sys.argv[1:5]
token = open(TOKEN_FILE).read().strip()


def log(**kw):
    with open(LOG, "a") as f:
        f.write(json.dumps(kw) + "\n")


def handler(title, instructions, prompt_list):
    answers = []
    for p, _echo in prompt_list:
        log(prompt=p)
        answers.append("" if p.startswith("pamjwt-pop ") else token)
    return answers


try:
    t = paramiko.Transport(("127.0.0.1", int(PORT)))
    t.start_client(timeout=20)
    t.auth_interactive(USER, handler)
    ok = t.is_authenticated()
    t.close()
except Exception as e:
    log(error=str(e))
    ok = False
log(result="accepted" if ok else "refused")
sys.exit(0 if ok else 1)
