/* SPDX-License-Identifier: BSD-3-Clause */
/* The installed module must export pam_sm_authenticate and pam_sm_setcred
 * and nothing else of ours: no library internals for other modules to
 * collide with or call.  And it must hold no signing code: pam_jwt.so only
 * verifies; signing lives in libpamjwt_sign.la, which only pamjwt, the
 * tests, the bench and the fuzzers link.  (Base64url encoding is in the
 * module: the proof-of-possession nonce it puts in a prompt needs it.)
 *
 * The symbol lists come from nm (NM in the environment, default "nm").
 * Every nm run must succeed and list what it must (pam_sm_authenticate,
 * the module's verification calls): a missing or failing nm fails the
 * test rather than passing it with nothing checked. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <elf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "tap.h"

#define MAX_SYMS 20000

typedef struct sym {
    char type;       /* nm's letter: T, t, U, D, ... */
    char name[256];  /* without a @VERSION suffix */
} sym;

/* Run "NM ARGS 'SO'" and keep each symbol line.  Returns nm's exit
 * status (0 ok), or -1 when it could not be run at all. */
static int run_nm(const char *args, const char *so, sym **out, size_t *n)
{
    const char *nm = getenv("NM");
    char cmd[4096], line[1024];
    FILE *p;
    int st;

    *out = calloc(MAX_SYMS, sizeof(sym));
    *n = 0;
    if (*out == NULL || strchr(so, '\'') != NULL)
        return -1;
    snprintf(cmd, sizeof(cmd), "%s %s '%s'", nm && *nm ? nm : "nm", args, so);
    p = popen(cmd, "r");
    if (p == NULL) {
        printf("# popen %s failed\n", cmd);
        return -1;
    }
    while (fgets(line, sizeof(line), p)) {
        char f[3][512];
        int k = sscanf(line, "%511s %511s %511s", f[0], f[1], f[2]);
        const char *type, *name;
        if (k == 3) { /* ADDRESS TYPE NAME */
            type = f[1];
            name = f[2];
        } else if (k == 2) { /* TYPE NAME (undefined: no address) */
            type = f[0];
            name = f[1];
        } else {
            continue;
        }
        if (strlen(type) != 1 || *n >= MAX_SYMS)
            continue;
        sym *s = &(*out)[(*n)++];
        s->type = type[0];
        snprintf(s->name, sizeof(s->name), "%.*s", (int)strcspn(name, "@"), name);
    }
    st = pclose(p);
    if (st == -1)
        return -1;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        printf("# '%s' failed (status %d)\n", cmd, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        return WIFEXITED(st) && WEXITSTATUS(st) != 0 ? WEXITSTATUS(st) : 1;
    }
    return 0;
}

/* Does the ELF file have a .symtab section (is it not stripped)?  1 yes,
 * 0 no, -1 unreadable.  Read here, not asked of nm, so that an nm that
 * prints nothing cannot pass for a stripped module.  Either class: 64-bit
 * (amd64, arm64) or 32-bit (i386, armhf); *elfclass says which. */
static int elf_has_symtab(const char *path, int *elfclass)
{
    FILE *f = fopen(path, "rb");
    unsigned char id[EI_NIDENT];
    unsigned long long shoff = 0;
    unsigned shnum = 0, shentsize = 0, want = 0;
    int found = -1;
    *elfclass = ELFCLASSNONE;
    if (f == NULL)
        return -1;
    if (fread(id, 1, sizeof(id), f) == sizeof(id) && memcmp(id, ELFMAG, SELFMAG) == 0) {
        Elf64_Ehdr e64;
        Elf32_Ehdr e32;
        rewind(f);
        *elfclass = id[EI_CLASS];
        if (id[EI_CLASS] == ELFCLASS64 && fread(&e64, sizeof(e64), 1, f) == 1) {
            shoff = e64.e_shoff, shnum = e64.e_shnum, shentsize = e64.e_shentsize;
            want = sizeof(Elf64_Shdr);
        } else if (id[EI_CLASS] == ELFCLASS32 && fread(&e32, sizeof(e32), 1, f) == 1) {
            shoff = e32.e_shoff, shnum = e32.e_shnum, shentsize = e32.e_shentsize;
            want = sizeof(Elf32_Shdr);
        }
    }
    /* sh_type is the second 32-bit word of a section header in both classes */
    _Static_assert(offsetof(Elf32_Shdr, sh_type) == offsetof(Elf64_Shdr, sh_type),
                   "sh_type at the same offset");
    if (want != 0 && shentsize == want) {
        found = 0;
        for (unsigned i = 0; i < shnum && found == 0; i++) {
            Elf32_Word type;
            if (fseek(f, (long)(shoff + (unsigned long long)i * want +
                                offsetof(Elf64_Shdr, sh_type)), SEEK_SET) != 0 ||
                fread(&type, sizeof(type), 1, f) != 1) {
                found = -1;
                break;
            }
            if (type == SHT_SYMTAB)
                found = 1;
        }
    }
    fclose(f);
    return found;
}

