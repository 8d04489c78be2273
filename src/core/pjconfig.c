/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include "pjconfig.h"

#include "device_reply.h"
#include "jwks.h"
#include "netmatch.h"
#include "safefile.h"
#include "scope.h"
#include "target.h"
#include "subject.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum vtype { V_PATH, V_PATHS, V_DIR, V_STRING, V_SCOPED, V_ALGS, V_SUBJECTS, V_NUMBER, V_CLAIM,
             V_NAMES, V_BOOL, V_UID, V_TARGETS, V_RANGE, V_NETS };

struct keydef {
    const char *name;
    enum vtype type;
    size_t off;
    uintmax_t max;        /* V_NUMBER, V_UID: largest value (smallest is 0) */
    const char *range;    /* V_NUMBER, V_UID: the error for a value out of range */
};

#define OFF(f) offsetof(pj_config, f)
static const struct keydef keydefs[] = {
    {"key_file", V_PATHS, OFF(key_files), 0, NULL},
    {"jwks_file", V_PATHS, OFF(jwks_files), 0, NULL},
    {"hmac_secret_file", V_PATH, OFF(hmac_secret_file), 0, NULL},
    {"algorithms", V_ALGS, 0, 0, NULL},
    {"issuer", V_STRING, OFF(issuer), 0, NULL},
    {"audience", V_SCOPED, OFF(audience), 0, NULL},
    {"allowed_subjects", V_SUBJECTS, 0, 0, NULL},
    {"allowed_subjects_file", V_PATH, OFF(subjects_file.path), 0, NULL},
    {"subject_claim", V_STRING, OFF(subject_claim), 0, NULL},
    {"user_map_file", V_PATH, OFF(user_map.path), 0, NULL},
    {"leeway", V_NUMBER, OFF(leeway), PJ_MAX_LEEWAY, "expected whole seconds from 0 to 86400"},
    {"max_lifetime", V_NUMBER, OFF(max_lifetime), PJ_MAX_MAX_LIFETIME,
     "expected whole seconds from 0 to 31536000"},
    {"min_uid", V_UID, OFF(min_uid), PJ_MAX_MIN_UID, "expected a uid from 0 to 4294967294"},
    {"max_uid", V_UID, OFF(max_uid), PJ_MAX_MIN_UID, "expected a uid from 0 to 4294967294"},
    {"require_claim", V_CLAIM, 0, 0, NULL},
    {"revoked_file", V_PATH, OFF(revoked.path), 0, NULL},
    {"replay_cache", V_DIR, OFF(replay_cache), 0, NULL},
    {"export_claims", V_NAMES, OFF(export_claims), 0, NULL},
    {"require_pop", V_BOOL, OFF(require_pop), 0, NULL},
    {"device_flow", V_BOOL, OFF(device_flow), 0, NULL},
    {"device_client_id", V_STRING, OFF(device_client_id), 0, NULL},
    {"device_scope", V_STRING, OFF(device_scope), 0, NULL},
    {"device_audience", V_SCOPED, OFF(device_audience), 0, NULL},
    {"device_timeout", V_NUMBER, OFF(device_timeout), PJ_MAX_DEVICE_TIMEOUT,
     "expected whole seconds from 1 to 600"},
    {"device_ca_file", V_PATH, OFF(device_ca_file), 0, NULL},
    {"device_user", V_STRING, OFF(device_user), 0, NULL},
    {"device_helper", V_PATH, OFF(device_helper), 0, NULL},
    {"device_max_pending", V_NUMBER, OFF(device_max_pending), PJ_MAX_DEVICE_PENDING,
     "expected a number from 1 to 1024"},
    {"device_from", V_NETS, OFF(device_from), 0, NULL},
    {"pop_audience", V_TARGETS, OFF(pop_audience), 0, NULL},
    {"group_map", V_PATH, OFF(group_map.path), 0, NULL},
    {"group_claim", V_STRING, OFF(group_claim), 0, NULL},
    {"roster", V_BOOL, OFF(roster), 0, NULL},
    {"roster_key_file", V_PATH, OFF(roster_key_file), 0, NULL},
    {"roster_state_dir", V_PATH, OFF(roster_state_dir), 0, NULL},
    {"roster_id_range", V_RANGE, 0, 0, NULL},
    {"roster_grace_days", V_NUMBER, OFF(roster_grace_days), PJ_MAX_ROSTER_GRACE_DAYS,
     "expected whole days from 0 to 3650"},
};
#define NKEYS (sizeof(keydefs) / sizeof(keydefs[0]))
/* set_value writes V_NUMBER keys as int64_t and V_UID keys as uid_t */
#define FIELD_IS(f, T) _Generic(((pj_config *)0)->f, T: 1, default: 0)
_Static_assert(FIELD_IS(leeway, int64_t) && FIELD_IS(max_lifetime, int64_t),
               "V_NUMBER fields are int64_t");
