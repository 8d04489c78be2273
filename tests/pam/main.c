/* SPDX-License-Identifier: BSD-3-Clause */
/* Integration tests: the built pam_jwt.so loaded by the real libpam through
 * pam_start_confdir, with service files in a temporary directory (no root
 * needed, /etc/pam.d untouched).  Each decision rule and each row of the
 * contract's result table has a case here that fails if the rule breaks.
 * The module uses the real clock, so tokens are minted relative to now. */
#include "pam.h"

int main(void)
{
    so = getenv("PAM_JWT_SO");
    settok = getenv("PAM_SETTOK_SO");
    if (so == NULL || settok == NULL) {
        printf("1..0 # SKIP PAM_JWT_SO/PAM_SETTOK_SO not set (run through make check)\n");
        return 0;
    }
    setup();
    test_result_table();
    test_user_rules();
    test_time_and_claims();
    test_algorithms();
    test_malformed();
    test_sizes();
    test_args();
    test_unsafe_files();
    test_state();
    test_replay();
    test_jwks();
    test_hardening();
    test_policies();
    test_scopes();
    test_export();
    test_export_clears();
    test_groups();
    test_chunked();
    test_pop();
    test_device();
    test_pop_audience();
    test_told();
    tl_rmtree(dir);
    return tap_done();
}