static bool has(const sym *v, size_t n, const char *name, bool defined)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].name, name) == 0 && (v[i].type != 'U') == defined)
            return true;
    return false;
}

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Loaded objects whose name says HTTP or TLS (libcurl, libssl, GnuTLS,
 * NSS's ssl3, mbed TLS, wolfSSL): device sign-in's network code runs in a
 * separate helper, never in the module. */
static const char *const net_libs[] = {"libcurl", "libssl", "libgnutls", "libssl3",
                                       "libmbedtls", "libwolfssl", "libnghttp"};
static int count_net_libs(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    const char *base = strrchr(info->dlpi_name, '/');
    base = base ? base + 1 : info->dlpi_name;
    for (size_t k = 0; k < sizeof(net_libs) / sizeof(net_libs[0]); k++)
        if (has_prefix(base, net_libs[k])) {
            printf("# loaded with the module: %s\n", info->dlpi_name);
            (*(int *)data)++;
        }
    return 0;
}

/* dlopen: the entry points are there, no HTTP/TLS library comes along,
 * the internal functions are not reachable. */
static bool check_loads(const char *so)
{
    void *h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
    ok(h != NULL, "dlopen %s: %s", so, h ? "ok" : dlerror());
    if (h == NULL)
        return false;
    ok(dlsym(h, "pam_sm_authenticate") != NULL, "pam_sm_authenticate exported");
    ok(dlsym(h, "pam_sm_setcred") != NULL, "pam_sm_setcred exported");
    int netlibs = 0;
    dl_iterate_phdr(count_net_libs, &netlibs);
    is_int(netlibs, 0, "no HTTP or TLS library (libcurl, libssl, GnuTLS, ...) is loaded with the "
                       "module");
    const char *internal[] = {"pj_decide", "pj_config_load", "pj_sig_verify", "pj_jwks_parse",
                              "pj_b64url_decode", "pj_read_file", "pj_logf", "pj_args_parse"};
    for (size_t i = 0; i < sizeof(internal) / sizeof(internal[0]); i++)
        ok(dlsym(h, internal[i]) == NULL, "%s not exported", internal[i]);
    dlclose(h);
    return true;
}

/* Every defined dynamic symbol: only pam_sm_*. */
static void check_exports(const char *so)
{
    sym *v = NULL;
    size_t n = 0;
    int rc = run_nm("-D --defined-only", so, &v, &n);
    is_int(rc, 0, "nm -D --defined-only ran");
    ok(has(v, n, "pam_sm_authenticate", true), "nm -D lists pam_sm_authenticate (%zu symbols)",
       n);
    int extra = 0;
    for (size_t i = 0; i < n; i++) {
        if (strchr("TDBRVWiu", v[i].type) == NULL || has_prefix(v[i].name, "pam_sm_") ||
            v[i].name[0] == '_')
            continue;
        printf("# unexpected export: %c %s\n", v[i].type, v[i].name);
        extra++;
    }
    is_int(extra, 0, "no symbol other than pam_sm_* is exported");
    free(v);
}

/* How many of the undefined symbols v[0..n) start with one of prefixes. */
static int count_calls(const sym *v, size_t n, const char *const *prefixes, size_t np)
{
    int calls = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < np; k++)
            if (v[i].type == 'U' && has_prefix(v[i].name, prefixes[k])) {
                printf("# the module calls %s\n", v[i].name);
                calls++;
            }
    return calls;
}

