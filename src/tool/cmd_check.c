/* SPDX-License-Identifier: BSD-3-Clause */
/* pamjwt check: the module's decision for a token, by the module's own
 * code (pj_decide), with what an administrator needs to understand it:
 * the reason, the mapped user, the time it was evaluated at, the time
 * claims against that time and the leeway, the header and the claims.
 * Everything printed goes through cliout.h: nothing from the token
 * reaches the terminal raw. */
#include "config.h"

#include "cli.h"
#include "cliout.h"
#include "decide.h"
#include "pjconfig.h"
#include "safefile.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#define MAX_STDIN (1024 * 1024)

/* The log sink of check: every line to stderr as before, and the first
 * error kept whole (malloc'd), so stdout can name the config problem
 * behind "unavailable". */
struct check_log {
    bool verbose;
    char *first_error;
};

static void emit(void *ctx, int prio, const char *msg)
{
    struct check_log *cl = ctx;
    if (prio <= LOG_ERR && cl->first_error == NULL)
        cl->first_error = strdup(msg); /* NULL (no memory): "problem:" is left out */
    pj_cli_emit_stderr(&cl->verbose, prio, msg);
}

/* "NAME: DATE (in 4m 10s)", "(expired 2h 3m ago)", "(5m 0s ago)", noting
 * a difference the leeway forgives.  Nothing when the claim is absent. */
static void print_time_claim(json_t *claims, const char *name, double now, bool now_ok,
                             int64_t leeway)
{
    json_t *m = json_object_get(claims, name);
    bool is_exp = strcmp(name, "exp") == 0;
    char date[64], span[64], lw[64] = "";
    double t, d;

    if (m == NULL)
        return;
    if (!json_is_number(m)) {
        pj_cli_line(stdout, "%s: not a number", name);
        return;
    }
    t = json_number_value(m);
    if (!pj_cli_utc(date, sizeof(date), t)) {
        pj_cli_line(stdout, "%s: %.17g (not a date from 1970 to 9999)", name, t);
        return;
    }
    if (!now_ok) {
        pj_cli_line(stdout, "%s: %s", name, date);
        return;
    }
    d = t - now;
    pj_cli_span(span, sizeof(span), d);
    /* the leeway forgives an exp that has passed, an nbf or iat to come */
    if (leeway > 0 && fabs(d) <= (double)leeway && (is_exp ? d < 0 : d > 0))
        snprintf(lw, sizeof(lw), ", within the %llds leeway", (long long)leeway);
    if (fabs(d) < 1)
        pj_cli_line(stdout, "%s: %s (now)", name, date);
    else if (d > 0)
        pj_cli_line(stdout, "%s: %s (in %s%s)", name, date, span, lw);
    else if (is_exp)
        pj_cli_line(stdout, "%s: %s (expired %s ago%s)", name, date, span, lw);
    else
        pj_cli_line(stdout, "%s: %s (%s ago)", name, date, span);
}

static void print_times(const pj_decision *d, double now, bool at_given, int64_t leeway)
{
    char date[64];
    bool now_ok = pj_cli_utc(date, sizeof(date), now);
    if (now_ok)
        pj_cli_line(stdout, "evaluated at: %s (unix %.*f%s)", date, now == floor(now) ? 0 : 3,
                    now, at_given ? ", from --at" : "");
    else
        pj_cli_line(stdout, "evaluated at: unix %.17g%s", now, at_given ? " (from --at)" : "");
    if (leeway >= 0)
        pj_cli_line(stdout, "leeway: %llds", (long long)leeway);
    else
        pj_cli_line(stdout, "leeway: unknown (no policy was chosen for the token)");
    if (d->claims) {
        print_time_claim(d->claims, "exp", now, now_ok, leeway);
        print_time_claim(d->claims, "nbf", now, now_ok, leeway);
        print_time_claim(d->claims, "iat", now, now_ok, leeway);
    }
}

/* The command line. */
typedef struct check_args {
    const char *config, *user, *service, *host;
    double now;
    bool at_given, debug;
    char hostname[256];
} check_args;

/* 0, or 2 (usage error, told). */
static int parse_args(int argc, char **argv, check_args *a)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"user", required_argument, NULL, 'u'},
                                         {"at", required_argument, NULL, 'a'},
                                         {"debug", no_argument, NULL, 'd'},
                                         {"service", required_argument, NULL, 's'},
                                         {"host", required_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int o;

    while ((o = getopt_long(argc, argv, "c:u:a:ds:h:", opts, NULL)) != -1) {
        switch (o) {
        case 'c': a->config = optarg; break;
        case 'u': a->user = *optarg ? optarg : NULL; break; /* empty = unset, as in the module */
        case 'a': {
            char *end;
            errno = 0;
            double at = strtod(optarg, &end);
            if (errno || *end || end == optarg || !isfinite(at) || at < 0) {
                pj_cli_line(stderr, "pamjwt: --at wants a UNIX time in seconds");
                return 2;
            }
            a->now = at;
            a->at_given = true;
            break;
        }
        case 'd': a->debug = true; break;
        case 's': a->service = optarg; break; /* for %s in audience, require_claim */
        case 'h': a->host = optarg; break;    /* for %h; default: this host's name */
        default: pj_cli_usage(stderr, "check"); return 2;
        }
    }
    if (optind != argc) {
        pj_cli_usage(stderr, "check");
        return 2;
    }
    if (a->config[0] != '/') {
        pj_cli_line(stderr, "pamjwt: --config wants an absolute path");
        return 2;
    }
    if (strchr(a->config, '%') != NULL) { /* the module's config= rule */
        pj_cli_line(stderr, "pamjwt: --config: '%%' in a path (paths are not expanded)");
        return 2;
    }
    if (a->host == NULL && gethostname(a->hostname, sizeof(a->hostname)) == 0) {
        a->hostname[sizeof(a->hostname) - 1] = '\0';
        a->host = a->hostname;
    }
    return 0;
}

