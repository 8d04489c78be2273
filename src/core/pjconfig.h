/* SPDX-License-Identifier: BSD-3-Clause */
/* The config file: parsing `key = value` lines and loading what they name.
 * One parser serves the module and `pamjwt`. */
#ifndef PJ_PJCONFIG_H
#define PJ_PJCONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "groups.h"
#include "netmatch.h"
#include "keys.h"
#include "log.h"
#include "roster_index.h"
#include "util.h"

#ifndef PJ_DEFAULT_CONFIG
#define PJ_DEFAULT_CONFIG "/etc/security/pam_jwt.conf"
#endif

#define PJ_MAX_LINE 4096
#define PJ_DEFAULT_LEEWAY 30
#define PJ_MAX_LEEWAY 86400
#define PJ_DEFAULT_MAX_LIFETIME 3600
#define PJ_MAX_MAX_LIFETIME 31536000
/* (uid_t)-1 is "no uid" (setreuid, chown): the largest uid is one below */
#define PJ_MAX_MIN_UID ((uid_t)-2)
#define PJ_MAX_EXPORT_NAME 64
/* Device sign-in (device_flow): the wait for the user, and who runs the helper. */
#define PJ_DEFAULT_DEVICE_TIMEOUT 110
#define PJ_MAX_DEVICE_TIMEOUT 600
#define PJ_DEFAULT_DEVICE_USER "_pamjwt"
#ifndef PJ_DEFAULT_DEVICE_HELPER
#define PJ_DEFAULT_DEVICE_HELPER "/usr/libexec/pamjwt/pamjwt-device"
#endif
#define PJ_MAX_DEVICE_FIELD 512  /* longest device_client_id, device_scope */
/* Rosters: the ids they may use, and the days a user who left stays locked. */
#define PJ_DEFAULT_ROSTER_LOW 200000u
#define PJ_DEFAULT_ROSTER_HIGH 299999u
#define PJ_DEFAULT_ROSTER_GRACE_DAYS 30
#define PJ_MAX_ROSTER_GRACE_DAYS 3650
#define PJ_DEFAULT_DEVICE_PENDING 8 /* device_max_pending: sign-ins at once on a host */
#define PJ_MAX_DEVICE_PENDING 1024

typedef struct pj_claim_req {
    char *name;
    char *value;
} pj_claim_req;

/* A file read at config load; lines are scanned at decision time. */
typedef struct pj_text {
    char *path;
    char *buf;
    size_t len;
} pj_text;

typedef struct pj_config {
    char *path;
    /* as written */
    pj_strlist key_files, jwks_files;
    char *hmac_secret_file;
    unsigned algs;           /* allowed algorithms, bit per pj_alg */
    bool algs_set;
    char *issuer, *audience;
    pj_strlist allowed_subjects;
    bool allow_any_subject;
    char *subject_claim;
    int64_t leeway, max_lifetime; /* seconds: 64-bit on every architecture */
    uid_t min_uid;           /* a mapped user's uid must be at least this */
    uid_t max_uid;           /* ... and at most this (default 4294967294) */
    pj_claim_req *reqs;
    size_t nreqs;
    pj_text subjects_file, user_map, revoked;
    char *replay_cache;
    pj_strlist export_claims; /* claim names put in the PAM environment */
    bool require_pop;        /* tokens must be bound (cnf.jkt) and proven */
    /* device sign-in: the module runs device_helper as device_user */
    bool device_flow;
    char *device_client_id, *device_scope, *device_ca_file, *device_user, *device_helper;
    char *device_audience;   /* aud of a token from device sign-in (scoped);
                              * NULL: device_client_id */
    int64_t device_timeout;  /* seconds, 1..600 (V_NUMBER: int64_t) */
    int64_t device_max_pending; /* 1..1024 */
    pj_netlist device_from;  /* empty: every login is offered device sign-in */
    pj_strlist pop_audience; /* a proof's aud must be one of these (scoped);
                              * empty: the default, PJ_POP_DEFAULT_AUDIENCE */
    pj_group_map group_map;  /* group_map = PATH (path NULL: not set) and its rules */
    char *group_claim;       /* NULL: PJ_DEFAULT_GROUP_CLAIM */
    /* rosters (roster_index.h): roster = yes maps a roster user's (iss,
     * sub); the other keys are read by `pamjwt roster apply` only */
    bool roster;
    char *roster_key_file;
    char *roster_state_dir;  /* as written; NULL: PJ_ROSTER_STATE_DIR */
    uint32_t roster_low, roster_high;
    int64_t roster_grace_days;
    const char *roster_dir;  /* the state directory in use: roster_state_dir
                              * or PJ_ROSTER_STATE_DIR (tests set it) */
    /* loaded */
    pj_keyset keys;
    int replay_dirfd;
} pj_config;

/* Parse config text (no file access).  -1 on the first error, logged with
 * file and line.  c must come from pj_config_new. */
int pj_config_parse(pj_config *c, const char *text, size_t len, const pj_log *log);
/* Check required keys and load keys and files named.  -1 on error (logged). */
int pj_config_finish(pj_config *c, const pj_log *log);
/* Safe-open, parse and finish.  NULL on error (logged). */
pj_config *pj_config_load(const char *path, const pj_log *log);
/* The same for the file name in the directory open as dirfd (see
 * pj_read_file_at); path is the config's name in log lines. */
pj_config *pj_config_load_at(int dirfd, const char *name, const char *path, const pj_log *log);

/* Does audience, a require_claim value or (under require_pop) a
 * pop_audience value use %s (the PAM service)? */
bool pj_config_uses_service(const pj_config *c);

pj_config *pj_config_new(const char *path);
void pj_config_free(pj_config *c);

#endif
