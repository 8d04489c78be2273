/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of src/core/args.c. */
#include "unit.h"

void test_args(void)
{
    pj_args a;
    const char *argv1[] = {"debug", "config=/x.conf", "prompt=JWT token: ", "use_first_pass"};
    is_int(pj_args_parse(4, argv1, &a, &LOG), 0, "args: all known arguments");
    ok(a.debug && a.use_first_pass && strcmp(a.config, "/x.conf") == 0 &&
           strcmp(a.prompt, "JWT token: ") == 0,
       "args: values applied");
    const char *argv2[] = {"config=/y.conf", "nullok", "try_first_pass"};
    is_int(pj_args_parse(3, argv2, &a, &LOG), -1, "args: unknown argument is an error");
    ok(strcmp(a.config, "/y.conf") == 0, "args: known arguments still applied");
    ok(strstr(lastlog, "nullok") != NULL, "args: unknown argument logged");
    const char *argv3[] = {"config=relative"};
    is_int(pj_args_parse(1, argv3, &a, &LOG), -1, "args: relative config path refused");
    const char *argv4[] = {"config=/etc/security/pam_jwt-%s.conf"};
    is_int(pj_args_parse(1, argv4, &a, &LOG), -1, "args: '%%' in the config path refused");
    ok(strstr(lastlog, "'%' in a path (paths are not expanded") != NULL, "args: ... logged (%s)",
       lastlog);
    is_int(pj_args_parse(0, NULL, &a, &LOG), 0, "args: none");
    ok(strcmp(a.prompt, "Token: ") == 0 && !a.use_first_pass, "args: defaults");
}
