/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include "export.h"

#include <stdio.h>
#include <string.h>

/* A control character: C0, DEL, or C1 written in UTF-8 (0xC2 0x80-0x9F). */
static bool has_control(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)s[i];
        if (b < 0x20 || b == 0x7f)
            return true;
        if (b == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
            (unsigned char)s[i + 1] <= 0x9f)
            return true;
    }
    return false;
}

/* A bidirectional control character in UTF-8, which makes a value read
 * differently from what it holds: U+061C (D8 9C), U+200E-U+200F (E2 80
 * 8E-8F), U+202A-U+202E (E2 80 AA-AE), U+2066-U+2069 (E2 81 A6-A9). */
static bool has_bidi(const char *s, size_t n)
{
    for (const char *p = memchr(s, 0xe2, n); p != NULL && (size_t)(p - s) + 2 < n;
         p = memchr(p + 1, 0xe2, n - (size_t)(p + 1 - s))) {
        unsigned char b1 = (unsigned char)p[1], b2 = (unsigned char)p[2];
        if ((b1 == 0x80 && (b2 == 0x8e || b2 == 0x8f || (b2 >= 0xaa && b2 <= 0xae))) ||
            (b1 == 0x81 && b2 >= 0xa6 && b2 <= 0xa9))
            return true;
    }
    for (const char *p = memchr(s, 0xd8, n); p != NULL && (size_t)(p - s) + 1 < n;
         p = memchr(p + 1, 0xd8, n - (size_t)(p + 1 - s)))
        if ((unsigned char)p[1] == 0x9c)
            return true;
    return false;
}

/* PAM_JWT_ + NAME upper-cased, anything but A-Z 0-9 made '_', into var
 * (room for PAM_JWT_ and PJ_MAX_EXPORT_NAME); its length. */
static size_t var_name(char *var, const char *name)
{
    size_t o = (size_t)snprintf(var, sizeof("PAM_JWT_"), "PAM_JWT_");
    for (const char *p = name; *p; p++) {
        char ch = *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A') : *p;
        var[o++] = (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ? ch : '_';
    }
    var[o] = '\0';
    return o;
}

int pj_export_names(const pj_config *c, pj_strlist *names)
{
    char var[sizeof("PAM_JWT_") + PJ_MAX_EXPORT_NAME + 1];
    for (size_t i = 0; i < c->export_claims.n; i++) {
        size_t o = var_name(var, c->export_claims.v[i]);
        if (!pj_strlist_has(names, var) && pj_strlist_add(names, var, o) != 0)
            return -1;
    }
    return 0;
}

int pj_export_claims(const pj_config *c, json_t *claims, pj_strlist *env, const pj_log *log)
{
    char var[sizeof("PAM_JWT_") + PJ_MAX_EXPORT_NAME + 1 + PJ_MAX_EXPORT_VALUE + 1];
    for (size_t i = 0; i < c->export_claims.n; i++) {
        const char *name = c->export_claims.v[i];
        json_t *v = json_object_get(claims, name);
        char num[32], safe[80];
        const char *val = num;
        size_t vl, o;
        if (v == NULL)
            continue;
        pj_sanitize(safe, sizeof(safe), name, strlen(name));
        switch (json_typeof(v)) {
        case JSON_STRING:
            val = json_string_value(v);
            vl = json_string_length(v);
            break;
        case JSON_INTEGER:
            vl = (size_t)snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
            break;
        case JSON_TRUE:
        case JSON_FALSE:
            vl = (size_t)snprintf(num, sizeof(num), "%s", json_is_true(v) ? "true" : "false");
            break;
        default:
            pj_logf(log, LOG_NOTICE, "claim %s not exported: not a string, integer or boolean", safe);
            continue;
        }
        if (vl > PJ_MAX_EXPORT_VALUE) {
            pj_logf(log, LOG_NOTICE, "claim %s not exported: value longer than %d bytes", safe,
                    PJ_MAX_EXPORT_VALUE);
            continue;
        }
        if (has_control(val, vl)) {
            pj_logf(log, LOG_NOTICE, "claim %s not exported: value holds a control character",
                    safe);
            continue;
        }
        if (has_bidi(val, vl)) {
            pj_logf(log, LOG_NOTICE,
                    "claim %s not exported: value holds a bidirectional control character",
                    safe);
            continue;
        }
        o = var_name(var, name);
        var[o++] = '=';
        memcpy(var + o, val, vl);
        o += vl;
        if (pj_strlist_add(env, var, o) != 0)
            return -1;
    }
    return 0;
}
