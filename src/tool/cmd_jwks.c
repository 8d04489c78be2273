/* SPDX-License-Identifier: BSD-3-Clause */
/* pamjwt jwks refresh: fetch an identity provider's JWK Set and install it
 * only if logins keep working with it (pamjwt(1), pamjwt-jwks-refresh(8)).
 *   0. with --issuer: OpenID Connect discovery finds the jwks_uri;
 *   1. the set is fetched (pj_fetch: at most 1 MiB, 20 s) into a temporary
 *      file next to JWKS_FILE;
 *   2. nothing more when it equals JWKS_FILE ("unchanged");
 *   3. the new file is made root-owned, mode 0644;
 *   4. a. the configuration, naming the new file, loads (jwks_check.c),
 *         for each PAM service that uses it;
 *      b. some key of it verifies an allowed algorithm (jwks_probe.c);
 *   5. it is renamed over JWKS_FILE: atomic, a login reads the old file or
 *      the new one, never a mix.
 * On any failure JWKS_FILE stays as it was and the exit status is 1. */
#include "config.h"

#include "cli.h"
#include "cli_discover.h"
#include "cli_fetch.h"
#include "cli_http.h"
#include "jwks_refresh.h"
#include "jwks_services.h"
#include "keys.h"
#include "pjconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#define FETCH_TIMEOUT 20 /* seconds per download */
#define DEFAULT_PAM_DIR "/etc/pam.d"

typedef struct opts {
    const char *issuer, *jwks_uri, *ca_file, *jwks_file, *config, *pam_dir, *host;
    char hostname[256];
} opts;

/* The temporary files, removed on every exit, a signal's too. */
static char *volatile tmp_paths[5];

static void remove_tmp(void)
{
    for (size_t i = 0; i < sizeof(tmp_paths) / sizeof(tmp_paths[0]); i++)
        if (tmp_paths[i])
            unlink(tmp_paths[i]);
}

/* Drop one from the list before freeing it: the signal handler never
 * sees a freed path. */
static void forget_tmp(size_t i)
{
    char *p = tmp_paths[i];
    tmp_paths[i] = NULL;
    free(p);
}

static void on_signal(int sig)
{
    (void)sig;
    remove_tmp(); /* unlink is async-signal-safe */
    _exit(1);
}

static void usage(void)
{
    pj_cli_usage(stderr, "jwks");
}

/* 0, or 2 (usage error, said). */
static int parse_args(int argc, char **argv, opts *o, pj_strlist *services)
{
    static const struct option lo[] = {{"issuer", required_argument, NULL, 'i'},
                                       {"jwks-uri", required_argument, NULL, 'u'},
                                       {"ca-file", required_argument, NULL, 'C'},
                                       {"jwks-file", required_argument, NULL, 'f'},
                                       {"config", required_argument, NULL, 'c'},
                                       {"service", required_argument, NULL, 's'},
                                       {"host", required_argument, NULL, 'h'},
                                       {"pam-dir", required_argument, NULL, 'p'},
                                       {NULL, 0, NULL, 0}};
    int c;

    if (argc < 2 || strcmp(argv[1], "refresh") != 0) {
        usage();
        return 2;
    }
    optind = 2;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'i': o->issuer = *optarg ? optarg : NULL; break;
        case 'u': o->jwks_uri = *optarg ? optarg : NULL; break;
        case 'C': o->ca_file = *optarg ? optarg : NULL; break;
        case 'f': o->jwks_file = optarg; break;
        case 'c': o->config = optarg; break;
        case 'h': o->host = optarg; break;
        case 'p': o->pam_dir = optarg; break;
        case 's':
            if (*optarg == '\0' || strchr(optarg, '/') || strlen(optarg) > 255) {
                pj_refresh_say(LOG_ERR, "--service wants a PAM service name");
                return 2;
            }
            if (!pj_strlist_has(services, optarg) &&
                (services->n >= PJ_SERVICES_MAX ||
                 pj_strlist_add(services, optarg, strlen(optarg)) != 0)) {
                pj_refresh_say(LOG_ERR, "at most %d services", PJ_SERVICES_MAX);
                return 2;
            }
            break;
        default: usage(); return 2;
        }
    }
    if (optind != argc) {
        usage();
        return 2;
    }
    if (o->host == NULL && gethostname(o->hostname, sizeof(o->hostname)) == 0) {
        o->hostname[sizeof(o->hostname) - 1] = '\0';
        o->host = o->hostname;
    }
    return 0;
}

