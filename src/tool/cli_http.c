/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include "cli_http.h"

#include "cli.h"
#include "util.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int pj_http_init(void)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        pj_logf(&pj_cli_log, LOG_ERR, "cannot initialise libcurl");
        return -1;
    }
    return 0;
}

void pj_http_cleanup(void)
{
    curl_global_cleanup();
}

/* Parse url into a curl URL handle and check it: the same handle is then
 * given to curl (CURLOPT_CURLU), so what was checked is what is fetched. */
static CURLU *checked_url(const char *url, const char **why)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *part = NULL;
    bool ok = false;

    *why = "not a URL";
    if (u == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
        goto out;
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
        goto out;
    if (curl_url_get(u, CURLUPART_USER, &part, 0) == CURLUE_OK ||
        curl_url_get(u, CURLUPART_PASSWORD, &part, 0) == CURLUE_OK) {
        *why = "a URL with a user name or password is refused";
        goto out;
    }
    if (curl_url_get(u, CURLUPART_FRAGMENT, &part, 0) == CURLUE_OK) {
        *why = "a URL with a fragment (#) is refused";
        goto out;
    }
    if (strcmp(scheme, "https") == 0 && strncmp(url, "https://", 8) == 0) {
        ok = true;
    } else if (strcmp(scheme, "http") == 0 && strncmp(url, "http://", 7) == 0) {
        ok = strcmp(host, "127.0.0.1") == 0 || strcmp(host, "localhost") == 0;
        if (!ok)
            *why = "only https is used (http only to 127.0.0.1 or localhost, for tests)";
    } else {
        *why = "only https is used (http only to 127.0.0.1 or localhost, for tests)";
    }
out:
    curl_free(scheme);
    curl_free(host);
    curl_free(part);
    if (!ok) {
        curl_url_cleanup(u);
        return NULL;
    }
    *why = NULL;
    return u;
}

int pj_http_url_ok(const char *url, const char **why)
{
    CURLU *u = checked_url(url, why);
    if (u == NULL)
        return -1;
    curl_url_cleanup(u);
    return 0;
}

typedef struct sink {
    pj_http_resp *r;
    size_t cap, max;
    bool too_long;
} sink;

static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
    sink *s = ctx;
    size_t n = size * nmemb;
    if (n > s->max - s->r->len) {
        s->too_long = true;
        return 0; /* ends the transfer with CURLE_WRITE_ERROR */
    }
    if (s->r->len + n + 1 > s->cap) {
        size_t cap = s->r->len + n + 1 < 4096 ? 4096 : s->max + 1;
        char *nb = malloc(cap);
        if (nb == NULL)
            return 0;
        if (s->r->body) {
            memcpy(nb, s->r->body, s->r->len);
            pj_wipe_free(s->r->body, s->cap);
        }
        s->r->body = nb;
        s->cap = cap;
    }
    memcpy(s->r->body + s->r->len, data, n);
    s->r->len += n;
    s->r->body[s->r->len] = '\0';
    return n;
}

/* RFC 9449 section 8.1: NQCHAR = %x21 / %x23-5B / %x5D-7E */
static bool nonce_char(unsigned char c)
{
    return c >= 0x21 && c <= 0x7e && c != '"' && c != '\\';
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ctx)
{
    pj_http_resp *r = ctx;
    size_t n = size * nmemb, i = 11, j;
    static const char name[] = "dpop-nonce:";
    if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) { /* a new response: forget the last */
        free(r->dpop_nonce);
        r->dpop_nonce = NULL;
        return n;
    }
    if (n < sizeof(name) - 1 || strncasecmp(data, name, sizeof(name) - 1) != 0)
        return n;
    while (i < n && (data[i] == ' ' || data[i] == '\t'))
        i++;
    j = n;
    while (j > i && (data[j - 1] == '\r' || data[j - 1] == '\n' || data[j - 1] == ' ' ||
                     data[j - 1] == '\t'))
        j--;
    if (j == i || j - i > PJ_HTTP_MAX_NONCE)
        return n;
    for (size_t k = i; k < j; k++)
        if (!nonce_char((unsigned char)data[k]))
            return n;
    free(r->dpop_nonce);
    r->dpop_nonce = pj_strndup(data + i, j - i);
    return n;
}

/* The request's headers: JSON wanted, no "Expect: 100-continue", and the
 * DPoP proof when there is one.  NULL when out of memory. */
