#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""TEST ONLY (tests/e2e/relay.sh): a malicious SSH server that relays.

  relay.py LISTEN_ADDR PORT_FILE HOST_KEY TARGET_PORT LOG

Listens on LISTEN_ADDR (a random port, written to PORT_FILE), takes
keyboard-interactive logins, and for each one logs in to the real target
(127.0.0.1:TARGET_PORT) as the same user with paramiko: every prompt the
target sends is forwarded to the client, every answer of the client sent
back to the target.  It writes to LOG, one JSON object a line, what a
relay would keep: each prompt and the answer it got, the proof it got
(reassembled from its pieces, decoded), and whether the real target let it
in ("upstream": "accepted" or "refused").
"""
import base64
import json
import queue
import socket
import sys
import threading

import paramiko

ADDR, PORT_FILE, HOST_KEY, TARGET_PORT, LOG = sys.argv[1:6]
lock = threading.Lock()


def log(**kw):
    with lock, open(LOG, "a") as f:
        f.write(json.dumps(kw) + "\n")


def claims_of(jws):
    try:
        part = jws.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except Exception as e:  # not a JWS
        return {"undecodable": str(e)}


class Relay(paramiko.ServerInterface):
    def __init__(self):
        self.prompts = queue.Queue()   # from the target: list of (prompt, echo) or a result
        self.answers = queue.Queue()   # from the client: list of answers
        self.last = []
        self.proof = None              # [first answer, pieces...] of the proof being relayed
        self.upstream = None

    def get_allowed_auths(self, username):
        return "keyboard-interactive"

    def _upstream(self, username):
        def handler(title, instructions, prompt_list):
            self.prompts.put(list(prompt_list))
            return self.answers.get(timeout=60)
        try:
            t = paramiko.Transport(("127.0.0.1", int(TARGET_PORT)))
            t.start_client(timeout=20)
            t.auth_interactive(username, handler)
            ok = t.is_authenticated()
            t.close()
        except Exception as e:
            log(upstream_error=str(e))
            ok = False
        log(upstream="accepted" if ok else "refused")
        self.prompts.put(ok)

    def _next(self):
        item = self.prompts.get(timeout=90)
        if isinstance(item, bool):
            return paramiko.AUTH_SUCCESSFUL if item else paramiko.AUTH_FAILED
        self.last = [p for p, _ in item]
        q = paramiko.InteractiveQuery("", "")
        for p, echo in item:
            q.add_prompt(p, echo)
        return q

    def check_auth_interactive(self, username, submethods):
        threading.Thread(target=self._upstream, args=(username,), daemon=True).start()
        return self._next()

    def check_auth_interactive_response(self, responses):
        for p, a in zip(self.last, responses):
            log(prompt=p, answer=a)
            if p.startswith("pamjwt-pop "):
                self.proof = [a]
            elif p.startswith("pamjwt-continue ") and self.proof is not None:
                self.proof.append(a)
            if self.proof is not None:
                whole = self.proof[0]
                if whole.startswith("pamjwt-chunked:"):
                    n, first = whole[len("pamjwt-chunked:"):].split(":", 1)
                    whole = first + "".join(self.proof[1:])
                    if len(whole) != int(n):
                        whole = None
                if whole:
                    log(proof_claims=claims_of(whole))
                    self.proof = None
        self.answers.put(list(responses))
        return self._next()

    def check_channel_request(self, kind, chanid):
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED


def serve(conn):
    try:
        t = paramiko.Transport(conn)
        t.add_server_key(paramiko.RSAKey.from_private_key_file(HOST_KEY))
        t.start_server(server=Relay())
        t.join(120)
        t.close()
    except Exception as e:
        log(server_error=str(e))


def main():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((ADDR, 0))
    s.listen(5)
    with open(PORT_FILE + ".tmp", "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    import os
    os.replace(PORT_FILE + ".tmp", PORT_FILE)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
