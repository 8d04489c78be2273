/* SPDX-License-Identifier: BSD-3-Clause */
/* askpass's state between the pieces of one object (contract "What pamjwt
 * askpass gives to whom"): each askpass call is a new process, so the
 * object being sent in pieces (a token or a proof) waits in the store
 * directory until its last piece has gone.  Each object has its own
 * file, named by the object itself (a proof by its nonce, a token by its
 * bytes) and the target, so two logins to the same target at once never
 * overwrite each other's.  A continuation prompt ("pamjwt-continue
 * N/LEN: ") names neither: it gets the object for its target and LEN
 * that the same process (askpass's parent: ssh, sudo) started. */
#ifndef PJ_CLI_STATE_H
#define PJ_CLI_STATE_H

#include <stddef.h>
#include <sys/types.h>

#define PJ_STATE_MAX_FILES 64    /* state files looked at by one continuation */
#define PJ_STATE_MAX_AGE 600     /* seconds: older state is a login long gone */

/* "askpass-state.KEY" for an object: kind "token" or "proof", key the
 * token or the nonce.  malloc'd, or NULL. */
char *pj_state_name(const char *target, const char *kind, const char *key, size_t keylen);

/* Keep obj (len bytes) as dir/name, with its target and the process
 * that asks.  0, or -1 with a message. */
int pj_state_put(const char *dir, const char *name, const char *target, pid_t parent,
                 const char *obj, size_t len);

typedef enum {
    PJ_STATE_FOUND,      /* *name, *obj (wipe it), *n */
    PJ_STATE_NONE,       /* nothing of len bytes is being sent to target */
    PJ_STATE_AMBIGUOUS,  /* several, none (or more than one) started by parent */
    PJ_STATE_FAILED,     /* a message was printed */
} pj_state_rc;

/* The object of len bytes being sent to target: the one parent started,
 * or the only one there is.  State older than PJ_STATE_MAX_AGE is
 * removed on the way. */
pj_state_rc pj_state_find(const char *dir, const char *target, pid_t parent, size_t len,
                          char **name, char **obj, size_t *n);

#endif
