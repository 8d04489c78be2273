/* SPDX-License-Identifier: BSD-3-Clause */
/* What pamjwt prints.  Its output reaches an administrator's (often
 * root's) terminal and carries text from tokens, files and the command
 * line, so every line goes through these: no byte outside printable ASCII
 * (0x20-0x7e) is ever written raw, so no escape sequence (ESC, BEL, OSC,
 * C1 controls), DEL or bidirectional override from a token can act on the
 * terminal.  Also the time formats of `pamjwt check`. */
#ifndef PJ_CLIOUT_H
#define PJ_CLIOUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Write n bytes of s to f, each byte outside printable ASCII as \xNN. */
void pj_cli_write(FILE *f, const char *s, size_t n);
/* Format, write through pj_cli_write, then a newline. */
void pj_cli_line(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s with each byte outside printable ASCII and each backslash as \xNN (as
 * pj_sanitize does for log lines, uncut), for a value embedded in a line:
 * a literal "\x1b" in the value then prints as "\x5cx1b".  malloc'd, NULL
 * when out of memory. */
char *pj_cli_escape(const char *s, size_t n);
/* "LABEL: " and j as indented JSON with sorted member names, ASCII only:
 * jansson writes every non-ASCII character as \uXXXX and every control
 * character escaped; the one printable-ASCII gap it leaves, DEL, is
 * written as \u007f.  The text is still valid JSON.  Nothing for NULL. */
void pj_cli_json(FILE *f, const char *label, const json_t *j);

/* The pj_log sink for pamjwt, the one way its messages reach stderr:
 * "pamjwt: MSG", escaped as pj_cli_line does.  ctx is NULL or points to a
 * bool: when false (or ctx is NULL) only warnings and worse are printed.
 * pj_cli_log (cli.h) is this sink for every priority. */
void pj_cli_emit_stderr(void *ctx, int prio, const char *msg);

/* t (seconds since the epoch) as "YYYY-MM-DD HH:MM:SS UTC" (the fraction
 * dropped).  false, and buf "-", when t is not finite or not within the
 * years 1970 to 9999. */
bool pj_cli_utc(char *buf, size_t sz, double t);
/* |secs| cut to whole seconds, as its two largest units: "3d 4h", "2h 3m",
 * "4m 10s", "10s" ("0s" under one second).  |secs| must be below 1e15. */
void pj_cli_span(char *buf, size_t sz, double secs);

#endif
