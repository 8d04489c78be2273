/* SPDX-License-Identifier: BSD-3-Clause */
/* The PAM services that use a configuration: see jwks_services.h. */
#include "config.h"

#include "jwks_services.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINE 4096

/* The next white-space separated word of *p ("[...]" is one word, spaces
 * and all, as libpam reads it), NUL-terminated in place; NULL at the end. */
static char *word(char **p)
{
    char *s = *p, *w;
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s == '\0')
        return NULL;
    w = s;
    if (*s == '[') {
        while (*s && *s != ']')
            s++;
        if (*s == ']')
            s++;
    }
    while (*s && *s != ' ' && *s != '\t')
        s++;
    if (*s)
        *s++ = '\0';
    *p = s;
    return w;
}

/* Is path the module pam_jwt.so ("pam_jwt.so" or ".../pam_jwt.so")? */
static bool is_pam_jwt(const char *path)
{
    const char *b = strrchr(path, '/');
    return strcmp(b ? b + 1 : path, "pam_jwt.so") == 0;
}

/* Does a stack's configuration cfg cover config (equal, or its directory)? */
static bool covers(const char *cfg, const char *config)
{
    size_t n = strlen(cfg);
    if (strcmp(cfg, config) == 0)
        return true;
    while (n > 1 && cfg[n - 1] == '/')
        n--;
    return strncmp(cfg, config, n) == 0 && config[n] == '/' && strchr(config + n + 1, '/') == NULL;
}

/* Does one line of a PAM file run pam_jwt.so with config? */
static bool line_uses(char *line, const char *config, const char *default_config)
{
    char *p = line, *type, *control, *module, *arg;
    const char *cfg = default_config;
    line[strcspn(line, "#\r\n")] = '\0';
    type = word(&p);
    control = type ? word(&p) : NULL;
    module = control ? word(&p) : NULL;
    if (module == NULL || type[0] == '@' || !is_pam_jwt(module))
        return false;
    while ((arg = word(&p)) != NULL)
        if (strncmp(arg, "config=", 7) == 0)
            cfg = arg + 7;
    return covers(cfg, config);
}

static bool file_uses(const char *path, const char *config, const char *default_config)
{
    char line[MAX_LINE];
    bool uses = false;
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return false;
    for (int i = 0; !uses && i < PJ_SERVICES_MAX_LINES && fgets(line, sizeof(line), f); i++)
        uses = line_uses(line, config, default_config);
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
        if (e->d_type != DT_REG && e->d_type != DT_UNKNOWN)
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
