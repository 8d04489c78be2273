/* SPDX-License-Identifier: BSD-3-Clause */
/* pamjwt roster sign | apply | sync (contract "Users and groups from a
 * roster"): sign a roster on an admin machine, apply one on a host, fetch
 * one over https and apply it (the timer's command).  The roster work
 * itself is in roster.c, roster_plan.c and roster_apply.c. */
#include "config.h"

#include "cli.h"
#include "cli_fetch.h"
#include "cli_http.h"
#include "cli_jwk.h"
#include "cli_store.h"
#include "cliout.h"
#include "jose.h"
#include "keys.h"
#include "pjconfig.h"
#include "policy.h"
#include "roster.h"
#include "safefile.h"
#include "sign.h"
#include "util.h"

#include <getopt.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef PJ_USERDB_DIR
#define PJ_USERDB_DIR "/etc/userdb"
#endif
#define NSSWITCH "/etc/nsswitch.conf"

/* ------------------------------------------------------------ sign */

static char *sign_roster(const char *keypath, const char *text, size_t n)
{
    char *key = NULL, *hj = NULL, *pj = NULL, *jws = NULL, why[256];
    size_t klen = 0;
    EVP_PKEY *pk = NULL;
    pj_roster r;
    int alg = -1;
    json_t *payload = NULL, *hdr = NULL;
    const char *jwhy;

    /* the roster's own rules first (any range: the host's is checked there) */
    if (pj_roster_parse(text, n, 1, PJ_MAX_MIN_UID, (double)time(NULL), &r, why, sizeof(why)) != 0) {
        pj_cli_line(stderr, "pamjwt: roster refused: %s", why);
        return NULL;
    }
    pj_roster_free(&r);
    if (pj_cli_read_file(keypath, "--key", PJ_FILE_PUBLIC, PJ_MAX_KEY_SIZE, &key, &klen) != 0)
        return NULL;
    BIO *b = BIO_new_mem_buf(key, (int)klen);
    pk = b ? PEM_read_bio_PrivateKey(b, NULL, pj_cli_no_passphrase, NULL) : NULL;
    BIO_free(b);
    pj_wipe_free(key, klen + 1);
    if (pk == NULL) {
        pj_cli_line(stderr, "pamjwt: %s is not an unencrypted PEM private key", keypath);
        return NULL;
    }
    if ((alg = pj_alg_for_key(pk)) < 0 || pj_alg_get((pj_alg)alg)->fam == PJ_FAM_HMAC) {
        pj_cli_line(stderr, "pamjwt: %s is not an RSA, EC or Ed25519 key", keypath);
        goto out;
    }
    payload = pj_json_object(text, n, &jwhy);
    hdr = json_pack("{s:s, s:s}", "alg", pj_alg_get((pj_alg)alg)->name, "typ", PJ_ROSTER_TYP);
    if (payload && hdr && (hj = json_dumps(hdr, JSON_COMPACT)) != NULL &&
        (pj = json_dumps(payload, JSON_COMPACT)) != NULL)
        jws = pj_sign_evp((pj_alg)alg, pk, NULL, 0, hj, pj);
    if (jws == NULL)
        pj_cli_line(stderr, "pamjwt: signing failed");
out:
    free(hj);
    free(pj);
    json_decref(payload);
    json_decref(hdr);
    EVP_PKEY_free(pk);
    return jws;
}

static int roster_sign(int argc, char **argv)
{
    static const struct option opts[] = {{"key", required_argument, NULL, 'k'},
                                         {NULL, 0, NULL, 0}};
    const char *keypath = NULL;
    char *text = NULL, *jws;
    size_t n = 0;
    int o;
    while ((o = getopt_long(argc, argv, "k:", opts, NULL)) != -1) {
        if (o != 'k') {
            pj_cli_usage(stderr, "roster");
            return 2;
        }
        keypath = optarg;
    }
    if (keypath == NULL || optind != argc - 1) {
        pj_cli_usage(stderr, "roster");
        return 2;
    }
    if (pj_cli_read_file(argv[optind], "roster", PJ_FILE_PUBLIC, PJ_ROSTER_MAX_SIZE, &text, &n) != 0)
        return 1;
    jws = sign_roster(keypath, text, n);
    free(text);
    if (jws == NULL)
        return 1;
    printf("%s\n", jws);
    free(jws);
    return 0;
}

