/* SPDX-License-Identifier: BSD-3-Clause */
/* export_claims: claims of an accepted token for the PAM environment. */
#ifndef PJ_EXPORT_H
#define PJ_EXPORT_H

#include <jansson.h>

#include "log.h"
#include "pjconfig.h"
#include "util.h"

/* Longest value exported. */
#define PJ_MAX_EXPORT_VALUE 1024

/* Append "PAM_JWT_<NAME>=value" to env for each claim named in
 * export_claims whose value is a string, an integer, true or false.  A
 * missing claim is skipped; a value that is too long, holds a control
 * character (C0, DEL, C1) or a bidirectional control character (U+061C,
 * U+200E-U+200F, U+202A-U+202E, U+2066-U+2069), or is of another type is
 * skipped with a log line.  -1 only
 * when out of memory. */
int pj_export_claims(const pj_config *c, json_t *claims, pj_strlist *env, const pj_log *log);

/* Append "PAM_JWT_<NAME>" for each name of export_claims not yet in
 * names.  -1 only when out of memory. */
int pj_export_names(const pj_config *c, pj_strlist *names);

#endif