/* Standard input, at most MAX_STDIN bytes, in a buffer of MAX_STDIN + 1
 * (wipe it); NULL when out of memory. */
static char *read_stdin(size_t *n)
{
    char *buf = malloc(MAX_STDIN + 1);
    *n = 0;
    if (buf == NULL)
        return NULL;
    while (*n < MAX_STDIN) {
        size_t r = fread(buf + *n, 1, MAX_STDIN - *n, stdin);
        if (r == 0)
            break;
        *n += r;
    }
    buf[*n] = '\0';
    return buf;
}

/* group_map: the local groups setcred would add (those that exist). */
static void print_groups(const pj_strlist *g)
{
    char line[64 * 40];
    size_t o = 0;
    line[0] = '\0';
    for (size_t i = 0; i < g->n; i++) {
        char *e = pj_cli_escape(g->v[i], strlen(g->v[i]));
        struct group *gr = getgrnam(g->v[i]);
        if (o < sizeof(line))
            o += (size_t)snprintf(line + o, sizeof(line) - o, "%s%s%s", o ? " " : "",
                                  e ? e : "?", gr ? "" : " (no such group: skipped)");
        free(e);
    }
    pj_cli_line(stdout, "groups: %s", g->n ? line : "none (no group_map rule matches)");
}

/* The decision on stdout, and the token's size warnings (tl: its length
 * without surrounding white space). */
static void print_decision(const pj_decision *d, const check_args *a, const char *first_error,
                           size_t tl)
{
    pj_cli_line(stdout, "decision: %s", pj_result_name(d->result));
    pj_cli_line(stdout, "reason: %s", d->result == PJ_ACCEPT ? "all checks passed" : d->reason);
    if (d->user_line[0]) /* what the module would tell the person at the prompt */
        pj_cli_line(stdout, "tell: %s", d->user_line);
    if (d->user) {
        char *u = pj_cli_escape(d->user, strlen(d->user));
        pj_cli_line(stdout, "user: %s", u ? u : "(out of memory)");
        free(u);
    }
    if (d->result == PJ_ACCEPT && d->group_map)
        print_groups(&d->groups);
    if (d->result == PJ_UNAVAIL && first_error)
        pj_cli_line(stdout, "problem: %s", first_error);
    if (d->pop_jkt[0])
        pj_cli_line(stdout, "proof: required (jkt %s, aud one of %s)", d->pop_jkt, d->pop_aud);
    print_times(d, a->now, a->at_given, d->leeway);
    pj_cli_json(stdout, "header", d->header);
    pj_cli_json(stdout, "claims", d->claims);
    if (tl > 1023)
        pj_cli_line(stdout, "warning: token is %zu bytes: too long for the OpenSSH client (ssh "
                            "sends at most 1023 characters)", tl);
    if (tl > 511)
        pj_cli_line(stdout, "warning: token is %zu bytes: sudo refuses answers of 512 bytes or more",
                    tl);
}

int pj_cmd_check(int argc, char **argv)
{
    check_args a = {.config = PJ_DEFAULT_CONFIG, .now = pj_now()};
    struct check_log cl = {false, NULL};
    pj_log log = {emit, &cl, false};
    pj_request rq = {0};
    pj_decision d;
    size_t n;
    char *buf;
    int rc = parse_args(argc, argv, &a);

    if (rc != 0)
        return rc;
    log.debug = cl.verbose = a.debug;
    buf = read_stdin(&n);
    if (buf == NULL)
        return 2;
    rq.config_path = a.config;
    rq.input = buf;
    rq.input_len = n;
    rq.pam_user = a.user;
    rq.now = a.now;
    rq.consume = false; /* check never uses up a one-time token */
    rq.keep_json = true;
    rq.check_all_keys = true;
    rq.service = a.service;
    rq.host = a.host;
    rq.pop_unproven_ok = true; /* check cannot prove possession: it says so */
    rq.log = &log;
    pj_decide(&rq, &d);

    const char *t = buf;
    size_t tl = n;
    pj_trim(&t, &tl);
    print_decision(&d, &a, cl.first_error, tl);
    rc = d.result == PJ_ACCEPT ? 0 : d.result == PJ_UNAVAIL ? 2 : 1;
    pj_decision_free(&d);
    free(cl.first_error);
    pj_wipe_free(buf, MAX_STDIN + 1);
    return rc;
}