static bool printable_url(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e)
            return false;
    return true;
}

/* The settings, checked before any request.  0, or 1 (said). */
static int check_settings(const opts *o)
{
    const char *why = NULL;
    struct stat st;

    if (o->issuer && o->jwks_uri) {
        pj_refresh_say(LOG_ERR, "set ISSUER (--issuer) or JWKS_URI (--jwks-uri), not both");
        return 1;
    }
    if (o->issuer == NULL && o->jwks_uri == NULL) {
        pj_refresh_say(LOG_ERR, "neither ISSUER (--issuer) nor JWKS_URI (--jwks-uri) is set "
                                "(see /etc/default/pamjwt-jwks-refresh)");
        return 1;
    }
    if (o->issuer) {
        /* no query or fragment: an issuer URL has none (OpenID Connect
         * Discovery 1.0, section 2) */
        if (!printable_url(o->issuer) || strpbrk(o->issuer, "?#") != NULL) {
            pj_refresh_say(LOG_ERR, "ISSUER must be an https:// URL of printable ASCII without "
                                    "query or fragment");
            return 1;
        }
        if (pj_fetch_url_ok(o->issuer, &why) != 0) {
            pj_refresh_say(LOG_ERR, "ISSUER \"%s\": %s", o->issuer, why);
            return 1;
        }
    } else if (!printable_url(o->jwks_uri) || pj_fetch_url_ok(o->jwks_uri, &why) != 0) {
        pj_refresh_say(LOG_ERR, "JWKS_URI \"%s\": %s", o->jwks_uri,
                       why ? why : "not printable ASCII");
        return 1;
    }
    if (o->ca_file) {
        if (o->ca_file[0] != '/') {
            pj_refresh_say(LOG_ERR, "CA_FILE must be an absolute path");
            return 1;
        }
        if (stat(o->ca_file, &st) != 0 || !S_ISREG(st.st_mode) || access(o->ca_file, R_OK) != 0) {
            pj_refresh_say(LOG_ERR, "CA_FILE %s is not a readable file", o->ca_file);
            return 1;
        }
    }
    if (o->jwks_file[0] != '/') {
        pj_refresh_say(LOG_ERR, "JWKS_FILE must be an absolute path");
        return 1;
    }
    if (o->config[0] != '/' || strchr(o->config, '%') != NULL) {
        pj_refresh_say(LOG_ERR, "PAMJWT_CONFIG must be an absolute path (without %%)");
        return 1;
    }
    if (stat(o->jwks_file, &st) == 0 && S_ISDIR(st.st_mode)) {
        pj_refresh_say(LOG_ERR, "JWKS_FILE %s is a directory", o->jwks_file);
        return 1;
    }
    return 0;
}

/* The directory of path (absolute), malloc'd. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash == path ? strdup("/") : pj_strndup(path, (size_t)(slash - path));
}

/* JWKS_FILE's directory: the temporary files are made there and reopened
 * by name, so a user who could write it could swap one for a file it holds
 * open.  It must be root's and writable by root only; each directory above
 * it root's and writable by root only or sticky (/tmp), so none of them
 * can be renamed away.  true, or false (said). */
static bool dir_safe(const char *dir)
{
    char *p = strdup(dir);
    bool ok = p != NULL, top = true;
    struct stat st;
    for (size_t n = p ? strlen(p) : 0; ok; top = false) {
        p[n] = '\0';
        if (stat(n ? p : "/", &st) != 0) {
            pj_refresh_say(LOG_ERR, "directory %s: %s", n ? p : "/", strerror(errno));
            ok = false;
        } else if (st.st_uid != 0 && st.st_uid != geteuid()) {
            pj_refresh_say(LOG_ERR, "directory %s is owned by uid %lu (must be root)",
                           n ? p : "/", (unsigned long)st.st_uid);
            ok = false;
        } else if ((st.st_mode & (S_IWGRP | S_IWOTH)) && (top || !(st.st_mode & S_ISVTX))) {
            pj_refresh_say(LOG_ERR, "directory %s is writable by group or others (mode %04o)",
                           n ? p : "/", (unsigned)(st.st_mode & 07777));
            ok = false;
        }
        if (n == 0)
            break;
        while (n > 0 && p[n - 1] == '/') /* "/a//b": the slashes before b */
            n--;
        while (n > 0 && p[n - 1] != '/')
            n--;
        while (n > 1 && p[n - 1] == '/')
            n--;
        if (n == 1) /* "/": said as such, by n == 0 */
            n = 0;
    }
    if (p == NULL)
        pj_refresh_say(LOG_ERR, "out of memory");
    free(p);
    return ok;
}

