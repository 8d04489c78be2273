/* SPDX-License-Identifier: BSD-3-Clause */
/* At most N device sign-ins at once on a host (device_max_pending): N lock
 * files slot-0 .. slot-(N-1) in a root-owned runtime directory; a sign-in
 * holds one with flock(LOCK_EX) for as long as it runs.  The kernel drops
 * the lock when the holder dies, so a crash frees its slot. */
#ifndef PJ_SLOT_H
#define PJ_SLOT_H

#include "log.h"

/* The directory: /run/pamjwt (a tmpfs, root's, on every Linux the module
 * runs on), never a setting; the tests build a copy of the module with
 * another (Makefile.am). */
#ifndef PJ_DEVICE_SLOT_DIR
#define PJ_DEVICE_SLOT_DIR "/run/pamjwt"
#endif

/* Take a free slot of n in dir (created 0700 when missing): the open,
 * locked descriptor (close it to free the slot), or -1 when all are taken
 * or the directory or a slot file is unsafe (logged). */
int pj_slot_take(const char *dir, long n, const pj_log *log);

#endif
