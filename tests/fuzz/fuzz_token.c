/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer harness: the token as the user typed it.
 *   input = token text (any bytes).
 * Exercises the shape check (rule 2), the compact JWS parser with its
 * strict base64url and JSON rules, and the base64url codec, and checks two
 * properties besides "no sanitizer report":
 *   - pj_b64url_decode accepts only canonical text: encoding what it
 *     decoded gives back exactly the input;
 *   - pj_jws_parse never fails on the shape of a token pj_jwt_shaped
 *     accepted and, when it succeeds, its pieces match the input. */
#include "config.h"

#define FUZZ_NAME "fuzz_token"
#include "fuzz.h"

#include "b64enc.h"
#include "b64url.h"
#include "claims.h"
#include "jose.h"
#include "log.h"
#include "pjconfig.h"
#include "util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A config with every claim check switched on, to run the claims of a
 * token that parses through pj_check_claims as the module would. */
static pj_config *strict;

static void init_strict(void)
{
    static const char text[] = "issuer = https://issuer.example\n"
                               "audience = pam\n"
                               "leeway = 60\n"
                               "max_lifetime = 600\n"
                               "require_claim = scope login\n"
                               "require_claim = amr mfa\n"
                               "require_claim = n 42\n"
                               "require_claim = b true\n";
    strict = pj_config_new("/fuzz-strict.conf");
    if (strict == NULL || pj_config_parse(strict, text, sizeof(text) - 1, &quiet) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    size_t n = size, outlen = 0;
    unsigned char *dec;
    char why[256], san[64], tell[256];

    if (strict == NULL)
        init_strict();

    /* base64url on the whole input: canonical round trip. */
    dec = pj_b64url_decode(s, size, &outlen);
    if (dec != NULL) {
        char *enc = pj_b64url_encode(dec, outlen);
        CHECK(enc != NULL);
        CHECK(strlen(enc) == size && memcmp(enc, s, size) == 0);
        CHECK(dec[outlen] == '\0');
        free(enc);
        free(dec);
    }

    /* Log-line sanitizing never overflows and always terminates. */
    pj_sanitize(san, sizeof(san), s, size);
    CHECK(strlen(san) < sizeof(san));

    /* Rule 1 trims white space before looking at the shape. */
    pj_trim(&s, &n);
    if (pj_jwt_shaped(s, n)) {
        pj_jws j;
        const char *reason = NULL;
        if (pj_jws_parse(s, n, &j, &reason) == 0) {
            CHECK(j.header != NULL && json_is_object(j.header));
            CHECK(j.claims != NULL && json_is_object(j.claims));
            CHECK(j.sig != NULL);
            CHECK(j.signing_len < n && s[j.signing_len] == '.');
            why[0] = '\0';
            tell[0] = '\0';
            pj_check_claims_as(strict, j.claims, 1700000000.0, NULL, strict->audience, why,
                               sizeof(why), tell, sizeof(tell));
            CHECK(strlen(why) < sizeof(why));
            /* the line for the person at the prompt: bounded, and only
             * printable ASCII (every value from the token sanitized) */
            CHECK(strlen(tell) < sizeof(tell));
            for (const char *p = tell; *p; p++)
                CHECK(*p >= 0x20 && *p <= 0x7e);
            pj_jws_free(&j);
            CHECK(j.header == NULL && j.claims == NULL && j.sig == NULL);
        } else {
            CHECK(reason != NULL);
            /* The shape was checked; only decoding may fail. */
            CHECK(strcmp(reason, "not a compact JWS") != 0);
        }
    } else if (size > 0) {
        /* Not JWT-shaped: the parser, if ever called, must refuse too
         * without reading out of bounds (it is given exactly n bytes). */
        pj_jws j;
        const char *reason = NULL;
        char *copy = malloc(n ? n : 1);
        if (copy != NULL) {
            memcpy(copy, s, n);
            if (pj_jws_parse(copy, n, &j, &reason) == 0)
                pj_jws_free(&j);
            free(copy);
        }
    }
    return 0;
}
