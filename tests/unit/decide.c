/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of src/core/decide.c. */
#include "unit.h"

/* A proof's iat is compared with the time its answer arrived (the
 * request's answer_clock), in whole seconds, not with the login's start. */
static double fake_arrival;
static long proof_iat;
static EVP_PKEY *holder;
static const char *proof_token;

static double arrival_clock(void)
{
    return fake_arrival;
}

static int answer_proof(void *ctx, const char *prompt, char **answer)
{
    char nonce[64], claims[512], hdr[1024];
    unsigned char md[32];
    unsigned int ml = 0;
    (void)ctx;
    snprintf(nonce, sizeof(nonce), "%s", prompt + strlen("pamjwt-pop "));
    nonce[strcspn(nonce, ":")] = '\0';
    EVP_Digest(proof_token, strlen(proof_token), md, &ml, EVP_sha256(), NULL);
    char *ath = pj_b64url_encode(md, 32), *jwk = tl_jwk(holder, NULL, NULL, NULL);
    snprintf(claims, sizeof(claims), "{\"nonce\":\"%s\",\"iat\":%ld,\"ath\":\"%s\","
             "\"aud\":\"local://h1\"}", nonce, proof_iat, ath);
    snprintf(hdr, sizeof(hdr), "{\"typ\":\"pamjwt-pop+jwt\",\"alg\":\"ES256\",\"jwk\":%s}", jwk);
    *answer = tl_sign_raw(hdr, claims, "ES256", holder, NULL, 0);
    free(ath);
    free(jwk);
    fake_arrival = 1000000101.9; /* the client took its time */
    return 0;
}

void test_decide_pop_clock(void)
{
    char *dir = tl_tmpdir(), path[4096], conf[8192], user[256], payload[512], jkt[64];
    unsigned char tp[32];
    struct passwd *pw = getpwuid(geteuid());
    snprintf(user, sizeof(user), "%s", pw ? pw->pw_name : "root");
    EVP_PKEY *k = tl_keygen("p256");
    holder = tl_keygen("p256");
    char *hjwk = tl_jwk(holder, NULL, NULL, NULL);
    json_t *hj = json_loads(hjwk, 0, NULL);
    ok(pj_jwk_thumbprint(hj, tp) == 0, "pop clock: holder key thumbprint");
    char *e = pj_b64url_encode(tp, 32);
    snprintf(jkt, sizeof(jkt), "%s", e);
    free(e);
    json_decref(hj);
    free(hjwk);
    snprintf(path, sizeof(path), "%s/k.pub", dir);
    tl_write_pub(k, path);
    snprintf(conf, sizeof(conf), "key_file = %s\nallowed_subjects = *\nleeway = 0\n", path);
    snprintf(path, sizeof(path), "%s/c.conf", dir);
    tl_write_file(path, conf, strlen(conf), 0644);
    snprintf(payload, sizeof(payload),
             "{\"sub\":\"%s\",\"iat\":1000000000,\"exp\":1000000600,\"cnf\":{\"jkt\":\"%s\"}}",
             user, jkt);
    char *tok = tl_sign_raw("{\"alg\":\"ES256\"}", payload, "ES256", k, NULL, 0);
    pj_request rq = {0};
    pj_decision d;
    rq.config_path = path;
    rq.input = tok;
    rq.input_len = strlen(tok);
    rq.log = &LOG;
    rq.host = "h1";
    rq.now = 1000000100.5; /* the login starts */
    rq.ask = answer_proof;
    rq.answer_clock = arrival_clock;
    proof_token = tok;
    proof_iat = 1000000101; /* signed in the second the answer arrives */
    pj_decide(&rq, &d);
    is_int(d.result, PJ_ACCEPT, "pop clock: leeway 0, proof signed in the second it arrived, a "
                                "second after the login started: accepted (%s)", d.reason);
    pj_decision_free(&d);
    proof_iat = 1000000100; /* signed when the login started: a second before it arrived */
    pj_decide(&rq, &d);
    is_int(d.result, PJ_REFUSE, "pop clock: leeway 0, iat a second before the answer arrived: refused");
    ok(strstr(d.reason, "iat is not within leeway") != NULL, "... reason '%s'", d.reason);
    pj_decision_free(&d);
    free(tok);
    EVP_PKEY_free(k);
    EVP_PKEY_free(holder);
    tl_rmtree(dir);
    free(dir);
}

/* pj_decide with an injected clock: the same token is good before exp and
 * refused after, without sleeping. */