static struct curl_slist *request_headers(const char *dpop)
{
    struct curl_slist *hdrs = curl_slist_append(NULL, "Accept: application/json"), *nh;
    char *dh;
    nh = hdrs ? curl_slist_append(hdrs, "Expect:") : NULL;
    if (nh && dpop) {
        dh = pj_strfmt("DPoP: %s", dpop);
        nh = dh ? curl_slist_append(hdrs, dh) : NULL; /* curl keeps a copy */
        free(dh);
    }
    if (nh == NULL) {
        curl_slist_free_all(hdrs);
        return NULL;
    }
    return hdrs;
}

/* Every option of one request: the checked URL, http and https only, no
 * redirect, TLS 1.2 or later with the peer verified (against --ca-file
 * alone when given), timeouts, the answer capped; a POST of form when
 * there is one.  false when curl refuses one. */
static bool set_options(CURL *c, const pj_http *h, CURLU *u, struct curl_slist *hdrs,
                        const char *form, sink *s, char *err)
{
    if (curl_easy_setopt(c, CURLOPT_CURLU, u) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_MAXREDIRS, 0L) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)PJ_HTTP_CONNECT_TIMEOUT) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_TIMEOUT, h->timeout > 0 ? h->timeout : (long)PJ_HTTP_TIMEOUT) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)s->max) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_USERAGENT, "pamjwt/" PACKAGE_VERSION) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_WRITEDATA, s) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_HEADERDATA, s->r) != CURLE_OK ||
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err) != CURLE_OK)
        return false;
    /* --ca-file: that CA alone, not the system's as well */
    if (h->ca_file && (curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_file) != CURLE_OK ||
                       curl_easy_setopt(c, CURLOPT_CAPATH, NULL) != CURLE_OK))
        return false;
    if (form && (curl_easy_setopt(c, CURLOPT_POST, 1L) != CURLE_OK ||
                 curl_easy_setopt(c, CURLOPT_POSTFIELDS, form) != CURLE_OK))
        return false;
    return true;
}

int pj_http_request(const pj_http *h, const char *url, const char *form, const char *dpop,
                    pj_http_resp *r)
{
    const char *why = NULL;
    char err[CURL_ERROR_SIZE] = "";
    CURLU *u = checked_url(url, &why);
    CURL *c = NULL;
    struct curl_slist *hdrs = NULL;
    sink s = {r, 0, h->max_body > 0 ? h->max_body : PJ_HTTP_MAX_BODY, false};
    CURLcode cc = CURLE_FAILED_INIT;
    int rc = -1;

    memset(r, 0, sizeof(*r));
    if (u == NULL) {
        pj_logf(&pj_cli_log, LOG_ERR, "refusing URL %s: %s", url, why);
        return -1;
    }
    c = curl_easy_init();
    hdrs = c ? request_headers(dpop) : NULL;
    if (hdrs == NULL || !set_options(c, h, u, hdrs, form, &s, err))
        goto out;
    cc = curl_easy_perform(c);
    if (s.too_long || cc == CURLE_FILESIZE_EXCEEDED) {
        pj_logf(&pj_cli_log, LOG_ERR, "%s: answer longer than %zu bytes (refused)", url, s.max);
        goto out;
    }
    if (cc != CURLE_OK) {
        pj_logf(&pj_cli_log, LOG_ERR, "%s: %s", url, err[0] ? err : curl_easy_strerror(cc));
        goto out;
    }
    if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status) != CURLE_OK)
        goto out;
    if (r->body == NULL) {
        r->body = calloc(1, 1);
        s.cap = 1;
        if (r->body == NULL)
            goto out;
    }
    rc = 0;
out:
    if (rc != 0 && cc == CURLE_FAILED_INIT)
        pj_logf(&pj_cli_log, LOG_ERR, "%s: cannot set up the request", url);
    curl_easy_cleanup(c);
    curl_slist_free_all(hdrs);
    curl_url_cleanup(u);
    if (rc != 0) {
        if (r->body)
            pj_wipe_free(r->body, s.cap);
        free(r->dpop_nonce);
        memset(r, 0, sizeof(*r));
    }
    return rc;
}

void pj_http_resp_free(pj_http_resp *r)
{
    if (r->body)
        pj_wipe_free(r->body, r->len + 1);
    free(r->dpop_nonce);
    memset(r, 0, sizeof(*r));
}

int pj_http_form_add(char **form, const char *name, const char *value)
{
    char *ev = curl_easy_escape(NULL, value, 0), *nf;
    if (ev == NULL) {
        pj_free_str(*form);
        *form = NULL;
        return -1;
    }
    nf = pj_strfmt("%s%s%s=%s", *form ? *form : "", *form ? "&" : "", name, ev);
    pj_free_str(*form);
    *form = nf;
    curl_free(ev);
    return nf ? 0 : -1;
}
