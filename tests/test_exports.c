/* The installed module must export pam_sm_authenticate and pam_sm_setcred
 * and nothing else of ours: no library internals for other modules to
 * collide with or call. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

int main(void)
{
    const char *so = getenv("PAM_JWT_SO");
    char cmd[4096];
    void *h;
    if (so == NULL) {
        printf("1..0 # SKIP PAM_JWT_SO not set\n");
        return 0;
    }
    h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
    ok(h != NULL, "dlopen %s: %s", so, h ? "ok" : dlerror());
    if (h == NULL)
        return tap_done();
    ok(dlsym(h, "pam_sm_authenticate") != NULL, "pam_sm_authenticate exported");
    ok(dlsym(h, "pam_sm_setcred") != NULL, "pam_sm_setcred exported");
    const char *internal[] = {"pj_decide", "pj_config_load", "pj_sig_verify", "pj_jwks_parse",
                              "pj_b64url_decode", "pj_read_file", "pj_logf", "pj_args_parse"};
    for (size_t i = 0; i < sizeof(internal) / sizeof(internal[0]); i++)
        ok(dlsym(h, internal[i]) == NULL, "%s not exported", internal[i]);
    dlclose(h);

    /* Every defined dynamic symbol: only pam_sm_* (nm -D --defined-only). */
    snprintf(cmd, sizeof(cmd),
             "nm -D --defined-only '%s' | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | grep -v '^pam_sm_' "
             "| grep -v '^_' ",
             so);
    FILE *p = popen(cmd, "r");
    char line[256];
    int extra = 0;
    while (p && fgets(line, sizeof(line), p)) {
        printf("# unexpected export: %s", line);
        extra++;
    }
    if (p)
        pclose(p);
    is_int(extra, 0, "no symbol other than pam_sm_* is exported");
    return tap_done();
}
