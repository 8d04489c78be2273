/* SPDX-License-Identifier: BSD-3-Clause */
/* Which PAM services use a pam_jwt configuration: `pamjwt jwks refresh`
 * checks the configuration once for each, with that service for %s, as
 * the module would run it. */
#ifndef PJ_JWKS_SERVICES_H
#define PJ_JWKS_SERVICES_H

#include "util.h"

#define PJ_SERVICES_MAX 64        /* services kept */
#define PJ_SERVICES_MAX_FILES 512 /* files of pam_dir read */
#define PJ_SERVICES_MAX_LINES 1000 /* lines read of each */

/* Add to *out (once each, sorted) the name of every file of pam_dir
 * (/etc/pam.d) that has a line running pam_jwt.so whose configuration
 * is config: its config=PATH argument, or default_config when it has
 * none, is config itself, or a directory that holds config (a policy
 * directory).  "@include" is not followed (the included file is a service
 * of its own, found the same way).  Files that cannot be read are
 * skipped.  0, or -1 when pam_dir cannot be read or out of memory. */
int pj_jwks_services(const char *pam_dir, const char *config, const char *default_config,
                     pj_strlist *out);

#endif
