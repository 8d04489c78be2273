/* SPDX-License-Identifier: BSD-3-Clause */
/* The two line parsers of `pamjwt jwks refresh` (fuzzed by
 * tests/fuzz/fuzz_lines.c): a line of a PAM service file, and a line of a
 * pam_jwt configuration. */
#ifndef PJ_JWKS_LINES_H
#define PJ_JWKS_LINES_H

#include <stdbool.h>
#include <stddef.h>

/* Does one line of a PAM service file (NUL-terminated, edited in place)
 * run pam_jwt.so ("pam_jwt.so" or ".../pam_jwt.so" as its module) with a
 * configuration that covers config?  Its config=PATH argument (the last
 * one), or default_config without one, must be config or the directory
 * that holds it.  Words are split at white space, a "[...]" control is one
 * word; '#' ends the line; "@include" lines are not followed. */
bool pj_pam_line_uses(char *line, const char *config, const char *default_config);

/* Is the configuration line of n bytes (no newline) "key = value" as
 * pam_jwt splits it: a trailing CR dropped, '#' starting a comment at the
 * start of the line or after white space, the line split at its first
 * '=', key and value trimmed? */
bool pj_conf_line_is(const char *line, size_t n, const char *key, const char *value);

#endif
