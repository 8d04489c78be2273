/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include "cli_target.h"

#include "cli.h"
#include "target.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_HOST 255

static bool host_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '-' || c == '_' || c == ':' || c == '%';
}

/* Where "(...@...) " ends, for a group starting at p ("(" at p[0]): the
 * first ") " after it, if the text between holds an "@"; else NULL.  The
 * scan is bounded by the string's end. */
static const char *group_end(const char *p)
{
    const char *end;
    if (p[0] != '(')
        return NULL;
    end = strstr(p, ") ");
    if (end == NULL || memchr(p, '@', (size_t)(end - p)) == NULL)
        return NULL;
    return end;
}

/* OpenSSH's password method asks "USER@HOST's password: " (and, when the
 * server asks for a change, "Enter USER@HOST's old password: ", "... new
 * password: ") with no "(USER@HOST) " prefix: where HOST ends, and the
 * last "@" before it at *at; else NULL.  Such a prompt is for a server,
 * never for this machine. */
static const char *ssh_password_end(const char *prompt, const char **at)
{
    static const char *const tails[] = {"'s password: ", "'s old password: ",
                                        "'s new password: "};
    size_t n = strlen(prompt);
    for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
        size_t tl = strlen(tails[i]);
        if (n <= tl || strcmp(prompt + n - tl, tails[i]) != 0)
            continue;
        *at = memrchr(prompt, '@', n - tl);
        return *at ? prompt + n - tl : NULL;
    }
    return NULL;
}

int pj_prompt_parse(const char *prompt, const char *hostname, pj_prompt *p, const char **why)
{
    const char *end = group_end(prompt), *at = NULL;
    size_t hl;
    p->ssh = false;
    p->body = prompt;
    snprintf(p->target, sizeof(p->target), "?");
    if (end == NULL && (end = ssh_password_end(prompt, &at)) != NULL) {
        p->ssh = true; /* the whole prompt is the body: no prefix to skip */
        goto host;
    }
    if (end == NULL) { /* no OpenSSH prefix: this machine's prompt */
        if (hostname == NULL || *hostname == '\0' || strlen(hostname) > MAX_HOST) {
            *why = "this machine's host name is empty or too long";
            return -1;
        }
        snprintf(p->target, sizeof(p->target), "local://%s", hostname);
        return 0;
    }
    p->ssh = true;
    p->body = end + 2;
    for (const char *s = prompt + 1; s < end; s++) /* the LAST "@" inside */
        if (*s == '@')
            at = s;
host:
    hl = (size_t)(end - at - 1);
    if (hl == 0 || hl > MAX_HOST) {
        *why = "the OpenSSH prefix names no host, or a host name over 255 characters";
        return -1;
    }
    for (const char *s = at + 1; s < end; s++)
        if (!host_char((unsigned char)*s)) {
            *why = "the OpenSSH prefix's host is not a host name";
            return -1;
        }
    snprintf(p->target, sizeof(p->target), "ssh://%.*s", (int)hl, at + 1);
    return 0;
}

int pj_prompt_check(const char *prompt, const pj_prompt *p, const char **why)
{
    size_t n = strnlen(prompt, PJ_PROMPT_MAX + 1);
    if (n > PJ_PROMPT_MAX) {
        *why = "the prompt is longer than 4096 bytes";
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)prompt[i];
        if (c < 0x20 || c == 0x7f) {
            *why = "the prompt has control characters";
            return -1;
        }
    }
    /* the client's prefix comes first; a server that puts another one in
     * its prompt text is pretending to be some other host */
    for (const char *s = strchr(p->body, '('); s; s = strchr(s + 1, '('))
        if (group_end(s) != NULL) {
            *why = "the prompt has two \"(USER@HOST) \" prefixes";
            return -1;
        }
    return 0;
}

static bool b64url_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_';
}

int pj_prompt_pop(const char *body, char nonce[PJ_NONCE_LEN + 1], const char **why)
{
    static const char word[] = "pamjwt-pop ";
    const char *hit = NULL, *p;
    size_t n = 0;
    for (const char *s = strstr(body, word); s; s = strstr(s + 1, word))
        if (s == body || s[-1] == ' ')
            hit = s;
    if (hit == NULL)
        return 0;
    p = hit + sizeof(word) - 1;
    while (n <= PJ_NONCE_LEN && b64url_char((unsigned char)p[n]))
        n++;
    if (n != PJ_NONCE_LEN || (strcmp(p + n, ": ") != 0 && strcmp(p + n, ":") != 0)) {
        *why = "the proof prompt's nonce is not 43 base64url characters";
        return -1;
    }
    memcpy(nonce, p, PJ_NONCE_LEN);
    nonce[PJ_NONCE_LEN] = '\0';
    return 1;
}

