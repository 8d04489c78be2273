/* SPDX-License-Identifier: BSD-3-Clause */
/* OpenID Connect Discovery 1.0: an issuer's provider metadata, shared by
 * `pamjwt login`, pamjwt-device and `pamjwt jwks refresh`.  Messages go to
 * pj_cli_log, one line each. */
#ifndef PJ_CLI_DISCOVER_H
#define PJ_CLI_DISCOVER_H

#include <jansson.h>

/* GET ISSUER/.well-known/openid-configuration (a trailing "/" of issuer is
 * not doubled: section 4) with pj_fetch (ca_file; 64 KiB at most).  The
 * answer must be one JSON object with no member given twice, whose
 * "issuer" is a string of printable ASCII equal to issuer byte for byte
 * (section 4.3).  The object, or NULL (logged).  *url gets the document's
 * URL (malloc'd, for messages; NULL when out of memory). */
json_t *pj_discover(const char *issuer, const char *ca_file, char **url);

/* The member name of doc (fetched from url) when it is a string of 1 to
 * 4096 bytes of printable ASCII without space; else NULL, logged. */
const char *pj_discover_str(json_t *doc, const char *url, const char *name);

#endif
