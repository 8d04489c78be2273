/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of src/core/device_reply.c. */
#include "unit.h"

void test_device_reply_checks(void)
{
    struct { const char *code; bool good; } codes[] = {
        {"ABCD-EFGH", true}, {"abcd1234", true}, {"WDJB-MJHT", true},
        {"ABCD_EFGH", false}, {"AB%CD", false}, {"AB\x1b[2J", false}, {"", false},
        {"0123456789012345678901234567890-", true}, {"0123456789012345678901234567890-X", false},
    };
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        ok(pj_dr_code_ok(codes[i].code) == codes[i].good, "user code '%s': %s", codes[i].code,
           codes[i].good ? "accepted" : "refused");
    char long_uri[600];
    snprintf(long_uri, sizeof(long_uri), "https://idp.example/%0492d", 0); /* 512 bytes */
    struct { const char *uri; bool good; } uris[] = {
        {"https://idp.example/device", true}, {"https://idp.example:8443/d?x=1", true},
        {"https://idp.example/a@b", true}, {"http://127.0.0.1:8080/device", true},
        {"http://localhost/device", true}, {"http://idp.example/device", false},
        {"http://localhost.evil.example/", false}, {"http://127.0.0.1.evil.example/", false},
        {"https://user@idp.example/device", false}, {"https://u:p@idp.example/", false},
        {"http://x@127.0.0.1/", false}, {"javascript:alert(1)", false}, {"https://", false},
        {"ftp://idp.example/", false}, {long_uri, true},
    };
    for (size_t i = 0; i < sizeof(uris) / sizeof(uris[0]); i++)
        ok(pj_dr_uri_ok(uris[i].uri) == uris[i].good, "verification URI '%.40s' (%zu bytes): %s",
           uris[i].uri, strlen(uris[i].uri), uris[i].good ? "accepted" : "refused");
    strcat(long_uri, "x");
    ok(!pj_dr_uri_ok(long_uri), "verification URI of 513 bytes refused");
    /* through the reader: a show line with a bad code is malformed */
    pj_dreader r;
    size_t used;
    static const char bad_code[] = "show https://idp.example/device AB_CD\n";
    pj_dr_init(&r);
    ok(pj_dr_feed(&r, bad_code, strlen(bad_code), &used) == PJ_DR_BAD,
       "reader: a show line with a user code of other characters is malformed");
    static const char bad_uri[] = "show https://me@idp.example/device ABCD\n";
    pj_dr_init(&r);
    ok(pj_dr_feed(&r, bad_uri, strlen(bad_uri), &used) == PJ_DR_BAD,
       "reader: a show line with user information in the URI is malformed");
    /* the request: written by the module, read by the helper */
    char req[PJ_DR_MAX_REQUEST];
    pj_dr_request w = {"https://idp.example", "pam", "openid email", NULL, 110}, rd;
    const char *why = NULL;
    int n = pj_dr_request_write(&w, req, sizeof(req));
    ok(n > 0 && pj_dr_request_read(req, (size_t)n, &rd, &why) == 0 &&
           strcmp(rd.issuer, "https://idp.example") == 0 && strcmp(rd.client_id, "pam") == 0 &&
           strcmp(rd.scope, "openid email") == 0 && rd.ca_file == NULL && rd.timeout == 110,
       "request: what the module writes the helper reads (%s)", why ? why : "");
    char twice[] = "issuer a\nissuer b\nclient_id c\ntimeout 5\n\n";
    ok(pj_dr_request_read(twice, strlen(twice), &rd, &why) != 0,
       "request: a repeated key is refused");
    char late[] = "issuer a\nclient_id c\ntimeout 601\n\n";
    ok(pj_dr_request_read(late, strlen(late), &rd, &why) != 0,
       "request: a timeout past 600 is refused");
}