/* ------------------------------------------------------------ apply */

typedef struct apply_args {
    const char *config, *userdb, *state, *file;
    const char *url, *ca_file; /* sync */
} apply_args;

/* The one config (file, or the policy of a directory) that sets
 * roster_key_file: its id range, grace and key.  0, or -1 (told). */
static int roster_config(const char *path, pj_roster_opts *o, pj_keyset *ks, char **state)
{
    pj_log log = {pj_cli_emit_stderr, NULL, false};
    pj_policies *ps = pj_policies_load(path, &log);
    const pj_config *c = NULL;
    int rc = -1;
    if (ps == NULL) {
        pj_cli_line(stderr, "pamjwt: config %s unusable", path);
        return -1;
    }
    for (size_t i = 0; i < ps->n; i++)
        if (ps->v[i].c && ps->v[i].c->roster_key_file) {
            if (c != NULL) {
                pj_cli_line(stderr, "pamjwt: more than one policy in %s sets roster_key_file",
                            path);
                goto out;
            }
            c = ps->v[i].c;
        }
    if (c == NULL) {
        pj_cli_line(stderr, "pamjwt: config %s sets no roster_key_file", path);
        goto out;
    }
    o->low = c->roster_low;
    o->high = c->roster_high;
    o->grace_days = c->roster_grace_days;
    if ((*state = strdup(c->roster_dir)) == NULL)
        goto out;
    rc = pj_keys_load_pem(ks, c->roster_key_file, &log);
out:
    pj_policies_free(ps);
    return rc;
}

/* Does the passwd (group) line of nsswitch.conf name systemd? */
static void check_nsswitch(void)
{
    FILE *f = fopen(NSSWITCH, "re");
    char line[1024];
    bool pw = false, gr = false;
    while (f && fgets(line, sizeof(line), f)) {
        bool *flag = strncmp(line, "passwd:", 7) == 0 ? &pw
                     : strncmp(line, "group:", 6) == 0 ? &gr
                                                       : NULL;
        for (char *s = NULL, *w = strtok_r(line, " \t\n", &s); flag && w;
             w = strtok_r(NULL, " \t\n", &s))
            if (strcmp(w, "systemd") == 0)
                *flag = true;
    }
    if (f)
        fclose(f);
    if (!pw || !gr)
        pj_cli_line(stderr, "pamjwt: warning: " NSSWITCH " lacks systemd on its %s line%s: "
                            "install libnss-systemd, or the roster's users and groups stay "
                            "unknown to the host", !pw && !gr ? "passwd and group" : !pw ? "passwd" : "group",
                    !pw && !gr ? "s" : "");
}

/* Verify and apply a signed roster (text, n bytes). */
static int apply_text(const apply_args *a, const char *text, size_t n)
{
    pj_roster_opts o = {0};
    pj_keyset ks = {0};
    pj_roster_dirs dirs = {a->userdb ? a->userdb : PJ_USERDB_DIR, a->state};
    char why[512], *payload = NULL, *state = NULL;
    size_t plen = 0;
    int rc = 1;
    if (roster_config(a->config ? a->config : PJ_DEFAULT_CONFIG, &o, &ks, &state) != 0)
        goto out;
    if (dirs.state == NULL) /* --state-dir, else the config's roster_state_dir */
        dirs.state = state;
    if (pj_roster_verify(text, n, &ks, &payload, &plen, why, sizeof(why)) != 0) {
        pj_cli_line(stderr, "pamjwt: roster refused, nothing changed: %s", why);
        goto out;
    }
    o.now = (double)time(NULL);
    o.nss = &pj_roster_system_nss;
    o.out = stdout;
    o.same_serial_unchanged = a->url != NULL; /* sync runs on a timer */
    int applied = pj_roster_apply(&dirs, payload, plen, &o, why, sizeof(why));
    if (applied == 1) {
        printf("roster unchanged: %s\n", why);
        rc = 0;
        goto out;
    }
    if (applied != 0) {
        pj_cli_line(stderr, "pamjwt: roster refused, nothing changed: %s", why);
        goto out;
    }
    printf("roster applied to %s\n", dirs.userdb);
    check_nsswitch();
    rc = 0;
out:
    free(payload);
    free(state);
    pj_keyset_free(&ks);
    return rc;
}

