/* SPDX-License-Identifier: BSD-3-Clause */
/* One-time tokens: a token (issuer and jti) is accepted once until it
 * expires.  The on-disk layout is described in replay.c and in
 * pam_jwt.conf(5), REPLAY CACHE. */
#ifndef PJ_REPLAY_H
#define PJ_REPLAY_H

#include <stdbool.h>

#include "log.h"
#include "pjconfig.h"

typedef enum {
    PJ_REPLAY_NOT_USED,     /* not seen before; recorded now if consume */
    PJ_REPLAY_ALREADY_USED, /* recorded before (or by a concurrent login) */
    PJ_REPLAY_TOO_LATE,     /* consume: the token's expiry hour passed before
                             * it could be recorded (nothing recorded) */
    PJ_REPLAY_UNUSABLE,     /* the cache cannot be used (logged) */
} pj_replay_result;

/* Most names one sweep removes (entries and group directories). */
#define PJ_REPLAY_SWEEP_MAX 256
/* A group is removed once its hour ended this many seconds ago. */
#define PJ_REPLAY_SWEEP_MARGIN 3600

/* Look up, and with consume record, the token named by iss and jti.
 * iss is NULL for a token without a string iss (then jti alone is the key);
 * until is when the entry may be forgotten (exp + leeway); now is the
 * clock.  consume: of concurrent calls with the same (iss, jti, until)
 * exactly one gets NOT_USED.  !consume: only looks, never writes. */
pj_replay_result pj_replay(const pj_config *c, const char *iss, const char *jti, double until,
                           double now, bool consume, const pj_log *log);

#endif
