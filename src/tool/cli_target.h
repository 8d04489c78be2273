/* SPDX-License-Identifier: BSD-3-Clause */
/* askpass's targets (contract "Proof of possession": "The target" and
 * "What pamjwt askpass gives to whom").  The client names the target of
 * every prompt from what it knows itself, never from the server's text:
 * ssh://HOST from the "(USER@HOST) " prefix the OpenSSH client puts before
 * every keyboard-interactive prompt, local://HOSTNAME (gethostname(2))
 * when there is no such prefix (sudo, su).  A token goes to a target only
 * when the rules below allow it. */
#ifndef PJ_CLI_TARGET_H
#define PJ_CLI_TARGET_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define PJ_TARGET_MAX 320      /* "local://" or "ssh://" and a host name */
#define PJ_PROMPT_MAX 4096     /* longest prompt askpass answers itself */
#define PJ_NONCE_LEN 43        /* 32 random bytes in base64url */
#define PJ_TARGETS_MAX_SIZE (64 * 1024)
#define PJ_TARGETS_MAX_LINES 256

typedef struct pj_prompt {
    char target[PJ_TARGET_MAX]; /* ssh://HOST or local://HOSTNAME */
    const char *body;           /* the prompt after the ssh prefix (inside the prompt) */
    bool ssh;                   /* the prompt had OpenSSH's prefix */
} pj_prompt;

/* Name the target of prompt.  A prompt that starts with "(" and has ") "
 * carries OpenSSH's prefix: it ends at the first ") "; inside it, HOST is
 * what follows the LAST "@" (a user name may contain "@", a host name
 * cannot), and must be 1 to 255 characters of A-Z a-z 0-9 . - _ : %.
 * body is then what follows the prefix.  Without a prefix: local://HOSTNAME
 * (hostname as given, gethostname(2) in askpass) and body is the prompt.
 * 0, or -1 with a static reason in *why (a prefix whose host is not a host
 * name, a host name too long); *p is set in both cases (target "?" when it
 * cannot be named). */
int pj_prompt_parse(const char *prompt, const char *hostname, pj_prompt *p, const char **why);

/* The checks for a prompt askpass answers itself: no control character
 * (0x00-0x1f, 0x7f) anywhere in the prompt, at most PJ_PROMPT_MAX bytes,
 * no second "(USER@HOST) " group after the prefix.  0, or -1 with *why. */
int pj_prompt_check(const char *prompt, const pj_prompt *p, const char **why);

/* "pamjwt-pop NONCE: " (or ":") at the end of body, after its start or a
 * space: 1 with the nonce copied to nonce (PJ_NONCE_LEN + 1 bytes) when it
 * is exactly 43 base64url characters; -1 with *why when the prompt is a
 * proof prompt with a malformed nonce; 0 when it is no proof prompt. */
int pj_prompt_pop(const char *body, char nonce[PJ_NONCE_LEN + 1], const char **why);

/* The user's list of targets that may have their tokens: one shell glob
 * (fnmatch(3), no flags: "*" also matches "/" and ".") a line, "#"
 * comments, blank lines ignored, white space around a line trimmed. */
typedef struct pj_globs {
    char *buf;
    const char *v[PJ_TARGETS_MAX_LINES];
    size_t n;
} pj_globs;

/* The targets file: $XDG_CONFIG_HOME/pamjwt/targets when XDG_CONFIG_HOME
 * is an absolute path, else ~/.config/pamjwt/targets.  malloc'd, or NULL
 * with a message. */
char *pj_targets_path(void);
/* Read path into g: a regular file (not a link), owned by the effective
 * uid, not writable by group or others, at most PJ_TARGETS_MAX_SIZE bytes
 * and PJ_TARGETS_MAX_LINES globs.  A missing file is an empty list (0).
 * 0, or -1 with a message (the list is then empty). */
int pj_targets_load(const char *path, pj_globs *g);
void pj_targets_free(pj_globs *g);
/* Does a glob of g match target? */
bool pj_targets_match(const pj_globs *g, const char *target);

/* What a token's claims allow for target, best first (lower is better):
 * 1 aud names the target and the token is bound (cnf.jkt), 2 aud names
 * it (bearer), 3 bound and the target is listed in g, 4 bearer and
 * listed; 0 refused.  Bound or not, a token goes only where its aud or
 * the user's list says: a host running an older module may take a bound
 * token as a bearer token. */
enum { PJ_FIT_NONE = 0, PJ_FIT_AUD_BOUND, PJ_FIT_AUD, PJ_FIT_LISTED_BOUND, PJ_FIT_LISTED };
int pj_target_fit(json_t *claims, const char *target, const pj_globs *g);
/* cnf.jkt is a string. */
bool pj_token_bound(json_t *claims);
/* aud (a string, or an array of strings) names target, compared as the
 * module compares pop_audience (target.h: scheme and host ignoring case
 * and a trailing dot). */
bool pj_aud_names(json_t *claims, const char *target);

#endif
