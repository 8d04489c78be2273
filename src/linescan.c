#include "config.h"

#include "linescan.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
/* AVX2 code is compiled with a target attribute and run only when the CPU
 * has it, so the module still runs on any x86-64.  glibc (2.33 and later)
 * says whether it has: it asked the CPU once at process start.  Not
 * __builtin_cpu_supports: that links in a constructor that runs a dozen
 * CPUID instructions each time the module is loaded, and CPUID traps to
 * the hypervisor in a VM (6 us each on the benchmark machine; a login
 * loads the module afresh). */
#if defined(__x86_64__) && defined(__GNUC__) && defined(__has_include)
#if __has_include(<sys/platform/x86.h>)
#include <sys/platform/x86.h>
#ifdef CPU_FEATURE_ACTIVE
#include <immintrin.h>
#define PJ_LS_HAVE_AVX2 1
#endif
#endif
#endif

#define ALWAYS_INLINE inline __attribute__((always_inline))

/* A line of 4097 bytes spans at least 63 whole blocks without an LF:
 * after that many the map scanner stops and lets the line rules measure
 * the line (PJ_MAX_LINE is 4096). */
#define MAP_MAX_BLOCKS_WITHOUT_LF 63

/* ------------------------------------------------------------ block logic
 * Shared by every implementation: plain bit arithmetic on the masks
 * (nl: LF; sep: the separators, space or, for ws, space, tab and CR;
 * odd: any other byte <= 0x25, which holds every control character, '#'
 * and '%').  The state carries what crosses a block boundary. */

typedef struct map_state {
    /* one space between the fields */
    uint64_t lead;  /* bit 0: the byte before the block is LF or space, or
                     * the block starts a line */
    uint64_t s_hi;  /* the byte before the block is a space */
    uint64_t carry; /* carry out of the previous block's addition */
    /* runs of space, tab and CR */
    uint64_t f_in;  /* the byte before the block is a field byte */
    uint64_t j_hi;  /* the byte before the block starts a second field */
    uint64_t c1, c2;
    unsigned run;   /* blocks in a row without an LF */
} map_state;

static const map_state map_start = {1, 0, 0, 0, 0, 0, 0, 0};

/* Lines "FIELD SPACE FIELD LF".  No two separators may touch (that also
 * refuses one at a line start or end, and blank lines).  Then they must
 * alternate space, LF, space, LF: adding (sp << 1) to the non-separator
 * bits carries each space's bit across the field after it and drops it on
 * the next separator, so the separators reached must be exactly the LFs. */
static ALWAYS_INLINE bool step_one_space(map_state *st, uint64_t nl, uint64_t sp)
{
    uint64_t sep = nl | sp, x;
    if ((sep & ((sep << 1) | st->lead)) != 0)
        return false;
    unsigned c = (unsigned)__builtin_add_overflow(~sep, (sp << 1) | st->s_hi, &x);
    c += (unsigned)__builtin_add_overflow(x, st->carry, &x);
    if ((x & sep) != nl)
        return false;
    st->lead = sep >> 63;
    st->s_hi = sp >> 63;
    st->carry = c;
    return true;
}

/* Lines with runs of white space (space, tab, CR) between the fields and
 * around them, so also tab-separated and CRLF files.  Adding a bit at the
 * start of each run that follows a field byte carries it to the byte after
 * the run: where that is a field byte, a second field starts (j).  Adding
 * (j << 1) to the bytes that are neither j nor LF carries each j to the
 * next of them, which must be an LF: one j per line, so two fields.  Twice
 * the additions of step_one_space, one after the other: about 1.5 times
 * its time. */
static ALWAYS_INLINE bool step_ws_runs(map_state *st, uint64_t nl, uint64_t ws)
{
    uint64_t field = ~(nl | ws), x, y;
    unsigned c = (unsigned)__builtin_add_overflow(ws, ws & ((field << 1) | st->f_in), &x);
    c += (unsigned)__builtin_add_overflow(x, st->c1, &x);
    uint64_t j = x & field, ev = j | nl;
    unsigned d = (unsigned)__builtin_add_overflow(~ev, (j << 1) | st->j_hi, &y);
    d += (unsigned)__builtin_add_overflow(y, st->c2, &y);
    if ((y & ev) != nl)
        return false;
    st->f_in = field >> 63;
    st->c1 = c;
    st->j_hi = j >> 63;
    st->c2 = d;
    return true;
}

static ALWAYS_INLINE bool map_step(map_state *st, bool ws, uint64_t nl, uint64_t sep, bool odd)
{
    if (odd)
        return false;
    if (nl != 0)
        st->run = 0;
    else if (++st->run >= MAP_MAX_BLOCKS_WITHOUT_LF)
        return false;
    return ws ? step_ws_runs(st, nl, sep) : step_one_space(st, nl, sep);
}

