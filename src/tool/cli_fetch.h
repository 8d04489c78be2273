/* SPDX-License-Identifier: BSD-3-Clause */
/* One document from a URL, for the commands that keep a local copy of
 * something a server publishes (`pamjwt jwks refresh`; the same way for
 * any later one): a GET through cli_http.c, so https only (http only to
 * 127.0.0.1 and localhost, for tests), the peer verified (against ca_file
 * alone when given), no redirect followed, the body and the time bounded.
 * Call pj_http_init first.  Messages go to pj_cli_log, one line each. */
#ifndef PJ_CLI_FETCH_H
#define PJ_CLI_FETCH_H

#include <stddef.h>

/* May url be fetched?  pj_http_url_ok, and none of [, ], { or }: the
 * curl tool's URL globs.  libcurl never expands them, but a URL that needs
 * them names no JWK Set or issuer, and one from a server (a discovery
 * document) must not look like a request for many.  0, or -1 with a
 * static reason in *why. */
int pj_fetch_url_ok(const char *url, const char **why);

/* GET url; the answer must be HTTP 200 (anything else, a redirect too, is
 * refused and named), its body at most max bytes (0: PJ_HTTP_MAX_BODY),
 * within timeout seconds (0: PJ_HTTP_TIMEOUT).  0 with the body in *body
 * (NUL-terminated, malloc'd: pj_fetch_free) and its length in *len; -1
 * with one line on stderr. */
int pj_fetch(const char *url, const char *ca_file, size_t max, long timeout, char **body,
             size_t *len);

/* Wipe and free a body pj_fetch returned. */
void pj_fetch_free(char *body, size_t len);

#endif
