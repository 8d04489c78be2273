/* SPDX-License-Identifier: BSD-3-Clause */
/* Rosters (contract "Users and groups from a roster"): the signed list of
 * users and groups, checked and turned into systemd user records by
 * `pamjwt roster apply`.  Tool side only: the module reads the index
 * (src/core/roster_index.h), never a roster.
 *
 *   roster.c        the payload: parse and validate (no file, no NSS)
 *   roster_apply.c  the plan against the applied state and NSS, the
 *                   userdb records, the index, the state file
 *   cmd_roster.c    pamjwt roster sign | apply | sync
 *
 * Primary groups: every roster user gets a group of its own, named like
 * the user, whose gid is the user's uid (Debian's user private groups).
 * Users and groups therefore share one space of names and of ids. */
#ifndef PJ_ROSTER_H
#define PJ_ROSTER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "keys.h"
#include "util.h"

#define PJ_ROSTER_TYP "pamjwt-roster+jwt"
#define PJ_ROSTER_MAX_SIZE (32 * 1024 * 1024) /* a signed roster */
#define PJ_ROSTER_MAX_ENTRIES 100000          /* users, and groups */
#define PJ_ROSTER_MAX_USER_GROUPS 256         /* groups of one user */
#define PJ_ROSTER_MAX_STRING 1024             /* iss, sub */
#define PJ_ROSTER_MAX_FIELD 256               /* real_name, shell */
#define PJ_ROSTER_DEFAULT_LOW 200000u
#define PJ_ROSTER_DEFAULT_HIGH 299999u
#define PJ_ROSTER_DEFAULT_GRACE_DAYS 30
#define PJ_ROSTER_MAX_GRACE_DAYS 3650
#define PJ_ROSTER_DEFAULT_SHELL "/bin/bash"

typedef struct pj_roster_user {
    char *name, *iss, *sub, *real_name, *shell;
    uint32_t uid;
    pj_strlist groups;
} pj_roster_user;

typedef struct pj_roster_group {
    char *name;
    uint32_t gid;
} pj_roster_group;

typedef struct pj_roster {
    int64_t serial;
    pj_roster_user *users;
    size_t nusers;
    pj_roster_group *groups;
    size_t ngroups;
} pj_roster;

/* Parse and validate a payload (JSON text of n bytes): every rule that
 * needs neither the host nor its state.  ids must lie in [low, high] (never
 * 0); exp, when present, must not have passed at now.  0, or -1 with the
 * reason in why (nothing kept in *r). */
int pj_roster_parse(const char *text, size_t n, uint32_t low, uint32_t high, double now,
                    pj_roster *r, char *why, size_t whysz);
void pj_roster_free(pj_roster *r);

/* Verify a compact JWS roster with the keys (asymmetric only; typ must be
 * pamjwt-roster+jwt) and return its payload text (malloc'd) in *payload.
 * 0, or -1 with why. */
int pj_roster_verify(const char *jws, size_t n, const pj_keyset *ks, char **payload,
                     size_t *plen, char *why, size_t whysz);

/* ------------------------------------------------------------ applying */

/* The host's user database, as getpwnam & co. answer (injectable so tests
 * and fuzzers need no NSS): each returns 1 and the other half (a uid or a
 * name, malloc'd) when an entry exists, 0 when none, -1 when the lookup
 * failed. */
typedef struct pj_roster_nss {
    int (*user_by_name)(void *ctx, const char *name, uint32_t *id);
    int (*user_by_id)(void *ctx, uint32_t id, char **name);
    int (*group_by_name)(void *ctx, const char *name, uint32_t *id);
    int (*group_by_id)(void *ctx, uint32_t id, char **name);
    void *ctx;
} pj_roster_nss;
extern const pj_roster_nss pj_roster_system_nss;

/* What is known of the roster applied before (the state file, JSON). */
typedef struct pj_roster_state {
    json_t *j; /* {"serial":N,"ids":{"ID":"NAME"},"users":{NAME:{...}},
                *  "groups":{NAME:GID},"files":[...]} */
} pj_roster_state;

/* Where apply works: the userdb directory and the state directory. */
typedef struct pj_roster_dirs {
    const char *userdb; /* /etc/userdb */
    const char *state;  /* /var/lib/pamjwt/roster */
} pj_roster_dirs;

typedef struct pj_roster_opts {
    uint32_t low, high;
    int64_t grace_days;
    double now;
    const pj_roster_nss *nss;
    FILE *out; /* what changed: added, changed, locked, removed (NULL: quiet) */
    bool crash_after_records; /* tests only: stop (-1) once the records are in place */
    bool same_serial_unchanged; /* sync: a roster whose serial is the one applied
                                 * last is that roster again: 1, nothing done */
} pj_roster_opts;

/* Apply a verified roster's payload: lock the state directory, check every
 * rule against the state and NSS, then swap the records and the index in
 * and write the state.  A refused roster changes nothing.  0, or -1 with
 * why; 1 (why says so, nothing done) with same_serial_unchanged and the
 * serial applied last. */
int pj_roster_apply(const pj_roster_dirs *dirs, const char *payload, size_t plen,
                    const pj_roster_opts *o, char *why, size_t whysz);

/* The plan's pure part, exposed for the tests and the fuzzer: from the
 * state (a JSON object, possibly empty) and a parsed roster, the new state
 * and the set of userdb files (an object: file name -> content string, or
 * {"link": TARGET}).  0, or -1 with why; 1 with same_serial_unchanged
 * and the serial applied last (nothing planned). */
int pj_roster_plan(const json_t *old, const pj_roster *r, const pj_roster_opts *o,
                   json_t **new_state, json_t **files, char *why, size_t whysz);
/* Write the files of a plan into dir (which must exist) under their
 * names: no name holds '/', starts with '.', or is outside the plan.
 * 0, or -1. */
int pj_roster_write_files(int dirfd, const json_t *files);

#endif