void test_decide_clock(void)
{
    char *dir = tl_tmpdir(), path[4096], conf[8192], user[256];
    struct passwd *pw = getpwuid(geteuid());
    snprintf(user, sizeof(user), "%s", pw ? pw->pw_name : "root");
    EVP_PKEY *k = tl_keygen("p256");
    snprintf(path, sizeof(path), "%s/k.pub", dir);
    tl_write_pub(k, path);
    snprintf(conf, sizeof(conf), "key_file = %s\nallowed_subjects = *\n", path);
    snprintf(path, sizeof(path), "%s/c.conf", dir);
    tl_write_file(path, conf, strlen(conf), 0644);
    char payload[512];
    snprintf(payload, sizeof(payload), "{\"sub\":\"%s\",\"iat\":1000000000,\"exp\":1000000600}",
             user);
    char *tok = tl_sign_raw("{\"alg\":\"ES256\"}", payload, "ES256", k, NULL, 0);
    pj_request rq = {0};
    pj_decision d;
    rq.config_path = path;
    rq.input = tok;
    rq.input_len = strlen(tok);
    rq.log = &LOG;
    rq.now = 1000000100;
    pj_decide(&rq, &d);
    is_int(d.result, PJ_ACCEPT, "decide at a 2001 clock: accepted");
    ok(d.user && strcmp(d.user, user) == 0, "decide: mapped user %s", user);
    pj_decision_free(&d);
    rq.now = 1000000631;
    pj_decide(&rq, &d);
    is_int(d.result, PJ_REFUSE, "decide 31 s after exp: refused");
    ok(strstr(d.reason, "expired") != NULL, "decide: reason '%s'", d.reason);
    pj_decision_free(&d);
    rq.now = 1000000100;
    rq.pam_user = "someone-else";
    pj_decide(&rq, &d);
    is_int(d.result, PJ_REFUSE, "decide: PAM_USER mismatch refused");
    pj_decision_free(&d);
    rq.pam_user = NULL;
    rq.config_broken = true;
    pj_decide(&rq, &d);
    is_int(d.result, PJ_UNAVAIL, "decide: broken module arguments -> unavailable for a JWT");
    pj_decision_free(&d);
    rq.input = "  hunter2\n";
    rq.input_len = strlen(rq.input);
    pj_decide(&rq, &d);
    is_int(d.result, PJ_IGNORE, "decide: broken module arguments -> ignore for a password");
    pj_decision_free(&d);
    free(tok);
    EVP_PKEY_free(k);
    tl_rmtree(dir);
    free(dir);
}

/* Fail closed by construction: the rule runner accepts only when every
 * rule said PJ_RULE_PASS.  A rule that forgets to give a verdict, or
 * tries to accept on its own, ends the decision refused. */
static int rules_run;
static pj_verdict r_pass(struct pj_ctx *x, pj_decision *d)
{
    (void)x;
    (void)d;
    rules_run++;
    return PJ_RULE_PASS;
}
static pj_verdict r_forgot(struct pj_ctx *x, pj_decision *d)
{
    (void)x;
    (void)d;
    rules_run++;
    return PJ_RULE_NONE; /* as a rule with a missing return path would */
}
static pj_verdict r_self_accept(struct pj_ctx *x, pj_decision *d)
{
    (void)x;
    rules_run++;
    d->result = PJ_ACCEPT;
    snprintf(d->reason, sizeof(d->reason), "looks fine to me");
    return PJ_RULE_STOP;
}
static pj_verdict r_stop_silent(struct pj_ctx *x, pj_decision *d)
{
    (void)x;
    (void)d;
    rules_run++;
    return PJ_RULE_STOP; /* stops without a result or reason */
}
static pj_verdict r_ignore(struct pj_ctx *x, pj_decision *d)
{
    (void)x;
    rules_run++;
    d->result = PJ_IGNORE;
    snprintf(d->reason, sizeof(d->reason), "not a JWT");
    return PJ_RULE_STOP;
}

void test_rule_runner(void)
{
    pj_decision d;
    const pj_rule all_pass[] = {{"a", r_pass, NULL}, {"b", r_pass, NULL}, {"c", r_pass, NULL}};
    const pj_rule forgot[] = {{"a", r_pass, NULL}, {"forgetful", r_forgot, NULL}, {"c", r_pass, NULL}};
    const pj_rule self[] = {{"a", r_pass, NULL}, {"eager", r_self_accept, NULL}, {"c", r_pass, NULL}};
    const pj_rule silent[] = {{"silent", r_stop_silent, NULL}, {"b", r_pass, NULL}};
    const pj_rule ignore[] = {{"shape", r_ignore, NULL}, {"b", r_pass, NULL}};

    memset(&d, 0, sizeof(d));
    is_int(d.result, PJ_REFUSE, "a blank decision is a refusal (PJ_REFUSE is the zero value)");

    rules_run = 0;
    memset(&d, 0, sizeof(d));
    pj_run_rules(all_pass, 3, NULL, &d);
    is_int(d.result, PJ_ACCEPT, "rules: every rule passes -> accept");
    is_int(rules_run, 3, "... after running all three");

    rules_run = 0;
    memset(&d, 0, sizeof(d));
    pj_run_rules(forgot, 3, NULL, &d);
    is_int(d.result, PJ_REFUSE, "rules: a rule that returns without a verdict -> refuse");
    is_int(rules_run, 2, "... and no rule after it runs");
    ok(strstr(d.reason, "forgetful") != NULL, "... the reason names the rule ('%s')", d.reason);

    rules_run = 0;
    memset(&d, 0, sizeof(d));
    pj_run_rules(self, 3, NULL, &d);
    is_int(d.result, PJ_REFUSE, "rules: a rule that sets accept itself -> refuse");
    is_int(rules_run, 2, "... and no rule after it runs");

    memset(&d, 0, sizeof(d));
    pj_run_rules(silent, 2, NULL, &d);
    is_int(d.result, PJ_REFUSE, "rules: a rule that stops without a reason -> refuse");
    ok(strstr(d.reason, "silent") != NULL, "... the reason names the rule");

    memset(&d, 0, sizeof(d));
    pj_run_rules(ignore, 2, NULL, &d);
    is_int(d.result, PJ_IGNORE, "rules: a rule's own result (ignore) is kept");

    memset(&d, 0, sizeof(d));
    d.result = PJ_ACCEPT; /* a stale decision does not leak through */
    pj_run_rules(forgot, 3, NULL, &d);
    is_int(d.result, PJ_REFUSE, "rules: a decision that was accept before starts refused");
}
