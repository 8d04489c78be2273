/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include "device.h"

#include "conv.h"
#include "device_reply.h"
#include "netmatch.h"
#include "slot.h"
#include "spawn.h"
#include "util.h"

#include <security/pam_appl.h>

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const pj_config *pj_device_policy(const pj_policies *ps)
{
    for (size_t i = 0; ps != NULL && i < ps->n; i++)
        if (ps->v[i].c != NULL && ps->v[i].c->device_flow)
            return ps->v[i].c;
    return NULL;
}

/* Offered to this login: device_from unset, no PAM_RHOST, or PAM_RHOST an
 * address in one of the networks. */
bool pj_device_offered(const pj_config *c, const char *rhost)
{
    return c->device_from.n == 0 || rhost == NULL || rhost[0] == '\0' ||
           pj_netlist_match(&c->device_from, rhost);
}

typedef struct session {
    pj_proc proc;     /* the helper (spawn.h) */
    int fd;           /* its stdout (proc.out) */
    int64_t deadline; /* monotonic ms */
    char buf[4096];   /* read but not yet fed */
    size_t off, len;
    bool eof, timed_out;
    pj_dreader *r;
} session;

/* The next event from the helper: MORE means end of output (eof) or the
 * deadline (timed_out). */
static pj_dr_event next_event(session *s)
{
    for (;;) {
        while (s->off < s->len) {
            size_t used = 0;
            pj_dr_event e = pj_dr_feed(s->r, s->buf + s->off, s->len - s->off, &used);
            s->off += used;
            if (e != PJ_DR_MORE)
                return e;
        }
        int64_t left = s->deadline - pj_mono_ms();
        if (left <= 0) {
            s->timed_out = true;
            return PJ_DR_MORE;
        }
        struct pollfd p = {s->fd, POLLIN, 0};
        int pr = poll(&p, 1, left > 60000 ? 60000 : (int)left);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr < 0) {
            s->eof = true;
            return PJ_DR_MORE;
        }
        if (pr == 0)
            continue; /* the deadline is checked above */
        ssize_t n = read(s->fd, s->buf, sizeof(s->buf));
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0) {
            s->eof = true;
            return PJ_DR_MORE;
        }
        s->off = 0;
        s->len = (size_t)n;
    }
}

/* Start the helper with its request; 0 with s->proc and s->fd, or -1
 * (logged). */
static int start(session *s, const pj_config *c, const pj_runas *ru, const char *helper,
                 const pj_log *log)
{
    char req[PJ_DR_MAX_REQUEST];
    pj_dr_request rq = {c->issuer, c->device_client_id, c->device_scope, c->device_ca_file,
                        (long)c->device_timeout};
    int rn = pj_dr_request_write(&rq, req, sizeof(req));

    if (rn < 0) {
        pj_logf(log, LOG_ERR, "device sign-in unavailable: the request to the helper cannot be "
                              "written (too long, or a value that is not one word)");
        return -1;
    }
    if (pj_spawn(&s->proc, helper, ru, req, (size_t)rn, s->deadline, log) != 0)
        return -1;
    s->fd = s->proc.out;
    return 0;
}

/* An event that is not the one hoped for, logged; the outcome. */
static pj_dev_outcome failed(session *s, pj_dr_event e, const pj_config *c, const pj_log *log,
                             int st, char *user_line, size_t ulsz)
{
    char how[64];
    switch (e) {
    case PJ_DR_DENIED:
        pj_logf(log, LOG_NOTICE, "device sign-in refused: denied at the identity provider");
        snprintf(user_line, ulsz, "Sign-in was denied.");
        return PJ_DEV_REFUSED;
    case PJ_DR_EXPIRED:
        pj_logf(log, LOG_NOTICE, "device sign-in refused: the code expired before it was approved");
        snprintf(user_line, ulsz, "Sign-in code expired: try again.");
        return PJ_DEV_REFUSED;
    case PJ_DR_TIMEOUT:
        pj_logf(log, LOG_NOTICE, "device sign-in refused: not approved within device_timeout "
                                 "(%ld s)", (long)c->device_timeout);
        snprintf(user_line, ulsz, "Sign-in was not approved within %ld s.",
                 (long)c->device_timeout);
        return PJ_DEV_REFUSED;
    case PJ_DR_FAILED:
        pj_logf(log, LOG_ERR, "device sign-in unavailable: the helper failed (pamjwt-device logs "
                              "why)");
        return PJ_DEV_UNAVAIL;
    case PJ_DR_BAD:
        pj_logf(log, LOG_ERR, "device sign-in unavailable: malformed helper output: %s",
                s->r->why ? s->r->why : "?");
        return PJ_DEV_UNAVAIL;
    default:
        break;
    }
    if (s->timed_out) {
        pj_logf(log, LOG_NOTICE, "device sign-in refused: not approved within device_timeout "
                                 "(%ld s); helper killed", (long)c->device_timeout);
        snprintf(user_line, ulsz, "Sign-in was not approved within %ld s.",
                 (long)c->device_timeout);
        return PJ_DEV_REFUSED;
    }
    pj_spawn_describe(st, how, sizeof(how));
    pj_logf(log, LOG_ERR, "device sign-in unavailable: the helper ended without a result (%s)",
            how);
    return PJ_DEV_UNAVAIL;
}

