/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of src/core/policy.c. */
#include "unit.h"

/* The files of a policy directory are read relative to the directory that
 * was checked (its fd), never through a path that may since name another
 * directory: rename the checked one away and put an unsafe one, with a
 * forged policy of the same name, in its place before the files are read. */
void test_policy_dir_at(void)
{
    char *dir = tl_tmpdir(), key[4096], pol[4096], moved[4200], p[4400], conf[8400];
    pj_config *c;
    EVP_PKEY *k = tl_keygen("p256");
    snprintf(key, sizeof(key), "%s/k.pub", dir);
    tl_write_pub(k, key);
    snprintf(pol, sizeof(pol), "%s/pol", dir);
    snprintf(moved, sizeof(moved), "%s/pol.checked", dir);
    ok(mkdir(pol, 0755) == 0, "policy dir: made %s", pol);
    snprintf(p, sizeof(p), "%s/a.conf", pol);
    snprintf(conf, sizeof(conf), "issuer = https://a.example\nkey_file = %s\nallowed_subjects = alice\n",
             key);
    tl_write_file(p, conf, strlen(conf), 0644);

    int fd = pj_open_dir(pol, "config", &LOG);
    ok(fd >= 0, "policy dir: checked and opened");
    /* the swap, between the check and the reads */
    ok(rename(pol, moved) == 0, "policy dir: renamed away after the check");
    ok(mkdir(pol, 0775) == 0 && chmod(pol, 0775) == 0, "policy dir: group-writable one in its place");
    snprintf(conf, sizeof(conf), "issuer = https://evil.example\nkey_file = %s\nallowed_subjects = *\n",
             key);
    tl_write_file(p, conf, strlen(conf), 0644);

    pj_policies *ps = pj_policies_load_dir(fd, pol, &LOG);
    ok(ps != NULL && ps->n == 1 && ps->v[0].c != NULL, "policy dir: the checked directory's policy loads");
    ok(ps != NULL && pj_policies_select(ps, "https://a.example", 17, &c) == PJ_POLICY_FOUND,
       "policy dir: its issuer is the checked file's");
    ok(ps != NULL && pj_policies_select(ps, "https://evil.example", 20, &c) == PJ_POLICY_NONE,
       "policy dir: the forged policy in the swapped-in directory never loads");
    pj_policies_free(ps);
    /* through the path, the swapped-in directory is refused as unsafe */
    ok(pj_policies_load(pol, &LOG) == NULL && strstr(lastlog, "unsafe permissions") != NULL,
       "policy dir: the swapped-in directory itself is refused (%s)", lastlog);

    /* a *.conf that is a symbolic link (even to a safe file) is a failed
     * policy, also when read relative to the directory */
    snprintf(p, sizeof(p), "%s/l.conf", moved);
    snprintf(conf, sizeof(conf), "%s/a.conf", moved);
    ok(symlink(conf, p) == 0, "policy dir: made l.conf -> a.conf");
    lastlog[0] = '\0';
    ps = pj_policies_load(moved, &LOG);
    ok(ps != NULL && ps->n == 2 && ps->any_failed && ps->v[0].c != NULL && ps->v[1].c == NULL,
       "policy dir: a symbolic link named *.conf is a failed policy file");
    ok(strstr(lastlog, "l.conf: is a symbolic link (refused)") != NULL, "... logged (%s)", lastlog);
    ok(ps != NULL && pj_policies_select(ps, "https://c.example", 17, &c) == PJ_POLICY_BROKEN,
       "policy dir: so an unknown issuer is unavailable, not refused");
    pj_policies_free(ps);
    EVP_PKEY_free(k);
    tl_rmtree(dir);
    free(dir);
}