/* 0. Discovery: the issuer's jwks_uri, malloc'd; NULL (said). */
static char *discover_jwks_uri(const opts *o)
{
    char *url = NULL, *jwks_uri = NULL;
    const char *v, *why = NULL;
    json_t *doc = pj_discover(o->issuer, o->ca_file, &url);

    if (doc == NULL)
        goto out;
    v = pj_discover_str(doc, url, "jwks_uri");
    if (v == NULL)
        goto out;
    /* never weaker than the issuer: https, unless the issuer itself is
     * loopback http (tests) */
    if (strncmp(v, "https://", 8) != 0 && strncmp(o->issuer, "http://", 7) != 0) {
        pj_refresh_say(LOG_ERR, "%s: jwks_uri \"%s\" is not an https:// URL", url, v);
        goto out;
    }
    if (pj_fetch_url_ok(v, &why) != 0) {
        pj_refresh_say(LOG_ERR, "%s: jwks_uri \"%s\" %s", url, v,
                       strncmp(why, "it has", 6) == 0 ? why + 3 : why);
        goto out;
    }
    jwks_uri = strdup(v);
    if (jwks_uri)
        pj_refresh_say(LOG_INFO, "discovered jwks_uri %s from %s", jwks_uri, url);
out:
    json_decref(doc);
    free(url);
    return jwks_uri;
}

/* Does the file at path (a regular file, not a link) hold exactly text?
 * O_NONBLOCK: a FIFO there must not block the open before fstat says so. */
static bool same_file(const char *path, const char *text, size_t len)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    struct stat st;
    char *buf;
    bool same = false;

    if (fd < 0)
        return false;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size == len &&
        (buf = malloc(len + 1)) != NULL) {
        size_t got = 0;
        ssize_t n;
        while (got < len && (n = read(fd, buf + got, len - got)) > 0)
            got += (size_t)n;
        same = got == len && read(fd, buf, 1) == 0 && memcmp(buf, text, len) == 0;
        free(buf);
    }
    close(fd);
    return same;
}

