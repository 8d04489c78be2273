/* pamjwt's subcommands.  Each lives in its own file (src/cmd_NAME.c) and
 * has one line in the table in src/pamjwt.c, which also gives its usage.
 * A command gets argv[0] = its name and returns the exit status. */
#ifndef PJ_CLI_H
#define PJ_CLI_H

#include <stdio.h>

int pj_cmd_check(int argc, char **argv);
int pj_cmd_mint(int argc, char **argv);

/* The usage of one command (name), or of all (NULL), on f. */
void pj_cli_usage(FILE *f, const char *name);

#endif
