/* SPDX-License-Identifier: BSD-3-Clause */
/* OpenID Connect discovery: see cli_discover.h. */
#include "config.h"

#include "cli_discover.h"

#include "cli.h"
#include "cli_fetch.h"
#include "jose.h"
#include "util.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MEMBER 4096

static bool printable(const char *s, size_t n)
{
    if (n == 0 || n > MAX_MEMBER)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
            return false;
    return true;
}

const char *pj_discover_str(json_t *doc, const char *url, const char *name)
{
    json_t *m = json_object_get(doc, name);
    if (m == NULL) {
        pj_logf(&pj_cli_log, LOG_ERR, "%s has no \"%s\"", url, name);
        return NULL;
    }
    if (!json_is_string(m) || !printable(json_string_value(m), json_string_length(m))) {
        pj_logf(&pj_cli_log, LOG_ERR, "%s: \"%s\" is not a string of printable ASCII", url, name);
        return NULL;
    }
    return json_string_value(m);
}

/* The answer as one JSON object, or NULL with the reason. */
static json_t *parse(const char *url, const char *body, size_t len)
{
    const char *why = NULL;
    json_t *o = pj_json_object(body, len, &why), *any;

    if (o != NULL)
        return o;
    /* pj_json_object refuses a member given twice as invalid JSON: say so */
    any = memchr(body, '\0', len) ? NULL : json_loadb(body, len, 0, NULL);
    if (any != NULL && json_is_object(any))
        pj_logf(&pj_cli_log, LOG_ERR, "%s has a member more than once (refused)", url);
    else
        pj_logf(&pj_cli_log, LOG_ERR, "%s is not one JSON object (%s)", url, why);
    json_decref(any);
    return NULL;
}

json_t *pj_discover(const char *issuer, const char *ca_file, char **url)
{
    static const char wk[] = "/.well-known/openid-configuration";
    size_t il = strlen(issuer), len = 0;
    char *body = NULL;
    const char *iss;
    json_t *doc = NULL;

    if (il > 0 && issuer[il - 1] == '/')
        il--; /* "any terminating / MUST be removed before appending" */
    *url = malloc(il + sizeof(wk));
    if (*url == NULL)
        return NULL;
    memcpy(*url, issuer, il);
    memcpy(*url + il, wk, sizeof(wk));
    if (pj_fetch(*url, ca_file, 0, 0, &body, &len) != 0)
        return NULL;
    doc = parse(*url, body, len);
    pj_fetch_free(body, len);
    if (doc == NULL)
        return NULL;
    iss = pj_discover_str(doc, *url, "issuer");
    if (iss != NULL && strcmp(iss, issuer) != 0)
        pj_logf(&pj_cli_log, LOG_ERR, "%s names the issuer \"%s\": it is not \"%s\" (refused)",
                *url, iss, issuer);
    if (iss == NULL || strcmp(iss, issuer) != 0) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}