/* 1.-3.: the new set in r->new_path, root-owned, mode 0644, synced.  0, or -1 (said). */
static int write_new(pj_refresh *r, const char *text, size_t len)
{
    int fd;
    if (pj_refresh_write(r->new_path, text, len) != 0)
        return -1;
    fd = open(r->new_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fchown(fd, 0, 0) != 0 || fchmod(fd, 0644) != 0 || fsync(fd) != 0) {
        pj_refresh_say(LOG_ERR, "cannot make %s root-owned, mode 0644: %s", r->new_path,
                       strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

/* The algorithms of mask, in pam_jwt's order: " RS256 ES256". */
static void alg_words(unsigned mask, char *buf, size_t sz)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int a = 0; a < PJ_ALG_COUNT && n < sz; a++)
        if (mask & (1u << a))
            n += (size_t)snprintf(buf + n, sz - n, " %s", pj_alg_get((pj_alg)a)->name);
}

static void say_notes(const pj_refresh *r)
{
    for (size_t i = 0; i < r->notes.n; i++)
        pj_refresh_say(LOG_WARNING, "new JWK Set: %s", r->notes.v[i]);
}

/* Steps 1 to 5 for jwks_uri.  0 done (installed or unchanged), 1 failed (said). */
static int refresh(pj_refresh *r, const opts *o, const char *jwks_uri, const char *dir)
{
    char *text = NULL, algs[128];
    size_t len = 0, nkeys = 0;
    unsigned usable = 0;
    int rc = 1;

    if (pj_fetch(jwks_uri, o->ca_file, PJ_JWKS_MAX_BYTES, FETCH_TIMEOUT, &text, &len) != 0) {
        pj_refresh_say(LOG_ERR, "download of %s failed", jwks_uri);
        return 1;
    }
    if (len == 0) {
        pj_refresh_say(LOG_ERR, "%s returned an empty document", jwks_uri);
        goto out;
    }
    if (same_file(r->jwks_file, text, len)) {
        pj_refresh_say(LOG_INFO, "unchanged: the JWK Set at %s equals %s (%zu bytes)", jwks_uri,
                       r->jwks_file, len);
        rc = 0;
        goto out;
    }
    if ((r->new_path = tmp_paths[0] = pj_refresh_tmpfile(dir, ".pam_jwt-jwks")) == NULL ||
        (r->one_path = tmp_paths[1] = pj_refresh_tmpfile(dir, ".pam_jwt-jwks")) == NULL ||
        (r->conf_path = tmp_paths[2] = pj_refresh_tmpfile(r->tmpdir, "pamjwt-jwks-refresh")) == NULL ||
        (r->probe_path = tmp_paths[3] = pj_refresh_tmpfile(r->tmpdir, "pamjwt-jwks-refresh")) == NULL ||
        (r->probe1_path = tmp_paths[4] = pj_refresh_tmpfile(r->tmpdir, "pamjwt-jwks-refresh")) == NULL)
        goto out;
    if (write_new(r, text, len) != 0)
        goto out;
    if (pj_refresh_check(r) != 0) {
        say_notes(r);
        pj_refresh_say(LOG_ERR, "the configuration does not load with the new JWK Set");
        goto out;
    }
    if (pj_refresh_probe(r, text, len, &usable, &nkeys) != 0)
        goto out;
    say_notes(r);
    if (usable == 0) {
        pj_refresh_say(LOG_ERR, "no key of the new JWK Set can verify an algorithm the "
                                "configuration allows");
        goto out;
    }
    if (rename(r->new_path, r->jwks_file) != 0) {
        pj_refresh_say(LOG_ERR, "cannot rename %s to %s: %s", r->new_path, r->jwks_file,
                       strerror(errno));
        goto out;
    }
    forget_tmp(0); /* installed: not removed */
    r->new_path = NULL;
    alg_words(usable, algs, sizeof(algs));
    pj_refresh_say(LOG_INFO, "installed a new JWK Set from %s in %s (%zu bytes, %zu keys; keys for%s)",
                   jwks_uri, r->jwks_file, len, nkeys, algs);
    rc = 0;
out:
    pj_fetch_free(text, len);
    return rc;
}

int pj_cmd_jwks(int argc, char **argv)
{
    opts o = {.config = PJ_DEFAULT_CONFIG, .pam_dir = DEFAULT_PAM_DIR};
    pj_refresh r = {0};
    char *default_jwks = NULL, *dir = NULL, *confdir = dir_of(PJ_DEFAULT_CONFIG), *jwks_uri = NULL;
    const char *tmp = getenv("TMPDIR");
    struct sigaction sa = {0};
    struct stat st;
    int rc;

    default_jwks = confdir ? pj_strfmt("%s/pam_jwt.jwks", confdir) : NULL;
    free(confdir);
    o.jwks_file = default_jwks ? default_jwks : "/etc/security/pam_jwt.jwks";
    umask(022);
    rc = parse_args(argc, argv, &o, &r.services);
    if (rc == 0)
        rc = check_settings(&o);
    if (rc != 0)
        goto out;
    rc = 1;
    r.jwks_file = o.jwks_file;
    r.config = o.config;
    r.host = o.host;
    r.pam_dir = o.pam_dir;
    r.tmpdir = tmp && tmp[0] == '/' ? tmp : "/tmp";
    r.services_given = r.services.n > 0;
    dir = dir_of(o.jwks_file);
    if (dir == NULL || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        pj_refresh_say(LOG_ERR, "directory %s does not exist", dir ? dir : o.jwks_file);
        goto out;
    }
    if (!dir_safe(dir))
        goto out;
    if (!r.services_given && pj_jwks_services(o.pam_dir, o.config, PJ_DEFAULT_CONFIG,
                                              &r.services) != 0 && errno != ENOENT) {
        pj_refresh_say(LOG_ERR, "cannot read %s: %s", o.pam_dir, strerror(errno));
        goto out;
    }
    sa.sa_handler = on_signal;
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (pj_http_init() != 0)
        goto out;
    jwks_uri = o.issuer ? discover_jwks_uri(&o) : strdup(o.jwks_uri);
    rc = jwks_uri ? refresh(&r, &o, jwks_uri, dir) : 1;
    pj_http_cleanup();
    if (rc != 0)
        pj_refresh_say(LOG_ERR, "%s left unchanged", o.jwks_file);
out:
    remove_tmp();
    for (size_t i = 0; i < sizeof(tmp_paths) / sizeof(tmp_paths[0]); i++)
        forget_tmp(i);
    free(jwks_uri);
    free(dir);
    free(default_jwks);
    pj_strlist_free(&r.services);
    pj_strlist_free(&r.notes);
    return rc;
}