/* Line starts (after an LF, or bit 0 when *start) that begin with the
 * byte sought or a byte <= 0x20. */
static ALWAYS_INLINE uint64_t find_step(uint64_t nl, uint64_t first_or_low, uint64_t *start)
{
    uint64_t hits = ((nl << 1) | *start) & first_or_low;
    *start = nl >> 63;
    return hits;
}

/* ------------------------------------------------------------ scalar */

static bool is_ws_byte(unsigned char c, bool ws)
{
    return c == ' ' || (ws && (c == '\t' || c == '\r'));
}

static bool is_glob_byte(unsigned char c)
{
    return c == '*' || c == '?' || c == '[' || c == '\\';
}

static size_t map_blocks_scalar(const char *p, size_t nblocks, bool ws)
{
    map_state st = map_start;
    size_t i;
    for (i = 0; i < nblocks; i++) {
        const unsigned char *b = (const unsigned char *)p + i * PJ_LS_BLOCK;
        uint64_t nl = 0, sep = 0, odd = 0;
        for (unsigned j = 0; j < PJ_LS_BLOCK; j++) {
            uint64_t bit = (uint64_t)1 << j;
            if (b[j] == '\n')
                nl |= bit;
            else if (is_ws_byte(b[j], ws))
                sep |= bit;
            else if (b[j] <= 0x25)
                odd |= bit;
        }
        if (!map_step(&st, ws, nl, sep, odd != 0))
            break;
    }
    return i;
}

static size_t find_scalar(const char *p, size_t nblocks, const pj_ls_want *w,
                          bool at_line_start, pj_ls_hits *h)
{
    uint64_t start = at_line_start;
    for (size_t i = 0; i < nblocks; i++) {
        const unsigned char *b = (const unsigned char *)p + i * PJ_LS_BLOCK;
        uint64_t nl = 0, fl = 0, g = 0;
        for (unsigned j = 0; j < PJ_LS_BLOCK; j++) {
            uint64_t bit = (uint64_t)1 << j;
            bool entry = b[j] == w->first &&
                         (w->len == 0 || (b[j + w->len - 1] == w->last && b[j + w->len] <= 0x20));
            if (b[j] == '\n')
                nl |= bit;
            if (entry || b[j] <= 0x20)
                fl |= bit;
            if (is_glob_byte(b[j]))
                g |= bit;
        }
        h->hits = find_step(nl, fl, &start);
        h->glob = w->glob ? g : 0;
        if (h->hits != 0 || h->glob != 0)
            return i;
    }
    return nblocks;
}

/* ------------------------------------------------------------ SSE2 */
#ifdef __SSE2__

static ALWAYS_INLINE uint64_t bits16(__m128i m, unsigned shift)
{
    return (uint64_t)(uint32_t)_mm_movemask_epi8(m) << shift;
}

/* v <= lim, bytes taken as unsigned */
static ALWAYS_INLINE __m128i le16(__m128i v, __m128i lim)
{
    return _mm_cmpeq_epi8(_mm_min_epu8(v, lim), v);
}

/* Space, and with ws tab (0x09) and CR (0x0d): the bytes that are CR once
 * 4 is or'ed in. */
static ALWAYS_INLINE __m128i sep16(__m128i v, bool ws)
{
    __m128i s = _mm_cmpeq_epi8(v, _mm_set1_epi8(' '));
    if (ws)
        s = _mm_or_si128(s, _mm_cmpeq_epi8(_mm_or_si128(v, _mm_set1_epi8(4)),
                                           _mm_set1_epi8('\r')));
    return s;
}

static ALWAYS_INLINE size_t map_loop_sse2(const char *p, size_t nblocks, bool ws)
{
    const __m128i lf = _mm_set1_epi8('\n'), lim = _mm_set1_epi8(0x25);
    map_state st = map_start;
    size_t i;
    for (i = 0; i < nblocks; i++) {
        const char *b = p + i * PJ_LS_BLOCK;
        uint64_t nl = 0, sep = 0;
        __m128i odd = _mm_setzero_si128();
        for (unsigned j = 0; j < PJ_LS_BLOCK; j += 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(b + j));
            __m128i n = _mm_cmpeq_epi8(v, lf), s = sep16(v, ws);
            odd = _mm_or_si128(odd, _mm_andnot_si128(_mm_or_si128(n, s), le16(v, lim)));
            nl |= bits16(n, j);
            sep |= bits16(s, j);
        }
        if (!map_step(&st, ws, nl, sep, _mm_movemask_epi8(odd) != 0))
            break;
    }
    return i;
}

