#include "config.h"

#include "cli.h"

#include <stdio.h>
#include <string.h>

static void emit_stderr(void *ctx, int prio, const char *msg)
{
    (void)ctx;
    (void)prio;
    fprintf(stderr, "pamjwt: %s\n", msg);
}

const pj_log pj_cli_log = {emit_stderr, NULL, false};

void pj_cli_say_safe(const char *label, const char *text)
{
    char buf[1024];
    pj_sanitize(buf, sizeof(buf), text, strlen(text));
    fprintf(stderr, "%s%s\n", label, buf);
}
