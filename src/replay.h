/* One-time tokens: a jti is accepted once until it expires. */
#ifndef PJ_REPLAY_H
#define PJ_REPLAY_H

#include <stdbool.h>

#include "log.h"
#include "pjconfig.h"

typedef enum { PJ_REPLAY_FRESH, PJ_REPLAY_USED, PJ_REPLAY_ERROR } pj_replay_result;

/* consume: record the jti (atomically; of concurrent logins with the same
 * jti exactly one gets FRESH).  !consume: only look.  until is when the
 * entry may be forgotten (exp + leeway). */
pj_replay_result pj_replay(const pj_config *c, const char *jti, double until, double now,
                           bool consume, const pj_log *log);

#endif
