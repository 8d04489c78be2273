/* SPDX-License-Identifier: BSD-3-Clause */
/* pamjwt check's name for a decision's result ("decision: accept").  The
 * module never prints one: this lives with the tool, not in src/core. */
#include "config.h"

#include "decide.h"

const char *pj_result_name(pj_result r)
{
    switch (r) {
    case PJ_ACCEPT: return "accept";
    case PJ_IGNORE: return "ignore";
    case PJ_REFUSE: return "refuse";
    case PJ_USER_UNKNOWN: return "user-unknown";
    case PJ_UNAVAIL: return "unavailable";
    case PJ_CONV: return "conversation-failed";
    }
    return "?";
}
