/* SPDX-License-Identifier: BSD-3-Clause */
/* Line parsers of `pamjwt jwks refresh`: see jwks_lines.h. */
#include "config.h"

#include "jwks_lines.h"

#include "util.h"

#include <string.h>

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
    return n > 0 && strncmp(cfg, config, n) == 0 && config[n] == '/' &&
           config[n + 1] != '\0' && strchr(config + n + 1, '/') == NULL;
}

bool pj_pam_line_uses(char *line, const char *config, const char *default_config)
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

bool pj_conf_line_is(const char *line, size_t n, const char *key, const char *value)
{
    const char *eq, *k = line, *v;
    size_t kl, vl;
    if (n > 0 && line[n - 1] == '\r')
        n--;
    if (n > 0 && line[0] == '#')
        return false;
    for (size_t i = 1; i < n; i++)
        if (line[i] == '#' && (line[i - 1] == ' ' || line[i - 1] == '\t')) {
            n = i;
            break;
        }
    eq = memchr(line, '=', n);
    if (eq == NULL)
        return false;
    kl = (size_t)(eq - line);
    v = eq + 1;
    vl = n - kl - 1;
    pj_trim(&k, &kl);
    pj_trim(&v, &vl);
    return kl == strlen(key) && memcmp(k, key, kl) == 0 && vl == strlen(value) &&
           memcmp(v, value, vl) == 0;
}
