/* SPDX-License-Identifier: BSD-3-Clause */
/* The libpam tests: tests/pam/TOPIC.c defines test_TOPIC functions, which
 * tests/pam/main.c calls in one program, tests/test_pam; helpers.c holds
 * what they share. */
#ifndef PJ_TESTS_PAM_H
#define PJ_TESTS_PAM_H
#include "config.h"

#include <security/pam_appl.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "b64enc.h"
#include "b64url.h"
#define PJ_TAP_SHARED 1
#include "tap.h"
#include "testlib.h"

#define now ((long)time(NULL))

/* helpers.c */
extern char *dir;
extern const char *so;
extern const char *settok;
extern char me[256];
extern char other[256];
extern char logbuf[1 << 16];
extern size_t loglen;
extern const char *answer;
extern int conv_fail, conv_calls;
extern char last_prompt[256];
extern const char *const *script;
extern size_t script_n;
extern char prompts[4096];
extern const char *service;
extern char *(*pop_answer)(const char *nonce);
extern char *pending;
extern size_t pending_off, max_answer;
extern char told[4096];
int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *ad);
extern char path_buf[8][4096];
extern int path_i;
const char *P(const char *name);
void write_text(const char *name, const char *text, int mode);
void conf(const char *extra);
extern char envbuf[8192];
int auth_stack(const char *stack, const char *user, const char *tok, char **got_user);
int auth_args(const char *args, const char *user, const char *tok, char **got_user);
int auth(const char *user, const char *tok);
extern EVP_PKEY *k_ec256, *k_ec384, *k_ec521, *k_rsa, *k_rsa_other, *k_ec_other, *k_ed;
char *claims(const char *sub, long exp_off, const char *extra);
char *es256(const char *sub, long exp_off, const char *extra);
char *es256_kid(const char *sub, long exp_off, const char *extra, const char *kid);
char *raw(const char *alg, EVP_PKEY *k, const char *hdr, const char *payload);
bool log_has(const char *s);
void setup(void);

/* results.c */
void test_result_table(void);

/* users.c */
void test_user_rules(void);

/* claims.c */
void test_time_and_claims(void);

/* algorithms.c */
void test_algorithms(void);

/* malformed.c */
void test_malformed(void);
void test_sizes(void);

/* args.c */
void test_args(void);

/* files.c */
void test_unsafe_files(void);

/* state.c */
void test_state(void);

/* jwks.c */
void test_jwks(void);

/* replay.c */
void test_replay(void);

/* hardening.c */
void test_hardening(void);

/* policydir.c */
void test_policies(void);

/* scopes.c */
void test_scopes(void);

/* export.c */
void test_export(void);
void test_export_clears(void);

/* chunk.c */
void test_chunked(void);

/* groups.c */
void test_groups(void);

/* pop.c */
void test_pop(void);
void test_pop_audience(void);

/* device.c */
void test_device(void);

/* told.c */
void test_told(void);
/* defined by one topic, used by others too */
char *sign_pem(const char *alg, EVP_PKEY *k, const char *claims_json, const char *kid);
int auth_dir(const char *user, const char *tok);
char *iss_token(EVP_PKEY *k, const char *alg, const char *iss, const char *sub,
                const char *extra);
void policy(const char *name, const char *text, int mode);
char *signed_claims(EVP_PKEY *k, const char *alg, const char *claims_json);

#endif