/* Log and explain why the sign-in cannot run; the outcome. */
static pj_dev_outcome unavailable(char *user_line, size_t ulsz)
{
    snprintf(user_line, ulsz, "%s", PJ_DEVICE_UNAVAILABLE_LINE);
    return PJ_DEV_UNAVAIL;
}

pj_dev_outcome pj_device_signin(pam_handle_t *pamh, const pj_config *c, const pj_log *log,
                                char **token, char *user_line, size_t ulsz)
{
    const char *helper = c->device_helper ? c->device_helper : PJ_DEFAULT_DEVICE_HELPER;
    const char *user = c->device_user ? c->device_user : PJ_DEFAULT_DEVICE_USER;
    session s;
    pj_runas ru;
    pj_dev_outcome out = PJ_DEV_UNAVAIL;
    pj_dr_event e;
    char *prompt = NULL, *answer = NULL;
    int st, slot;

    *token = NULL;
    if (ulsz > 0)
        user_line[0] = '\0';
    memset(&s, 0, sizeof(s));
    s.fd = -1;
    s.deadline = pj_mono_ms() + (int64_t)c->device_timeout * 1000;
    if (pj_runas_find(user, &ru, log) != 0 || pj_safe_path(helper, "device_helper", log) != 0)
        return unavailable(user_line, ulsz);
    /* a slot of device_max_pending, held until the sign-in ends (or this
     * process dies) */
    if ((slot = pj_slot_take(PJ_DEVICE_SLOT_DIR, (long)c->device_max_pending, log)) < 0)
        return unavailable(user_line, ulsz);
    if ((s.r = malloc(sizeof(*s.r))) == NULL) {
        pj_logf(log, LOG_ERR, "device sign-in unavailable: out of memory");
        close(slot);
        return unavailable(user_line, ulsz);
    }
    pj_dr_init(s.r);
    if (start(&s, c, &ru, helper, log) != 0) {
        free(s.r);
        close(slot);
        return unavailable(user_line, ulsz);
    }
    pj_debugf(log, "device sign-in: helper %s runs as %s (pid %ld)", helper, user,
              (long)s.proc.pid);

    e = next_event(&s);
    if (e != PJ_DR_SHOW)
        goto end;
    if (s.r->complete[0] != '\0') {
        char info[PJ_DR_MAX_URI + 64];
        snprintf(info, sizeof(info), "Or open %s (the code is filled in)", s.r->complete);
        (void)pj_conv(pamh, PAM_TEXT_INFO, info, NULL);
    }
    prompt = pj_strfmt("Sign in at %s and enter %s, then press Enter: ", s.r->uri, s.r->code);
    if (prompt == NULL) {
        pj_logf(log, LOG_ERR, "device sign-in unavailable: out of memory");
        e = PJ_DR_MORE;
        s.eof = true;
        goto end;
    }
    if (pj_conv(pamh, PAM_PROMPT_ECHO_ON, prompt, &answer) != 0) {
        pj_logf(log, LOG_ERR, "device sign-in: conversation failed at the sign-in prompt");
        out = PJ_DEV_CONV;
        (void)pj_spawn_end(&s.proc, 0);
        goto done;
    }
    pj_free_str(answer); /* only Enter matters */
    e = next_event(&s);
end:
    /* a helper that gave its result or closed its output is exiting by
     * itself: it gets a moment (else it would be killed and logged as
     * such); past the deadline or after malformed output, none */
    st = pj_spawn_end(&s.proc, s.timed_out || e == PJ_DR_BAD ? 0 : 1000);
    if (e == PJ_DR_TOKEN) {
        *token = s.r->token;
        s.r->token = NULL;
        out = PJ_DEV_TOKEN;
    } else {
        out = failed(&s, e, c, log, st, user_line, ulsz);
        if (out == PJ_DEV_UNAVAIL)
            (void)unavailable(user_line, ulsz);
    }
done:
    free(prompt);
    close(slot);
    pj_dr_wipe(s.r);
    free(s.r);
    explicit_bzero(s.buf, sizeof(s.buf));
    return out;
}