/* ------------------------------------------------------------ targets file */

char *pj_targets_path(void)
{
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    char *out = NULL;
    if (xdg && xdg[0] == '/') {
        out = pj_strfmt("%s/pamjwt/targets", xdg);
    } else {
        if (home == NULL || home[0] != '/') {
            struct passwd *pw = getpwuid(geteuid());
            home = pw ? pw->pw_dir : NULL;
        }
        if (home == NULL || home[0] != '/') {
            pj_logf(&pj_cli_log, LOG_ERR, "no home directory: no targets file");
            return NULL;
        }
        out = pj_strfmt("%s/.config/pamjwt/targets", home);
    }
    if (out == NULL)
        pj_logf(&pj_cli_log, LOG_ERR, "out of memory");
    return out;
}

void pj_targets_free(pj_globs *g)
{
    free(g->buf);
    g->buf = NULL;
    g->n = 0;
}

/* Read the whole file (at most max bytes) from fd.  0 or -1. */
static int read_bounded(int fd, char *buf, size_t max, size_t *len)
{
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, buf + n, max + 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        n += (size_t)r;
        if (n > max)
            return -1;
    }
    *len = n;
    return 0;
}

int pj_targets_load(const char *path, pj_globs *g)
{
    struct stat st;
    size_t len = 0;
    int fd;
    const char *problem = NULL;
    g->buf = NULL;
    g->n = 0;
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0 && errno == ENOENT)
        return 0;
    if (fd < 0) {
        pj_logf(&pj_cli_log, LOG_ERR, "targets file %s: %s%s", path, strerror(errno),
                errno == ELOOP ? " (a symbolic link is refused)" : "");
        return -1;
    }
    if (fstat(fd, &st) != 0)
        problem = strerror(errno);
    else if (!S_ISREG(st.st_mode))
        problem = "not a regular file";
    else if (st.st_uid != geteuid())
        problem = "not owned by you";
    else if (st.st_mode & 022)
        problem = "writable by group or others (chmod go-w)";
    else if (st.st_size > PJ_TARGETS_MAX_SIZE)
        problem = "larger than 64 KiB";
    else if ((g->buf = malloc(PJ_TARGETS_MAX_SIZE + 2)) == NULL)
        problem = "out of memory";
    else if (read_bounded(fd, g->buf, PJ_TARGETS_MAX_SIZE, &len) != 0)
        problem = "cannot be read, or is larger than 64 KiB";
    close(fd);
    if (problem == NULL) {
        g->buf[len] = '\0';
        for (char *save = NULL, *l = strtok_r(g->buf, "\n", &save); l;
             l = strtok_r(NULL, "\n", &save)) {
            char *h = strchr(l, '#');
            size_t n;
            if (h)
                *h = '\0';
            while (pj_is_space((unsigned char)*l))
                l++;
            n = strlen(l);
            while (n > 0 && pj_is_space((unsigned char)l[n - 1]))
                l[--n] = '\0';
            if (n == 0)
                continue;
            if (g->n == PJ_TARGETS_MAX_LINES) {
                problem = "more than 256 targets";
                break;
            }
            g->v[g->n++] = l;
        }
    }
    if (problem) {
        pj_logf(&pj_cli_log, LOG_ERR, "targets file %s: %s: ignored", path, problem);
        pj_targets_free(g);
        return -1;
    }
    return 0;
}

bool pj_targets_match(const pj_globs *g, const char *target)
{
    for (size_t i = 0; i < g->n; i++)
        if (fnmatch(g->v[i], target, 0) == 0)
            return true;
    return false;
}

/* ------------------------------------------------------------ tokens */

bool pj_token_bound(json_t *claims)
{
    return json_is_string(json_object_get(json_object_get(claims, "cnf"), "jkt"));
}

static bool names(json_t *v, const char *target)
{
    return json_is_string(v) &&
           pj_target_equal(json_string_value(v), json_string_length(v), target, strlen(target));
}

bool pj_aud_names(json_t *claims, const char *target)
{
    json_t *aud = json_object_get(claims, "aud"), *v;
    size_t i;
    if (json_is_string(aud))
        return names(aud, target);
    json_array_foreach(aud, i, v)
        if (names(v, target))
            return true;
    return false;
}

int pj_target_fit(json_t *claims, const char *target, const pj_globs *g)
{
    bool bound = pj_token_bound(claims);
    if (pj_aud_names(claims, target))
        return bound ? PJ_FIT_AUD_BOUND : PJ_FIT_AUD;
    if (g && pj_targets_match(g, target))
        return bound ? PJ_FIT_LISTED_BOUND : PJ_FIT_LISTED;
    return PJ_FIT_NONE;
}
