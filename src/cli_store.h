/* The client's files: the stored token, the holder key and the object
 * askpass is sending in pieces, in one private directory per user. */
#ifndef PJ_CLI_STORE_H
#define PJ_CLI_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define PJ_STORE_TOKEN "token"
#define PJ_STORE_HOLDER "holder.pem"
#define PJ_STORE_STATE "askpass-state"

/* The directory: $XDG_RUNTIME_DIR/pamjwt when XDG_RUNTIME_DIR is an
 * absolute path, else ~/.cache/pamjwt.  With create, it (and ~/.cache) is
 * made mode 0700 when missing.  It must be a directory, not a symbolic
 * link, owned by the effective uid, with no permission for group or
 * others.  Returns the malloc'd path, or NULL with a message on stderr. */
char *pj_store_dir(bool create);
/* "dir/name", malloc'd (NULL on no memory). */
char *pj_store_path(const char *dir, const char *name);

/* Replace dir/name with data: a temporary file (0600) in dir, written,
 * flushed to disk and renamed over name.  0, or -1 with a message. */
int pj_store_write(const char *dir, const char *name, const void *data, size_t len);
/* Create dir/name with data only if no such file exists (hard link of the
 * temporary file, so two processes never both create it): 0 created,
 * 1 it existed already (left alone), -1 error with a message. */
int pj_store_create(const char *dir, const char *name, const void *data, size_t len);
/* Read dir/name: a regular file, not a link, ours, neither readable nor
 * writable by group or others, at most max bytes.  0 with *buf (malloc'd,
 * NUL-terminated; wipe it) and *len; 1 when there is no such file (no
 * message); -1 any other problem, with a message. */
int pj_store_read(const char *dir, const char *name, size_t max, char **buf, size_t *len);
/* Remove dir/name; a missing file is fine.  0 or -1 with a message. */
int pj_store_remove(const char *dir, const char *name);

/* A token's claims, read without checking its signature (the client only
 * looks at what it was given): a JSON object, or NULL with a static reason
 * in *why (not a JWT, claims unreadable). */
json_t *pj_token_claims(const char *tok, size_t n, const char **why);
/* The token's exp claim against now, no leeway: 0 when exp > now (*exp set),
 * -1 with a static reason in *why (not a JWT, claims unreadable, no
 * numeric exp, expired). */
int pj_token_check_exp(const char *tok, size_t n, double now, double *exp, const char **why);

/* The stored token when it has not expired (pamjwt token, askpass): 0 with
 * *tok (malloc'd, NUL-terminated, one trailing newline removed; wipe it)
 * and *len; -1 with a message on stderr when there is none, it cannot be
 * read, or it has expired. */
int pj_store_token(char **tok, size_t *len);

#endif