static size_t map_blocks_sse2(const char *p, size_t nblocks, bool ws)
{
    return ws ? map_loop_sse2(p, nblocks, true) : map_loop_sse2(p, nblocks, false);
}

/* Bytes that may start the entry: its first byte, and with w->len its
 * last byte and a byte <= 0x20 where they must be. */
static ALWAYS_INLINE __m128i entry16(const char *b, __m128i v, const pj_ls_want *w)
{
    const __m128i lim = _mm_set1_epi8(0x20);
    __m128i e = _mm_cmpeq_epi8(v, _mm_set1_epi8((char)w->first));
    if (w->len > 0) {
        __m128i vl = _mm_loadu_si128((const __m128i *)(const void *)(b + w->len - 1));
        __m128i vt = _mm_loadu_si128((const __m128i *)(const void *)(b + w->len));
        e = _mm_and_si128(e, _mm_and_si128(_mm_cmpeq_epi8(vl, _mm_set1_epi8((char)w->last)),
                                           le16(vt, lim)));
    }
    return _mm_or_si128(e, le16(v, lim));
}

static ALWAYS_INLINE __m128i glob16(__m128i v)
{
    return _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('*')),
                                     _mm_cmpeq_epi8(v, _mm_set1_epi8('?'))),
                        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('[')),
                                     _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
}

static size_t find_sse2(const char *p, size_t nblocks, const pj_ls_want *w, bool at_line_start,
                        pj_ls_hits *h)
{
    const __m128i lf = _mm_set1_epi8('\n');
    uint64_t start = at_line_start;
    for (size_t i = 0; i < nblocks; i++) {
        const char *b = p + i * PJ_LS_BLOCK;
        uint64_t nl = 0, fl = 0;
        __m128i g = _mm_setzero_si128();
        for (unsigned j = 0; j < PJ_LS_BLOCK; j += 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(b + j));
            nl |= bits16(_mm_cmpeq_epi8(v, lf), j);
            fl |= bits16(entry16(b + j, v, w), j);
            if (w->glob)
                g = _mm_or_si128(g, glob16(v));
        }
        h->hits = find_step(nl, fl, &start);
        h->glob = (uint64_t)(uint32_t)_mm_movemask_epi8(g);
        if (h->hits != 0 || h->glob != 0)
            return i;
    }
    return nblocks;
}

#endif

/* ------------------------------------------------------------ AVX2 */
#ifdef PJ_LS_HAVE_AVX2
#define AVX2 __attribute__((target("avx2")))

static AVX2 ALWAYS_INLINE uint64_t bits32(__m256i m, unsigned shift)
{
    return (uint64_t)(uint32_t)_mm256_movemask_epi8(m) << shift;
}

static AVX2 ALWAYS_INLINE __m256i le32(__m256i v, __m256i lim)
{
    return _mm256_cmpeq_epi8(_mm256_min_epu8(v, lim), v);
}

static AVX2 ALWAYS_INLINE __m256i sep32(__m256i v, bool ws)
{
    __m256i s = _mm256_cmpeq_epi8(v, _mm256_set1_epi8(' '));
    if (ws)
        s = _mm256_or_si256(s, _mm256_cmpeq_epi8(_mm256_or_si256(v, _mm256_set1_epi8(4)),
                                                 _mm256_set1_epi8('\r')));
    return s;
}

static AVX2 ALWAYS_INLINE size_t map_loop_avx2(const char *p, size_t nblocks, bool ws)
{
    const __m256i lf = _mm256_set1_epi8('\n'), lim = _mm256_set1_epi8(0x25);
    map_state st = map_start;
    size_t i;
    for (i = 0; i < nblocks; i++) {
        const char *b = p + i * PJ_LS_BLOCK;
        __m256i v0 = _mm256_loadu_si256((const __m256i *)(const void *)b);
        __m256i v1 = _mm256_loadu_si256((const __m256i *)(const void *)(b + 32));
        __m256i n0 = _mm256_cmpeq_epi8(v0, lf), n1 = _mm256_cmpeq_epi8(v1, lf);
        __m256i s0 = sep32(v0, ws), s1 = sep32(v1, ws);
        __m256i odd = _mm256_or_si256(
            _mm256_andnot_si256(_mm256_or_si256(n0, s0), le32(v0, lim)),
            _mm256_andnot_si256(_mm256_or_si256(n1, s1), le32(v1, lim)));
        if (!map_step(&st, ws, bits32(n0, 0) | bits32(n1, 32), bits32(s0, 0) | bits32(s1, 32),
                      !_mm256_testz_si256(odd, odd)))
            break;
    }
    return i;
}

