/* SPDX-License-Identifier: BSD-3-Clause */
/* pamjwt's subcommands and the client side (contract "The client side:
 * pamjwt login, token, askpass" and "Proof of possession").  CLI only: none
 * of the cmd_* or cli_* files is ever linked into pam_jwt.so.  Each command
 * has one line in the table in src/tool/pamjwt.c, which also gives its usage;
 * it gets argv[0] = its name and returns the exit status: 0 done, 1 refused
 * or failed (message on stderr), 2 usage error. */
#ifndef PJ_CLI_H
#define PJ_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "log.h"

int pj_cmd_check(int argc, char **argv);
int pj_cmd_mint(int argc, char **argv);
int pj_cmd_login(int argc, char **argv);
int pj_cmd_token(int argc, char **argv);
int pj_cmd_askpass(int argc, char **argv);
int pj_cmd_jwks(int argc, char **argv);
int pj_cmd_roster(int argc, char **argv);

/* The usage of one command (name), or of all (NULL), on f. */
void pj_cli_usage(FILE *f, const char *name);

/* Messages for the user: "pamjwt: MESSAGE" on stderr, every priority,
 * escaped (pj_cli_emit_stderr, cliout.c).  pamjwt-device defines its own:
 * syslog. */
extern const pj_log pj_cli_log;

/* askpass's pieces of an object of len bytes (1..PJ_MAX_TOKEN) for answers
 * of at most chunk bytes (contract "Long tokens: chunked answers").
 * First: "pamjwt-chunked:LEN:" and as much of obj as fits in chunk bytes,
 * malloc'd; NULL when obj fits whole in one answer, or would need more than
 * PJ_CHUNK_MAX_ROUNDS continuations.  Next: the piece at byte at (at most
 * chunk bytes), malloc'd, *last set when it ends the object; NULL when at
 * is not inside it. */
char *pj_cli_chunk_first(const char *obj, size_t len, size_t chunk);
char *pj_cli_chunk_next(const char *obj, size_t len, size_t chunk, size_t at, bool *last);

#endif
