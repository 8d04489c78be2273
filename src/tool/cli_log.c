#include "config.h"

#include "cli.h"
#include "cliout.h"

#include <stdio.h>
#include <string.h>

/* Every message may carry text from an identity provider, a server's
 * prompt or a file: escaped as pamjwt check's output is (pj_cli_line), so
 * none of it can drive the terminal. */
static void emit_stderr(void *ctx, int prio, const char *msg)
{
    (void)ctx;
    (void)prio;
    pj_cli_line(stderr, "pamjwt: %s", msg);
}

const pj_log pj_cli_log = {emit_stderr, NULL, false};

void pj_cli_say_safe(const char *label, const char *text)
{
    char buf[1024];
    pj_sanitize(buf, sizeof(buf), text, strlen(text));
    pj_cli_line(stderr, "%s%s", label, buf);
}
