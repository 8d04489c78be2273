/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests for the parsers and each decision rule, calling the library
 * directly.  The clock is a parameter (pj_decide's rq.now,
 * pj_check_claims' now), so time rules are tested at exact boundaries
 * without sleeping. */
#include "unit.h"

int main(void)
{
    test_replay_concurrent();
    test_replay_keys();
    test_replay_sweep();
    test_replay_full_fs();
    test_spki();
    test_curves();
    test_jwks_sets();
    test_jwks_refused();
    test_jwks_use();
    test_jwks_build();
    test_jwks_short_coords();
    test_jwks_prepare_all();
    test_b64url();
    test_shape();
    test_json();
    test_config();
    test_device_config();
    test_parse_numbers();
    test_config_number_edges();
    test_args();
    test_policy_dir_at();
    test_claims();
    test_scope_reasons();
    test_claims_tell();
    test_claims_number_edges();
    test_subjects();
    test_jti_revocable();
    test_group_map_parse();
    test_group_map_gids();
    test_groups_mapping();
    test_big_lists();
    test_decide_pop_clock();
    test_decide_clock();
    test_rule_runner();
    test_shipped_examples();
    test_no_silent_cut();
    test_jwk_thumbprint_rfc7638();
    test_curve_table_keys();
    test_strfmt_pop_reason();
    test_sanitize_tiny();
    test_runas_rules();
    test_device_reply_checks();
    test_netmatch();
    test_slots();
    return tap_done();
}