static AVX2 size_t map_blocks_avx2(const char *p, size_t nblocks, bool ws)
{
    return ws ? map_loop_avx2(p, nblocks, true) : map_loop_avx2(p, nblocks, false);
}

static AVX2 ALWAYS_INLINE __m256i entry32(const char *b, __m256i v, const pj_ls_want *w)
{
    const __m256i lim = _mm256_set1_epi8(0x20);
    __m256i e = _mm256_cmpeq_epi8(v, _mm256_set1_epi8((char)w->first));
    if (w->len > 0) {
        __m256i vl = _mm256_loadu_si256((const __m256i *)(const void *)(b + w->len - 1));
        __m256i vt = _mm256_loadu_si256((const __m256i *)(const void *)(b + w->len));
        e = _mm256_and_si256(
            e, _mm256_and_si256(_mm256_cmpeq_epi8(vl, _mm256_set1_epi8((char)w->last)),
                                le32(vt, lim)));
    }
    return _mm256_or_si256(e, le32(v, lim));
}

static AVX2 ALWAYS_INLINE __m256i glob32(__m256i v)
{
    return _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('*')),
                                           _mm256_cmpeq_epi8(v, _mm256_set1_epi8('?'))),
                           _mm256_or_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('[')),
                                           _mm256_cmpeq_epi8(v, _mm256_set1_epi8('\\'))));
}

static AVX2 size_t find_avx2(const char *p, size_t nblocks, const pj_ls_want *w,
                             bool at_line_start, pj_ls_hits *h)
{
    const __m256i lf = _mm256_set1_epi8('\n');
    uint64_t start = at_line_start;
    for (size_t i = 0; i < nblocks; i++) {
        const char *b = p + i * PJ_LS_BLOCK;
        __m256i v0 = _mm256_loadu_si256((const __m256i *)(const void *)b);
        __m256i v1 = _mm256_loadu_si256((const __m256i *)(const void *)(b + 32));
        uint64_t nl = bits32(_mm256_cmpeq_epi8(v0, lf), 0) | bits32(_mm256_cmpeq_epi8(v1, lf), 32);
        uint64_t fl = bits32(entry32(b, v0, w), 0) | bits32(entry32(b + 32, v1, w), 32);
        h->hits = find_step(nl, fl, &start);
        h->glob = w->glob ? bits32(_mm256_or_si256(glob32(v0), glob32(v1)), 0) : 0;
        if (h->hits != 0 || h->glob != 0)
            return i;
    }
    return nblocks;
}

#endif

/* ------------------------------------------------------------ dispatch */

static pj_ls_impl forced = PJ_LS_AUTO;

bool pj_ls_available(pj_ls_impl impl)
{
    switch (impl) {
    case PJ_LS_SCALAR:
    case PJ_LS_AUTO:
        return true;
    case PJ_LS_SSE2:
#ifdef __SSE2__
        return true;
#else
        return false;
#endif
    case PJ_LS_AVX2:
#ifdef PJ_LS_HAVE_AVX2
        return CPU_FEATURE_ACTIVE(AVX2);
#else
        return false;
#endif
    }
    return false;
}

bool pj_ls_select(pj_ls_impl impl)
{
    if (!pj_ls_available(impl))
        return false;
    forced = impl;
    return true;
}

static pj_ls_impl active(void)
{
    if (forced != PJ_LS_AUTO)
        return forced;
    if (pj_ls_available(PJ_LS_AVX2))
        return PJ_LS_AVX2;
    if (pj_ls_available(PJ_LS_SSE2))
        return PJ_LS_SSE2;
    return PJ_LS_SCALAR;
}

size_t pj_ls_map_blocks(const char *p, size_t nblocks, bool ws)
{
    switch (active()) {
#ifdef PJ_LS_HAVE_AVX2
    case PJ_LS_AVX2:
        return map_blocks_avx2(p, nblocks, ws);
#endif
#ifdef __SSE2__
    case PJ_LS_SSE2:
        return map_blocks_sse2(p, nblocks, ws);
#endif
    default:
        return map_blocks_scalar(p, nblocks, ws);
    }
}

size_t pj_ls_find(const char *p, size_t nblocks, const pj_ls_want *w, bool at_line_start,
                  pj_ls_hits *h)
{
    h->hits = h->glob = 0;
    switch (active()) {
#ifdef PJ_LS_HAVE_AVX2
    case PJ_LS_AVX2:
        return find_avx2(p, nblocks, w, at_line_start, h);
#endif
#ifdef __SSE2__
    case PJ_LS_SSE2:
        return find_sse2(p, nblocks, w, at_line_start, h);
#endif
    default:
        return find_scalar(p, nblocks, w, at_line_start, h);
    }
}