/* What the module calls: verification, never signing, no HTTP or TLS. */
static void check_calls(const char *so)
{
    static const char *const signing[] = {"EVP_DigestSign", "EVP_PKEY_sign", "EVP_SignInit",
                                          "EVP_SignFinal",  "RSA_sign",      "ECDSA_sign",
                                          "ECDSA_do_sign",  "jwt_"};
    /* device sign-in's helper does the network, never the module */
    static const char *const net[] = {"curl_",   "SSL_",      "TLS_",    "DTLS_", "OPENSSL_init_ssl",
                                      "gnutls_", "mbedtls_", "wolfSSL_"};
    sym *v = NULL;
    size_t n = 0;
    int rc = run_nm("-D --undefined-only", so, &v, &n);
    is_int(rc, 0, "nm -D --undefined-only ran");
    ok(has(v, n, "EVP_DigestVerify", false) || has(v, n, "EVP_DigestVerifyInit", false),
       "nm -D lists the module's EVP_DigestVerify* calls (%zu undefined symbols)", n);
    is_int(count_calls(v, n, signing, sizeof(signing) / sizeof(signing[0])), 0,
           "the module calls no signing function (EVP_DigestSign*, EVP_PKEY_sign*, "
           "EVP_Sign*, RSA/ECDSA sign, libjwt)");
    is_int(count_calls(v, n, net, sizeof(net) / sizeof(net[0])), 0,
           "the module calls no HTTP or TLS function (curl_*, SSL_*, TLS_*, "
           "OPENSSL_init_ssl, gnutls_*, ...)");
    free(v);
}

/* Its own code, when the .so still has a symbol table (not stripped). */
static void check_own_code(const char *so)
{
    static const char *const test_only[] = {"pj_lines_next", "pj_user_map_validate",
                                            "pj_ls_select"};
    sym *v = NULL;
    size_t n = 0;
    int elfclass;
    int symtab = elf_has_symtab(so, &elfclass);
    ok(symtab >= 0, "%s is a readable %s ELF file", so,
       elfclass == ELFCLASS64 ? "64-bit" : elfclass == ELFCLASS32 ? "32-bit" : "(not 32- or 64-bit)");
    /* the class this test was built for: a module of another class is not ours */
    is_int(elfclass, sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32,
           "the module's ELF class matches this machine's pointer size (%zu bytes)", sizeof(void *));
    if (symtab != 1) {
        skip(5, "%s has no symbol table (stripped)", so);
        return;
    }
    int rc = run_nm("", so, &v, &n);
    is_int(rc, 0, "nm ran");
    ok(has(v, n, "pam_sm_authenticate", true), "the symbol table lists pam_sm_authenticate");
    int own = 0, helpers = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i].type == 'U')
            continue;
        if (has_prefix(v[i].name, "pj_sign_") || strcmp(v[i].name, "pj_alg_for_key") == 0) {
            printf("# the module defines %c %s\n", v[i].type, v[i].name);
            own++;
        }
        /* helpers once linked in for tests alone */
        for (size_t k = 0; k < sizeof(test_only) / sizeof(test_only[0]); k++)
            if (strcmp(v[i].name, test_only[k]) == 0) {
                printf("# the module defines %c %s\n", v[i].type, v[i].name);
                helpers++;
            }
    }
    is_int(own, 0, "the module defines no pj_sign_*, pj_alg_for_key");
    is_int(helpers, 0, "the module defines no test-only helper (pj_lines_next, ...)");
    ok(!has(v, n, "pj_result_name", true), "the module does not define pj_result_name (pamjwt's)");
    free(v);
}

int main(void)
{
    const char *so = getenv("PAM_JWT_SO");
    if (so == NULL) {
        printf("1..0 # SKIP PAM_JWT_SO not set\n");
        return 0;
    }
    if (!check_loads(so))
        return tap_done();
    check_exports(so);
    check_calls(so);
    check_own_code(so);
    return tap_done();
}
