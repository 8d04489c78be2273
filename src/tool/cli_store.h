/* SPDX-License-Identifier: BSD-3-Clause */
/* The client's files: the stored token, the holder key and the object
 * askpass is sending in pieces, in one private directory per user. */
#ifndef PJ_CLI_STORE_H
#define PJ_CLI_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Stored tokens: "token.KEY" per issuer and resource (pamjwt login), and
 * "token", one more put there by hand (or by an older pamjwt). */
#define PJ_STORE_TOKEN "token"
#define PJ_STORE_TOKEN_PREFIX "token."
#define PJ_STORE_MAX_TOKENS 32
#define PJ_STORE_HOLDER "holder.pem"
/* "askpass-state.KEY": the object askpass is sending in pieces, one per
 * object (cli_state.h) */
#define PJ_STORE_STATE_PREFIX "askpass-state."

/* The directory: $XDG_RUNTIME_DIR/pamjwt when XDG_RUNTIME_DIR is an
 * absolute path, else ~/.cache/pamjwt.  With create, it (and ~/.cache) is
 * made mode 0700 when missing.  It must be a directory, not a symbolic
 * link, owned by the effective uid, with no permission for group or
 * others.  Returns the malloc'd path, or NULL with a message on stderr. */
char *pj_store_dir(bool create);
/* "dir/name", malloc'd (NULL on no memory). */
char *pj_store_path(const char *dir, const char *name);

/* What pj_store_create and pj_store_read report.  The two "nothing done"
 * cases share the value 1 but mean opposite things, so each has its name. */
typedef enum pj_store_rc {
    PJ_STORE_FAILED = -1, /* a message was printed */
    PJ_STORE_DONE = 0,
    PJ_STORE_EXISTED = 1, /* pj_store_create: the file was there already, left alone */
    PJ_STORE_MISSING = 1, /* pj_store_read: no such file (no message) */
} pj_store_rc;

/* Replace dir/name with data: a temporary file (0600) in dir, written,
 * flushed to disk and renamed over name.  0, or -1 with a message. */
int pj_store_write(const char *dir, const char *name, const void *data, size_t len);
/* Create dir/name with data only if no such file exists (hard link of the
 * temporary file, so two processes never both create it): DONE created,
 * EXISTED (left alone), or FAILED. */
pj_store_rc pj_store_create(const char *dir, const char *name, const void *data, size_t len);
/* Read dir/name: a regular file, not a link, ours, neither readable nor
 * writable by group or others, at most max bytes.  DONE with *buf
 * (malloc'd, NUL-terminated; wipe it) and *len; MISSING when there is no
 * such file; FAILED on any other problem. */
pj_store_rc pj_store_read(const char *dir, const char *name, size_t max, char **buf, size_t *len);
/* Remove dir/name; a missing file is fine.  0 or -1 with a message. */
int pj_store_remove(const char *dir, const char *name);

/* Read a file the user names on the command line (pamjwt mint --key):
 * through pj_read_file with kind (PJ_FILE_PUBLIC or PJ_FILE_SECRET), so a
 * regular file, not a symbolic link, owned by the user (or root), not
 * writable by group or others (with PJ_FILE_SECRET not readable either),
 * at most max bytes.  A relative path is taken from the current directory;
 * messages name path as given, after what.  0 with *buf (malloc'd,
 * NUL-terminated, *len + 1 bytes: wipe it), or -1 with a message. */
int pj_cli_read_file(const char *path, const char *what, int kind, size_t max, char **buf,
                     size_t *len);

/* A token's claims, read without checking its signature (the client only
 * looks at what it was given): a JSON object, or NULL with a static reason
 * in *why (not a JWT, claims unreadable). */
json_t *pj_token_claims(const char *tok, size_t n, const char **why);
/* The token's exp claim against now, no leeway: 0 when exp > now (*exp set),
 * -1 with a static reason in *why (not a JWT, claims unreadable, no
 * numeric exp, expired). */
int pj_token_check_exp(const char *tok, size_t n, double now, double *exp, const char **why);

/* "token.KEY", KEY the first 22 characters of base64url(SHA-256(issuer,
 * NUL, resource)) (resource "" when none): where pamjwt login keeps the
 * token for that issuer and resource.  malloc'd, or NULL. */
char *pj_store_token_name(const char *issuer, const char *resource);
/* "askpass-state.KEY", KEY likewise from the target and the object's key
 * (cli_state.h: "token:" and the token, "proof:" and the nonce): the
 * pieces of two objects never mix.  malloc'd, or NULL. */
char *pj_store_state_name(const char *target, const char *tok, size_t len);

/* One stored token that has not expired. */
typedef struct pj_stored {
    char *name;       /* file name in the directory */
    char *tok;        /* NUL-terminated, one trailing newline removed; wiped when freed */
    size_t len;
    json_t *claims;   /* read without checking the signature */
    double mtime;     /* when it was stored */
} pj_stored;

/* Every stored token in dir ("token" and "token.*") that has not expired,
 * newest first (then by name).  0 with *list (malloc'd, or NULL when
 * none), *n, and in *expired how many were skipped as expired or not a
 * JWT; -1 with a message (more than PJ_STORE_MAX_TOKENS files, no
 * memory).  A file that is unsafe or unreadable is skipped with a
 * message. */
int pj_store_tokens(const char *dir, pj_stored **list, size_t *n, size_t *expired);
void pj_store_tokens_free(pj_stored *list, size_t n);

#endif