_Static_assert(FIELD_IS(device_timeout, int64_t), "V_NUMBER fields are int64_t");
_Static_assert(FIELD_IS(roster_grace_days, int64_t), "V_NUMBER fields are int64_t");
_Static_assert(FIELD_IS(device_max_pending, int64_t), "V_NUMBER fields are int64_t");
_Static_assert(FIELD_IS(min_uid, uid_t), "V_UID fields are uid_t");
_Static_assert(FIELD_IS(max_uid, uid_t), "V_UID fields are uid_t");
_Static_assert((uid_t)-1 > 0 && sizeof(uid_t) == 4, "uid_t is 32-bit unsigned, as the "
                                                   "min_uid message says");

pj_config *pj_config_new(const char *path)
{
    pj_config *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->path = strdup(path);
    if (c->path == NULL) {
        free(c);
        return NULL;
    }
    c->leeway = PJ_DEFAULT_LEEWAY;
    c->max_lifetime = PJ_DEFAULT_MAX_LIFETIME;
    c->replay_dirfd = -1;
    c->device_timeout = PJ_DEFAULT_DEVICE_TIMEOUT;
    c->device_max_pending = PJ_DEFAULT_DEVICE_PENDING;
    c->max_uid = PJ_MAX_MIN_UID;
    c->roster_low = PJ_DEFAULT_ROSTER_LOW;
    c->roster_high = PJ_DEFAULT_ROSTER_HIGH;
    c->roster_grace_days = PJ_DEFAULT_ROSTER_GRACE_DAYS;
    c->roster_dir = PJ_ROSTER_STATE_DIR;
    return c;
}

static void text_free(pj_text *t)
{
    free(t->path);
    free(t->buf);
    memset(t, 0, sizeof(*t));
}

void pj_config_free(pj_config *c)
{
    if (c == NULL)
        return;
    free(c->path);
    pj_strlist_free(&c->key_files);
    pj_strlist_free(&c->jwks_files);
    free(c->hmac_secret_file);
    free(c->issuer);
    free(c->audience);
    pj_strlist_free(&c->allowed_subjects);
    pj_strlist_free(&c->export_claims);
    pj_strlist_free(&c->pop_audience);
    free(c->subject_claim);
    for (size_t i = 0; i < c->nreqs; i++) {
        free(c->reqs[i].name);
        free(c->reqs[i].value);
    }
    free(c->reqs);
    text_free(&c->subjects_file);
    text_free(&c->user_map);
    text_free(&c->revoked);
    free(c->replay_cache);
    free(c->device_client_id);
    free(c->device_scope);
    free(c->device_audience);
    free(c->device_ca_file);
    free(c->device_user);
    free(c->device_helper);
    pj_group_map_free(&c->group_map);
    free(c->group_claim);
    free(c->roster_key_file);
    free(c->roster_state_dir);
    pj_netlist_free(&c->device_from);
    pj_keyset_free(&c->keys);
    if (c->replay_dirfd >= 0)
        close(c->replay_dirfd);
    free(c);
}

