/* SPDX-License-Identifier: BSD-3-Clause */
/* `pamjwt jwks refresh`: its messages and its temporary files. */
#include "config.h"

#include "jwks_refresh.h"

#include "cliout.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#define PROG "pamjwt-jwks-refresh"

void pj_refresh_say(int prio, const char *fmt, ...)
{
    FILE *f = prio >= LOG_INFO ? stdout : stderr;
    const char *js = getenv("JOURNAL_STREAM");
    char line[2048];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(line))
        n = sizeof(line) - 1; /* cut, never split: one line */
    if (js && *js)
        fprintf(f, "<%d>", prio);
    fputs(PROG ": ", f);
    pj_cli_write(f, line, (size_t)n); /* escaped: one line, nothing raw */
    fputc('\n', f);
    fflush(f);
}

/* s with every from replaced by to; malloc'd. */
static char *replace(const char *s, const char *from, const char *to)
{
    size_t fl = strlen(from), tl = strlen(to), n = 0;
    const char *p;
    char *out, *o;
    if (fl == 0)
        return strdup(s);
    for (p = s; (p = strstr(p, from)) != NULL; p += fl)
        n++;
    out = malloc(strlen(s) + n * (tl > fl ? tl - fl : 0) + 1);
    if (out == NULL)
        return NULL;
    for (o = out, p = s; *p;) {
        if (strncmp(p, from, fl) == 0) {
            memcpy(o, to, tl);
            o += tl;
            p += fl;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    return out;
}

char *pj_refresh_names(const pj_refresh *r, const char *msg)
{
    char *newname = pj_strfmt("%s (new)", r->jwks_file), *a, *b = NULL;
    if (newname == NULL)
        return NULL;
    a = r->new_path ? replace(msg, r->new_path, newname) : strdup(msg);
    if (a && r->conf_path) {
        b = replace(a, r->conf_path, r->config);
        free(a);
        a = b;
    }
    free(newname);
    return a;
}

void pj_refresh_note(pj_refresh *r, const char *msg)
{
    char *m = pj_refresh_names(r, msg);
    const char *s = m ? m : msg;
    if (strncmp(s, "pamjwt: ", 8) == 0)
        s += 8;
    if (!pj_strlist_has(&r->notes, s))
        (void)pj_strlist_add(&r->notes, s, strlen(s)); /* out of memory: one note less */
    free(m);
}

char *pj_refresh_tmpfile(const char *dir, const char *prefix)
{
    char *path = pj_strfmt("%s/%s.XXXXXX", dir, prefix);
    int fd = path ? mkstemp(path) : -1;
    if (fd < 0) {
        pj_refresh_say(LOG_ERR, "cannot create a temporary file in %s: %s", dir,
                       path ? strerror(errno) : "out of memory");
        free(path);
        return NULL;
    }
    close(fd);
    return path;
}

int pj_refresh_write(const char *path, const char *text, size_t len)
{
    int fd = open(path, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
    size_t done = 0;
    while (fd >= 0 && done < len) {
        ssize_t w = write(fd, text + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        done += (size_t)w;
    }
    if (fd < 0 || done < len) {
        pj_refresh_say(LOG_ERR, "cannot write %s: %s", path, strerror(errno ? errno : EIO));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (close(fd) != 0) {
        pj_refresh_say(LOG_ERR, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}
