/* SPDX-License-Identifier: BSD-3-Clause */
/* Targets: the names a proof of possession's aud, pop_audience and
 * pamjwt askpass give a host (contract "Proof of possession": "The
 * target").  A target is a URI, SCHEME://REST: the scheme is RFC 3986's
 * (a letter, then letters, digits, "+", "-", "."), REST starts with a
 * host part that is not empty.
 * Two targets name the same host when their schemes are equal ignoring
 * case, their host parts (REST up to the first "/") are equal ignoring
 * case and one trailing "." (OpenSSH lowercases the host in its
 * "(USER@HOST) " prefix; "host.example." is the same DNS name), and the
 * rest (from that "/") is equal byte for byte.  Shared by the module and
 * the client, so both compare alike. */
#ifndef PJ_TARGET_H
#define PJ_TARGET_H

#include <stdbool.h>
#include <stddef.h>

/* Is v (n bytes) a target?  Control characters, white space and NUL are
 * never part of one.  *why (static) says what is wrong. */
bool pj_target_valid(const char *v, size_t n, const char **why);

/* Do a and b (al, bl bytes) name the same target?  false when either is
 * not a target. */
bool pj_target_equal(const char *a, size_t al, const char *b, size_t bl);

#endif
