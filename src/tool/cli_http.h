/* SPDX-License-Identifier: BSD-3-Clause */
/* HTTP for pamjwt login (libcurl): https only (http only to 127.0.0.1 and
 * localhost, for tests), no redirects, bounded answers and time. */
#ifndef PJ_CLI_HTTP_H
#define PJ_CLI_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define PJ_HTTP_MAX_BODY (64 * 1024)  /* longest answer body read */
#define PJ_HTTP_MAX_NONCE 512         /* longest DPoP-Nonce kept */
#define PJ_HTTP_CONNECT_TIMEOUT 10    /* seconds */
#define PJ_HTTP_TIMEOUT 30            /* seconds per request, all included */

/* Is url one pamjwt may use?  https://HOST..., or http:// with the host
 * exactly 127.0.0.1 or localhost (any port); no user name or password, no
 * fragment.  0, or -1 with a static reason in *why. */
int pj_http_url_ok(const char *url, const char **why);

typedef struct pj_http {
    const char *ca_file;   /* --ca-file: trust this CA (PEM) instead, or NULL */
    size_t max_body;       /* longest answer body read; 0: PJ_HTTP_MAX_BODY */
    long timeout;          /* seconds per request; 0: PJ_HTTP_TIMEOUT */
} pj_http;

typedef struct pj_http_resp {
    long status;           /* HTTP status */
    char *body;            /* NUL-terminated; wiped and freed by _free */
    size_t len;
    char *dpop_nonce;      /* the DPoP-Nonce header (printable, no space), or NULL */
} pj_http_resp;

/* One request: GET when form is NULL, else POST of the
 * application/x-www-form-urlencoded form, with a "DPoP" header when dpop
 * is not NULL.  The url must pass pj_http_url_ok.  0 when an answer
 * arrived (any status: a redirect is an answer, never followed), -1 with a
 * message on stderr (refused URL, network or TLS error, time out, body
 * longer than h->max_body). */
int pj_http_request(const pj_http *h, const char *url, const char *form, const char *dpop,
                    pj_http_resp *r);
void pj_http_resp_free(pj_http_resp *r);

/* Append "&name=value" (no "&" first) to the form in *form, value
 * percent-encoded.  0, or -1 on no memory (*form is then freed). */
int pj_http_form_add(char **form, const char *name, const char *value);

/* Call once before the first request; pj_http_cleanup when done. */
int pj_http_init(void);
void pj_http_cleanup(void);

#endif
