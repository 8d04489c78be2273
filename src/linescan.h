/* Block scanners for the list files (allowed_subjects_file, revoked_file,
 * user_map_file): 64 bytes at a time, lines handled by bit arithmetic on
 * per-byte masks, so a 100,000-line file costs about one pass over its
 * bytes instead of a few library calls per line.  They only find what is
 * ordinary; subject.c handles every other line with the plain line rules.
 *
 * Bit i of a mask stands for byte i of the 64-byte block. */
#ifndef PJ_LINESCAN_H
#define PJ_LINESCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PJ_LS_BLOCK 64

/* p is the start of a line; p[0 .. 64 * nblocks) is readable.  Returns k:
 * blocks 0 .. k-1 hold no byte <= 0x25 but LF and the separators, and
 * every line that ends (LF) in them has two non-empty fields: "FIELD SPACE
 * FIELD", or with ws "[WS] FIELD WS FIELD [WS]" where WS is a run of
 * space, tab and CR; and no line has gone on for 63 blocks without an LF.
 * Lines that end there are therefore valid user map lines (two fields, no
 * '%', no comment, no NUL, short enough); the line still open at block k
 * is not vouched for.  Without ws the scan is about a third faster. */
size_t pj_ls_map_blocks(const char *p, size_t nblocks, bool ws);

/* What pj_ls_find looks for: lines that may start with an entry. */
typedef struct pj_ls_want {
    unsigned char first; /* the entry's first byte */
    unsigned char last;  /* with len: its last byte, */
    size_t len;          /* its length (the byte after it must be <= 0x20);
                          * 0: look at the first byte only */
    bool glob;           /* also stop at blocks with * ? [ or backslash */
} pj_ls_want;

/* One block where pj_ls_find stopped. */
typedef struct pj_ls_hits {
    uint64_t hits; /* line starts that begin with a byte <= 0x20, or with
                    * the entry's first byte (and, with len, have its last
                    * byte at len - 1 and a byte <= 0x20 at len) */
    uint64_t glob; /* non-zero if the block holds * ? [ or backslash */
} pj_ls_hits;

/* The first of nblocks blocks at p with a hit (or, if glob, a glob
 * character); its masks in *h.  A byte starts a line when it follows an
 * LF, or is p[0] and at_line_start.  Returns nblocks if there is none.
 * p[0 .. 64 * nblocks + w->len) is readable. */
size_t pj_ls_find(const char *p, size_t nblocks, const pj_ls_want *w, bool at_line_start,
                  pj_ls_hits *h);

/* The implementations; all compute the same masks. */
typedef enum pj_ls_impl {
    PJ_LS_SCALAR, /* portable, a byte at a time */
    PJ_LS_SSE2,   /* x86-64 baseline */
    PJ_LS_AVX2,   /* chosen at run time when the CPU has it */
    PJ_LS_AUTO
} pj_ls_impl;

/* For tests: whether this build and CPU can run impl, and force one
 * (PJ_LS_AUTO restores the default: the widest available).  Returns false,
 * changing nothing, when impl is not available.  Not thread-safe. */
bool pj_ls_available(pj_ls_impl impl);
bool pj_ls_select(pj_ls_impl impl);

#endif
