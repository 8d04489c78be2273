/* SPDX-License-Identifier: BSD-3-Clause */
/* pamjwt: the administrator's tool.  main() only finds the subcommand in
 * the table below; each command lives in its own file (cli.h):
 *   pamjwt check  -- the module's decision for a token, same code path
 *   pamjwt mint   -- sign a token to set up or test a host
 *   pamjwt jwks refresh -- keep a jwks_file up to date (cmd_jwks.c)
 *   pamjwt roster -- sign, apply or fetch a roster of users and groups
 * and the user's (cli_*.c): login, token, askpass. */
#include "config.h"

#include "cli.h"
#include "pjconfig.h"

#include <stdio.h>
#include <string.h>

static const struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *usage; /* after "pamjwt NAME "; lines after the first indented */
} commands[] = {
    {"check", pj_cmd_check,
     "[--config PATH] [--user NAME] [--at UNIXTIME] [--service NAME]\n"
     "                   [--host NAME] [--debug] < token"},
    {"mint", pj_cmd_mint,
     "--key PRIVATE.pem [--alg ALG] --sub S [--ttl SECONDS]\n"
     "                   [--claim NAME=VALUE ...] [--kid K] [--aud A] [--iss I]\n"
     "                   [--holder-key PRIVATE.pem]"},
    {"login", pj_cmd_login,
     "--issuer URL --client-id ID [--scope S] [--resource R] [--ca-file FILE]"},
    {"token", pj_cmd_token, "[--issuer URL [--resource R] | --target TARGET]"},
    {"askpass", pj_cmd_askpass, "PROMPT"},
    {"jwks", pj_cmd_jwks,
     "refresh (--issuer URL | --jwks-uri URL) [--ca-file FILE]\n"
     "                   [--jwks-file PATH] [--config PATH] [--service NAME ...]\n"
     "                   [--host NAME] [--pam-dir DIR]"},
    {"roster", pj_cmd_roster,
     "sign --key PRIVATE.pem FILE.json\n"
     "       pamjwt roster apply [--config PATH] FILE|-\n"
     "       pamjwt roster sync [--config PATH] [--ca-file FILE] URL\n"
     "                   (apply and sync also take --userdb-dir DIR --state-dir DIR)"},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

void pj_cli_usage(FILE *f, const char *name)
{
    const char *lead = "usage:";
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (name && strcmp(name, commands[i].name) != 0)
            continue;
        fprintf(f, "%-6s pamjwt %s %s\n", lead, commands[i].name, commands[i].usage);
        lead = "";
    }
    if (name == NULL)
        fprintf(f, "       pamjwt --version\n");
}

static int version(void)
{
    printf("pamjwt (pam_jwt) %s\n", PACKAGE_VERSION);
    printf("verifies: %s\n", PJ_VERIFY_ALGS);
    printf("mint signs: %s (OpenSSL EVP)\n", PJ_VERIFY_ALGS);
    printf("default config: %s\n", PJ_DEFAULT_CONFIG);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        pj_cli_usage(stderr, NULL);
        return 2;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0)
        return version();
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        pj_cli_usage(stdout, NULL);
        return 0;
    }
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    pj_cli_usage(stderr, NULL);
    return 2;
}