/* 0, or 2 (usage, told). */
static int apply_options(int argc, char **argv, apply_args *a, bool sync)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"userdb-dir", required_argument, NULL, 'u'},
        {"state-dir", required_argument, NULL, 's'}, {"ca-file", required_argument, NULL, 'C'},
        {NULL, 0, NULL, 0}};
    int o;
    while ((o = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
        switch (o) {
        case 'c': a->config = optarg; break;
        case 'u': a->userdb = optarg; break;
        case 's': a->state = optarg; break;
        case 'C':
            if (sync) {
                a->ca_file = optarg;
                break;
            }
            /* fall through */
        default: pj_cli_usage(stderr, "roster"); return 2;
        }
    }
    if (optind != argc - 1) {
        pj_cli_usage(stderr, "roster");
        return 2;
    }
    *(sync ? &a->url : &a->file) = argv[optind];
    if (geteuid() != 0 && (a->userdb == NULL || a->state == NULL)) {
        pj_cli_line(stderr, "pamjwt: roster %s writes /etc/userdb: run it as root",
                    sync ? "sync" : "apply");
        return 2;
    }
    return 0;
}

static int roster_apply(int argc, char **argv)
{
    apply_args a = {0};
    char *text = NULL;
    size_t n = 0;
    int rc = apply_options(argc, argv, &a, false);
    if (rc != 0)
        return rc;
    if (strcmp(a.file, "-") == 0) {
        FILE *m;
        char buf[65536];
        size_t got, total = 0; /* n is set only when m is closed */
        if ((m = open_memstream(&text, &n)) == NULL)
            return 1;
        while (total <= PJ_ROSTER_MAX_SIZE && (got = fread(buf, 1, sizeof(buf), stdin)) > 0) {
            fwrite(buf, 1, got, m);
            total += got;
        }
        fclose(m);
    } else if (pj_cli_read_file(a.file, "roster", PJ_FILE_PUBLIC, PJ_ROSTER_MAX_SIZE, &text,
                                &n) != 0)
        return 1;
    rc = n > PJ_ROSTER_MAX_SIZE ? (pj_cli_line(stderr, "pamjwt: roster too large"), 1)
                                : apply_text(&a, text, n);
    free(text);
    return rc;
}

/* ------------------------------------------------------------ sync */

/* The same fetcher as pamjwt jwks refresh (cli_fetch.c): https only
 * (loopback http for tests), no redirect, HTTP 200, the body bounded. */
static int roster_sync(int argc, char **argv)
{
    apply_args a = {0};
    const char *why = NULL;
    char *body = NULL;
    size_t len = 0;
    int rc = apply_options(argc, argv, &a, true);
    if (rc != 0)
        return rc;
    if (pj_fetch_url_ok(a.url, &why) != 0) {
        pj_cli_line(stderr, "pamjwt: roster URL refused: %s", why);
        return 2;
    }
    if (pj_http_init() != 0)
        return 1;
    rc = 1;
    /* "": the system's CAs */
    if (pj_fetch(a.url, a.ca_file && a.ca_file[0] ? a.ca_file : NULL, PJ_ROSTER_MAX_SIZE, 0,
                 &body, &len) == 0) {
        rc = apply_text(&a, body, len);
        pj_fetch_free(body, len);
    }
    pj_http_cleanup();
    return rc;
}

int pj_cmd_roster(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "sign") == 0)
        return roster_sign(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "apply") == 0)
        return roster_apply(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "sync") == 0)
        return roster_sync(argc - 1, argv + 1);
    pj_cli_usage(stderr, "roster");
    return 2;
}
