/* SPDX-License-Identifier: BSD-3-Clause */
/* `pamjwt jwks refresh`: the pieces cmd_jwks.c runs in order.
 *   jwks_check.c     the live configuration, with the new set, loads (4a)
 *   jwks_probe.c     which keys of the new set verify a token (4b)
 *   jwks_services.c  the PAM services that use the configuration
 *   jwks_lines.c     its line parsers (PAM service files, configurations)
 * Every message is one line: pj_refresh_say (cmd_jwks.c). */
#ifndef PJ_JWKS_REFRESH_H
#define PJ_JWKS_REFRESH_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

#define PJ_JWKS_MAX_BYTES (1024 * 1024) /* pam_jwt reads JWK Sets of at most 1 MiB */

typedef struct pj_refresh {
    const char *jwks_file; /* the file to replace */
    const char *config;    /* the live configuration (a file) */
    const char *tmpdir;    /* for copies of the configuration */
    const char *host;      /* for %h; NULL: unknown */
    pj_strlist services;   /* for %s: the checks run once for each */
    bool services_given;   /* services from --service, else from pam_dir */
    const char *pam_dir;   /* where services were looked for (messages) */
    char *new_path;        /* the new set, next to jwks_file */
    char *one_path;        /* a one-key set, next to jwks_file (probes) */
    char *conf_path;       /* the copy of config naming new_path */
    char *probe_path;      /* jwks_file = new_path, alone */
    char *probe1_path;     /* jwks_file = one_path, alone */
    unsigned algs;         /* the asymmetric algorithms config allows (pj_alg bits) */
    pj_strlist notes;      /* warnings about the new set, each once, said at the end */
} pj_refresh;

/* One line: "pamjwt-jwks-refresh: MESSAGE", escaped (cliout.h), on stdout
 * (LOG_INFO and above) or stderr; under systemd (JOURNAL_STREAM) with the
 * "<N>" prefix that gives the journal its priority. */
void pj_refresh_say(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Keep a warning about the new set for the end (once; the temporary name
 * of the new set shown as "JWKS_FILE (new)"). */
void pj_refresh_note(pj_refresh *r, const char *msg);

/* msg with the temporary names replaced by the ones the administrator
 * knows (the configuration's, "JWKS_FILE (new)"); malloc'd, NULL when out
 * of memory. */
char *pj_refresh_names(const pj_refresh *r, const char *msg);

/* A new temporary file "PREFIX.XXXXXX" in dir, mode 0600, closed: its
 * malloc'd path, or NULL (said). */
char *pj_refresh_tmpfile(const char *dir, const char *prefix);

/* Write len bytes of text to path (truncated first).  0, or -1 (said). */
int pj_refresh_write(const char *path, const char *text, size_t len);

/* 4a: write r->conf_path, a copy of r->config whose "jwks_file =
 * JWKS_FILE" line names r->new_path, and check that it loads with the new
 * set: a JWT-shaped dummy token must be refused, not unavailable, for each
 * service of r->services (none: once, without a service), with r->host.
 * Also sets r->algs from it.  0, or -1 with the reason said on its own
 * line. */
int pj_refresh_check(pj_refresh *r);

/* 4b: probe each key of the new set (text, len bytes) alone; *usable gets
 * the algorithms some key verifies (pj_alg bits), *nkeys the keys in the
 * set.  Warnings go to r->notes.  0, or -1 (said). */
int pj_refresh_probe(pj_refresh *r, const char *text, size_t len, unsigned *usable,
                     size_t *nkeys);

#endif