/* algorithms = A B ...: names separated by white space or commas. */
static int parse_algs(pj_config *c, char *v, const char **why)
{
    unsigned mask = 0;
    for (char *save = NULL, *w = strtok_r(v, " \t,", &save); w; w = strtok_r(NULL, " \t,", &save)) {
        int a;
        if (strcasecmp(w, "none") == 0) {
            *why = "'none' is never accepted";
            return -1;
        }
        a = pj_alg_from_name(w);
        if (a < 0) {
            *why = (strcmp(w, "EdDSA") == 0) ? "EdDSA is not supported by this build"
                                             : "unknown algorithm name";
            return -1;
        }
        mask |= 1u << a;
    }
    if (mask == 0) {
        *why = "empty algorithm list";
        return -1;
    }
    c->algs = mask;
    c->algs_set = true;
    return 0;
}

static int parse_subjects(pj_config *c, char *v, const char **why)
{
    for (char *save = NULL, *w = strtok_r(v, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
        /* "alice,bob" would be one subject that no issuer sends */
        if (strchr(w, ',') != NULL) {
            *why = "subjects are separated by spaces, not commas (a ',' is in a subject)";
            return -1;
        }
        if (strcmp(w, "*") == 0)
            c->allow_any_subject = true;
        else if (pj_strlist_add(&c->allowed_subjects, w, strlen(w)) != 0) {
            *why = "out of memory";
            return -1;
        }
    }
    return 0;
}

static int parse_claim(pj_config *c, char *v, const char **why)
{
    size_t nl = strcspn(v, " \t");
    const char *val = v + nl;
    while (*val == ' ' || *val == '\t')
        val++;
    if (v[nl] == '\0' || *val == '\0') {
        *why = "expected 'require_claim = NAME VALUE'";
        return -1;
    }
    if (!pj_scope_valid(val, why))
        return -1;
    pj_claim_req *r = realloc(c->reqs, (c->nreqs + 1) * sizeof(*r));
    if (r == NULL) {
        *why = "out of memory";
        return -1;
    }
    c->reqs = r;
    r[c->nreqs].name = pj_strndup(v, nl);
    r[c->nreqs].value = strdup(val);
    if (r[c->nreqs].name == NULL || r[c->nreqs].value == NULL) {
        free(r[c->nreqs].name);
        free(r[c->nreqs].value);
        *why = "out of memory";
        return -1;
    }
    c->nreqs++;
    return 0;
}

/* A claim name's character in its PAM_JWT_NAME variable (as export.c
 * writes it): upper case, anything but A-Z and 0-9 made '_'. */
static char export_char(char ch)
{
    ch = ch >= 'a' && ch <= 'z' ? (char)(ch - 'a' + 'A') : ch;
    return (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ? ch : '_';
}

/* export_claims = NAME ...: claim names, each once. */
static int parse_names(pj_strlist *l, char *v, const char **why)
{
    for (char *save = NULL, *w = strtok_r(v, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
        if (strlen(w) > PJ_MAX_EXPORT_NAME) {
            *why = "claim name longer than 64 bytes";
            return -1;
        }
        if (pj_strlist_has(l, w)) {
            *why = "claim named twice";
            return -1;
        }
        /* names that differ only where PAM_JWT_NAME has '_' or in letter
         * case would set one variable: a-b and a_b are both PAM_JWT_A_B */
        for (size_t i = 0; i < l->n; i++) {
            const char *a = l->v[i], *b = w;
            while (*a && *b && export_char(*a) == export_char(*b))
                a++, b++;
            if (*a == '\0' && *b == '\0') {
                static __thread char msg[2 * PJ_MAX_EXPORT_NAME + 80];
                snprintf(msg, sizeof(msg), "%s and %s would both be exported as the same "
                         "PAM_JWT_ variable", l->v[i], w);
                *why = msg;
                return -1;
            }
        }
        if (pj_strlist_add(l, w, strlen(w)) != 0) {
            *why = "out of memory";
            return -1;
        }
    }
    return 0;
}

/* pop_audience = ssh://HOST local://HOST ...: the targets a client may name
 * in a proof's aud (scoped: %h, %s, %%), each once; any SCHEME://REST
 * (target.h), a bare host name is an error. */
static int parse_targets(pj_strlist *l, char *v, const char **why)
{
    for (char *save = NULL, *w = strtok_r(v, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
        if (!pj_target_valid(w, strlen(w), why))
            return -1;
        if (!pj_scope_valid(w, why))
            return -1;
        if (pj_strlist_has(l, w)) {
            *why = "target listed twice";
            return -1;
        }
        if (pj_strlist_add(l, w, strlen(w)) != 0) {
            *why = "out of memory";
            return -1;
        }
    }
    return 0;
}

/* roster_id_range = LOW-HIGH: uids, LOW at least 1, LOW <= HIGH. */
static int parse_range(pj_config *c, char *v, const char **why)
{
    char *dash = strchr(v, '-');
    uintmax_t lo, hi;
    *why = "expected LOW-HIGH, uids from 1 to 4294967294 with LOW <= HIGH (never 0)";
    if (dash == NULL)
        return -1;
    *dash = '\0';
    if (pj_parse_uint(v, 1, PJ_MAX_MIN_UID, &lo) != 0 ||
        pj_parse_uint(dash + 1, 1, PJ_MAX_MIN_UID, &hi) != 0 || lo > hi)
        return -1;
    c->roster_low = (uint32_t)lo;
    c->roster_high = (uint32_t)hi;
    return 0;
}

static int set_value(pj_config *c, const struct keydef *kd, char *v, const char **why)
{
    char **sp = (char **)((char *)c + kd->off);
    switch (kd->type) {
    case V_PATH:
    case V_DIR:
    case V_PATHS:
        if (v[0] != '/') {
            *why = "path must be absolute";
            return -1;
        }
        if (strpbrk(v, " \t") != NULL) {
            *why = "one path per line";
            return -1;
        }
        /* one rule for every path: paths are never expanded, and a '%'
         * (%h, %s, %% or any other) is refused rather than taken literally */
        if (strchr(v, '%') != NULL) {
            *why = "'%' in a path (paths are not expanded: %h and %s are not replaced)";
            return -1;
        }
        if (kd->type == V_PATHS)
            return pj_strlist_add((pj_strlist *)((char *)c + kd->off), v, strlen(v));
        *sp = strdup(v);
        return *sp ? 0 : -1;
    case V_SCOPED:
        if (!pj_scope_valid(v, why))
            return -1;
        /* fall through */
    case V_STRING:
        *sp = strdup(v);
        return *sp ? 0 : -1;
    case V_NUMBER: /* an int64_t field */
    case V_UID: {  /* a uid_t field */
        uintmax_t n;
        if (pj_parse_uint(v, 0, kd->max, &n) != 0) {
            *why = kd->range;
            return -1;
        }
        if (kd->type == V_UID)
            *(uid_t *)((char *)c + kd->off) = (uid_t)n;
        else
            *(int64_t *)((char *)c + kd->off) = (int64_t)n;
        return 0;
    }
    case V_ALGS:
        return parse_algs(c, v, why);
    case V_SUBJECTS:
        return parse_subjects(c, v, why);
    case V_CLAIM:
        return parse_claim(c, v, why);
    case V_NAMES:
        return parse_names((pj_strlist *)((char *)c + kd->off), v, why);
    case V_TARGETS:
        return parse_targets((pj_strlist *)((char *)c + kd->off), v, why);
    case V_RANGE:
        return parse_range(c, v, why);
    case V_NETS:
        return pj_netlist_parse((pj_netlist *)((char *)c + kd->off), v, why);
    case V_BOOL: {
        bool *b = (bool *)((char *)c + kd->off);
        if (strcmp(v, "yes") == 0)
            *b = true;
        else if (strcmp(v, "no") == 0)
            *b = false;
        else {
            *why = "expected yes or no";
            return -1;
        }
        return 0;
    }
    }
    return -1;
}

/* One line of the config, read in place: the comment cut ('#' starts one
 * at the start of a line or after white space, so values such as URLs may
 * still contain '#'), white space trimmed, then split at the first '='
 * into *k and *v, each trimmed. */
typedef enum { LINE_BLANK, LINE_KEY_VALUE, LINE_NO_EQUALS } line_kind;

static line_kind split_line(char *line, char **k, char **v)
{
    char *p, *eq;
    for (p = line; *p; p++)
        if (*p == '#' && (p == line || pj_is_space((unsigned char)p[-1]))) {
            *p = '\0';
            break;
        }
    const char *ts = line;
    size_t sl = strlen(line), kl;
    pj_trim(&ts, &sl);
    if (sl == 0)
        return LINE_BLANK;
    *k = line + (ts - line);
    (*k)[sl] = '\0';
    if ((eq = strchr(*k, '=')) == NULL)
        return LINE_NO_EQUALS;
    *eq = '\0';
    for (kl = strlen(*k); kl > 0 && pj_is_space((unsigned char)(*k)[kl - 1]);)
        (*k)[--kl] = '\0';
    for (*v = eq + 1; pj_is_space((unsigned char)**v);)
        (*v)++;
    return LINE_KEY_VALUE;
}

/* Set key k to v (line lineno): a known key, a value, set once (but for
 * the keys that may repeat); seen[] holds the line each key was set on.
 * 0, or -1 logged. */
static int set_key(pj_config *c, unsigned seen[NKEYS], unsigned lineno, const char *k, char *v,
                   const pj_log *log)
{
    const char *why = NULL;
    size_t i;
    for (i = 0; i < NKEYS; i++)
        if (strcmp(keydefs[i].name, k) == 0)
            break;
    if (i == NKEYS) {
        char safe[80];
        pj_sanitize(safe, sizeof(safe), k, strlen(k));
        pj_logf(log, LOG_ERR, "config %s:%u: unknown key '%s'", c->path, lineno, safe);
        return -1;
    }
    if (*v == '\0') {
        pj_logf(log, LOG_ERR, "config %s:%u: %s: empty value", c->path, lineno, k);
        return -1;
    }
    if (seen[i] && keydefs[i].type != V_PATHS && keydefs[i].type != V_CLAIM) {
        pj_logf(log, LOG_ERR, "config %s:%u: %s: duplicate key (first set on line %u)",
                c->path, lineno, k, seen[i]);
        return -1;
    }
    seen[i] = lineno;
    if (set_value(c, &keydefs[i], v, &why) != 0) {
        pj_logf(log, LOG_ERR, "config %s:%u: %s: %s", c->path, lineno, k,
                why ? why : "out of memory");
        return -1;
    }
    return 0;
}

int pj_config_parse(pj_config *c, const char *text, size_t len, const pj_log *log)
{
    unsigned seen[NKEYS] = {0};
    char line[PJ_MAX_LINE + 1];
    unsigned lineno = 0;
    size_t pos = 0;

    if (memchr(text, '\0', len) != NULL) {
        pj_logf(log, LOG_ERR, "config %s: contains a NUL byte", c->path);
        return -1;
    }
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
        char *k = NULL, *v = NULL;

        lineno++;
        if (n > PJ_MAX_LINE) {
            pj_logf(log, LOG_ERR, "config %s:%u: line longer than %d bytes", c->path, lineno,
                    PJ_MAX_LINE);
            return -1;
        }
        memcpy(line, text + pos, n);
        line[n] = '\0';
        pos += n + (nl ? 1 : 0);
        switch (split_line(line, &k, &v)) {
        case LINE_BLANK:
            continue;
        case LINE_NO_EQUALS:
            pj_logf(log, LOG_ERR, "config %s:%u: expected 'key = value'", c->path, lineno);
            return -1;
        case LINE_KEY_VALUE:
            break;
        }
        if (set_key(c, seen, lineno, k, v, log) != 0)
            return -1;
    }
    return 0;
}

static int load_text(pj_text *t, const char *what, const pj_log *log)
{
    if (t->path == NULL)
        return 0;
    return pj_read_file(t->path, what, PJ_FILE_PUBLIC, PJ_MAX_LIST_SIZE, log, &t->buf, &t->len);
}

/* group_map: a safe file, its rules, none naming a gid 0 group. */
static int load_group_map(pj_group_map *m, const pj_log *log)
{
    char *buf;
    size_t len;
    int rc;
    if (pj_read_file(m->path, "group_map", PJ_FILE_PUBLIC, PJ_MAX_GROUP_MAP_SIZE, log, &buf,
                     &len) != 0)
        return -1;
    rc = pj_group_map_parse(m, buf, len, log);
    free(buf);
    return rc == 0 ? pj_group_map_check_gids(m, log) : -1;
}

static int load_hmac(pj_config *c, const pj_log *log)
{
    char *buf;
    size_t len;
    if (pj_read_file(c->hmac_secret_file, "hmac_secret_file", PJ_FILE_SECRET, PJ_MAX_KEY_SIZE,
                     log, &buf, &len) != 0)
        return -1;
    size_t n = len;
    if (n > 0 && buf[n - 1] == '\n') {
        n--;
        if (n > 0 && buf[n - 1] == '\r')
            n--;
    }
    if (n < PJ_MIN_HMAC_SECRET) {
        pj_logf(log, LOG_ERR,
                "hmac_secret_file %s: secret is %zu bytes, at least %d are required", c->hmac_secret_file,
                n, PJ_MIN_HMAC_SECRET);
        pj_wipe_free(buf, len + 1);
        return -1;
    }
    unsigned char *secret = malloc(n);
    if (secret == NULL) {
        pj_wipe_free(buf, len + 1);
        return -1;
    }
    memcpy(secret, buf, n);
    pj_wipe_free(buf, len + 1);
    if (pj_keys_add_hmac(&c->keys, secret, n, c->hmac_secret_file) != 0) {
        pj_wipe_free(secret, n);
        return -1;
    }
    return 0;
}

/* A value handed to the device sign-in helper: printable ASCII, bounded
 * (spaces only where `spaces`), as the helper protocol checks it. */
static bool device_value_ok(const char *v, bool spaces)
{
    return pj_dr_value_ok(v, PJ_MAX_DEVICE_FIELD, spaces);
}

/* http(s) as pamjwt login takes it: https, or http to the loopback host
 * (for tests). */
static bool device_issuer_ok(const char *iss)
{
    static const char *const loop[] = {"http://127.0.0.1", "http://localhost"};
    if (strncmp(iss, "https://", 8) == 0 && iss[8] != '\0' && iss[8] != '/')
        return true;
    for (size_t i = 0; i < 2; i++) {
        size_t l = strlen(loop[i]);
        if (strncmp(iss, loop[i], l) == 0 && (iss[l] == '\0' || iss[l] == ':' || iss[l] == '/'))
            return true;
    }
    return false;
}

/* device_flow = yes: what the helper needs is there and well-formed. */
static int check_device(pj_config *c, const pj_log *log)
{
    const char *why = NULL, *key = "device_flow";
    if (c->device_timeout < 1)
        key = "device_timeout", why = "expected whole seconds from 1 to 600";
    else if (c->device_max_pending < 1)
        key = "device_max_pending", why = "expected a number from 1 to 1024";
    else if (c->device_client_id && !device_value_ok(c->device_client_id, false))
        key = "device_client_id", why = "expected printable characters without spaces (at most 512)";
    else if (c->device_scope && !device_value_ok(c->device_scope, true))
        key = "device_scope", why = "expected printable characters (at most 512)";
    else if (c->device_user && !pj_user_name_ok(c->device_user))
        key = "device_user", why = "not a valid user name";
    else if (c->device_user && strcmp(c->device_user, "root") == 0)
        key = "device_user", why = "the helper never runs as root";
    else if (c->device_flow && c->device_client_id == NULL)
        key = "device_client_id", why = "required with device_flow = yes";
    else if (c->device_flow && c->issuer == NULL)
        key = "issuer", why = "required with device_flow = yes (its discovery names the endpoints)";
    else if (c->device_flow && (!device_issuer_ok(c->issuer) || strlen(c->issuer) > 1024 ||
                                !device_value_ok(c->issuer, false)))
        key = "issuer", why = "device_flow needs an https issuer (http only to 127.0.0.1 or "
                              "localhost, for tests)";
    if (why == NULL)
        return 0;
    pj_logf(log, LOG_ERR, "config %s: %s: %s", c->path, key, why);
    return -1;
}

#define HMAC_MASK ((1u << PJ_ALG_HS256) | (1u << PJ_ALG_HS384) | (1u << PJ_ALG_HS512))

int pj_config_finish(pj_config *c, const pj_log *log)
{
    if (c->key_files.n == 0 && c->jwks_files.n == 0 && c->hmac_secret_file == NULL) {
        pj_logf(log, LOG_ERR, "config %s: no keys: set key_file, jwks_file or hmac_secret_file",
                c->path);
        return -1;
    }
    if (c->allowed_subjects.n == 0 && !c->allow_any_subject && c->subjects_file.path == NULL &&
        !c->roster) {
        pj_logf(log, LOG_ERR,
                "config %s: set allowed_subjects or allowed_subjects_file (use '*' for any), "
                "or roster = yes",
                c->path);
        return -1;
    }
    if (c->roster && c->issuer == NULL) {
        /* the roster binds a user to an iss: without issuer any key of
         * this policy could sign another issuer's iss and sub */
        pj_logf(log, LOG_ERR, "config %s: roster = yes requires issuer", c->path);
        return -1;
    }
    if (c->max_uid < c->min_uid) {
        pj_logf(log, LOG_ERR, "config %s: max_uid %ju is below min_uid %ju", c->path,
                (uintmax_t)c->max_uid, (uintmax_t)c->min_uid);
        return -1;
    }
    if (!c->algs_set)
        c->algs = pj_alg_supported_mask() & (c->hmac_secret_file ? ~0u : ~HMAC_MASK);
    else if ((c->algs & HMAC_MASK) && c->hmac_secret_file == NULL) {
        pj_logf(log, LOG_ERR, "config %s: algorithms lists HS* but no hmac_secret_file is set",
                c->path);
        return -1;
    }
    if (c->subject_claim == NULL && (c->subject_claim = strdup("sub")) == NULL)
        return -1;
    if (check_device(c, log) != 0)
        return -1;
    if (c->roster_state_dir)
        c->roster_dir = c->roster_state_dir;

    for (size_t i = 0; i < c->key_files.n; i++)
        if (pj_keys_load_pem(&c->keys, c->key_files.v[i], log) != 0)
            return -1;
    for (size_t i = 0; i < c->jwks_files.n; i++)
        if (pj_jwks_load(&c->keys, c->jwks_files.v[i], log) != 0)
            return -1;
    if (c->hmac_secret_file && load_hmac(c, log) != 0)
        return -1;
    if (load_text(&c->subjects_file, "allowed_subjects_file", log) != 0 ||
        load_text(&c->user_map, "user_map_file", log) != 0 ||
        load_text(&c->revoked, "revoked_file", log) != 0)
        return -1;
    if (c->group_map.path && load_group_map(&c->group_map, log) != 0)
        return -1;
    if (c->replay_cache) {
        c->replay_dirfd = pj_open_dir(c->replay_cache, "replay_cache", log);
        if (c->replay_dirfd < 0)
            return -1;
    }
    return 0;
}

bool pj_config_uses_service(const pj_config *c)
{
    if (c->audience && pj_scope_uses_service(c->audience))
        return true;
    if (c->device_flow && c->device_audience && pj_scope_uses_service(c->device_audience))
        return true;
    for (size_t i = 0; i < c->nreqs; i++)
        if (pj_scope_uses_service(c->reqs[i].value))
            return true;
    /* every bound token is proven, whatever require_pop says */
    for (size_t i = 0; i < c->pop_audience.n; i++)
        if (pj_scope_uses_service(c->pop_audience.v[i]))
            return true;
    return false;
}

pj_config *pj_config_load(const char *path, const pj_log *log)
{
    return pj_config_load_at(AT_FDCWD, path, path, log);
}

pj_config *pj_config_load_at(int dirfd, const char *name, const char *path, const pj_log *log)
{
    char *buf;
    size_t len;
    pj_config *c;
    if (pj_read_file_at(dirfd, name, path, "config", PJ_FILE_PUBLIC, PJ_MAX_CONFIG_SIZE, log, &buf,
                        &len) != 0)
        return NULL;
    c = pj_config_new(path);
    if (c == NULL || pj_config_parse(c, buf, len, log) != 0 || pj_config_finish(c, log) != 0) {
        pj_config_free(c);
        c = NULL;
    }
    free(buf);
    return c;
}
