/* SPDX-License-Identifier: BSD-3-Clause */
/* The unit tests: tests/unit/X.c tests src/core/X.c (or src/pam/X.c) and
 * defines test_X functions, which tests/unit/main.c calls in one program,
 * tests/test_unit. */
#ifndef PJ_TESTS_UNIT_H
#define PJ_TESTS_UNIT_H
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "device_reply.h"
#include "log.h"
#include "netmatch.h"
#include "slot.h"
#include "spawn.h"
#include "b64enc.h"
#include "b64url.h"
#include "claims.h"
#include "decide.h"
#include "groups.h"
#include "jose.h"
#include "jwks.h"
#include "keys.h"
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include "pjconfig.h"
#include "policy.h"
#include "pop.h"
#include "target.h"
#include "replay.h"
#include "safefile.h"
#include "subject.h"
#define PJ_TAP_SHARED 1
#include "tap.h"
#include "testlib.h"

/* helpers.c */
extern char lastlog[2048];
extern pj_log LOG;
pj_config *parse(const char *text, int *rc);
json_t *J(const char *s);
/* A config that must be refused: its text and the words its log line holds.
 * config_cases parses base + text (and pj_config_finish when finish) for
 * each row: "WHAT error: LOG" refused, "WHAT error logged: LOG" logged. */
typedef struct { const char *text; const char *log; } conf_case;
void config_cases(const char *what, const char *base, bool finish, const conf_case *t, size_t n);
/* A claim check: the claims at time now give rc ("WHAT"); when why_has is
 * set, the reason holds it ("WHY_WHAT"). */
typedef struct {
    const char *claims;
    double now;
    int rc;
    const char *what;
    const char *why_has, *why_what;
} claim_case;
void claim_cases(const pj_config *c, const claim_case *t, size_t n);
#define N_CASES(t) (sizeof(t) / sizeof((t)[0]))

/* args.c */
void test_args(void);

/* b64url.c */
void test_b64url(void);

/* claims.c */
void test_claims(void);
void test_claims_tell(void);
void test_claims_number_edges(void);

/* decide.c */
void test_decide_pop_clock(void);
void test_decide_clock(void);
void test_rule_runner(void);

/* device_reply.c */
void test_device_reply_checks(void);

/* groups.c */
void test_group_map_parse(void);
void test_group_map_gids(void);
void test_groups_mapping(void);

/* jose.c */
void test_shape(void);
void test_json(void);

/* jwks.c */
void test_curves(void);
void test_jwks_sets(void);
void test_jwks_refused(void);
void test_jwks_use(void);
void test_jwks_build(void);
void test_jwks_short_coords(void);
void test_jwks_prepare_all(void);

/* keys.c */
void test_spki(void);
void test_curve_table_keys(void);

/* log.c */
void test_no_silent_cut(void);
void test_sanitize_tiny(void);

/* netmatch.c */
void test_netmatch(void);

/* pjconfig.c */
void test_config(void);
void test_device_config(void);
void test_config_number_edges(void);
void test_shipped_examples(void);

/* policy.c */
void test_policy_dir_at(void);

/* pop.c */
void test_jwk_thumbprint_rfc7638(void);
void test_strfmt_pop_reason(void);

/* replay.c */
void test_replay_concurrent(void);
void test_replay_keys(void);
void test_replay_sweep(void);
void test_replay_full_fs(void);

/* scope.c */
void test_scope_reasons(void);

/* slot.c */
void test_slots(void);

/* spawn.c */
void test_runas_rules(void);

/* subject.c */
void test_subjects(void);
void test_jti_revocable(void);
void test_big_lists(void);

/* target.c */
void test_target_equal(void);

/* util.c */
void test_parse_numbers(void);

#endif
