/* SPDX-License-Identifier: BSD-3-Clause */
/* The PAM services that use a configuration: see jwks_services.h. */
#include "config.h"

#include "jwks_services.h"

#include "jwks_lines.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_LINE 4096 /* a longer line is read in pieces, each a line */

static bool file_uses(const char *path, const char *config, const char *default_config)
{
    char line[MAX_LINE];
    bool uses = false;
    struct stat st;
    FILE *f;
    int fd;
    /* only a regular file (a link to one too, as libpam reads it): a FIFO
     * would block the open, a device would be opened; checked before the
     * open, and on what was opened */
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return false;
    fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return false;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (f = fdopen(fd, "r")) == NULL) {
        close(fd);
        return false;
    }
    for (int i = 0; !uses && i < PJ_SERVICES_MAX_LINES && fgets(line, sizeof(line), f); i++)
        uses = pj_pam_line_uses(line, config, default_config);
    fclose(f);
    return uses;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int pj_jwks_services(const char *pam_dir, const char *config, const char *default_config,
                     pj_strlist *out)
{
    DIR *d = opendir(pam_dir);
    struct dirent *e;
    int files = 0, rc = 0;
    size_t first = out->n;

    if (d == NULL)
        return -1;
    while (rc == 0 && files < PJ_SERVICES_MAX_FILES && out->n < PJ_SERVICES_MAX &&
           (e = readdir(d)) != NULL) {
        size_t nl = strlen(e->d_name);
        char *path;
        if (e->d_name[0] == '.' || e->d_name[nl - 1] == '~' || strchr(e->d_name, '.') != NULL)
            continue; /* ., .., backups, foo.dpkg-old: libpam reads none of them as a service */
        if (e->d_type != DT_REG && e->d_type != DT_LNK && e->d_type != DT_UNKNOWN)
            continue;
        files++;
        path = pj_strfmt("%s/%s", pam_dir, e->d_name);
        if (path == NULL) {
            rc = -1;
            break;
        }
        if (file_uses(path, config, default_config) && !pj_strlist_has(out, e->d_name) &&
            pj_strlist_add(out, e->d_name, nl) != 0)
            rc = -1;
        free(path);
    }
    closedir(d);
    if (out->n > first)
        qsort(out->v + first, out->n - first, sizeof(out->v[0]), by_name);
    return rc;
}
