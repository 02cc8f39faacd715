/* The resampling of gaussian_blur (version 5) in integer fixed point: the kernels of
 * mmbench.perturb.resample.shrink_rows and .enlarge and of the binomial blur between them
 * (mmbench.perturb.image._binomial), whose numpy paths do the same integer
 * arithmetic, so both give the same bytes (tested). The tables (weights and indices, computed
 * once per size in Python) are arguments and are checked. The GIL is released inside.
 *
 * shrink_rows: each output row a weighted sum of consecutive input rows, 7-bit weights summing
 * to 128, int16 sums, (sum + 64) >> 7. With AVX2 the uint8 pixels of two rows are interleaved
 * and multiplied by their weight pair by vpmaddubsw, 32 elements at a time.
 *
 * binomial: the small image's [1, 2, 1] / 4 or [1, 4, 6, 4, 1] / 16 blur along both axes, edges
 * repeated, in uint16, rounded once (mmbench.perturb.image._binomial's integers).
 *
 * bilinear_enlarge: a uint8 image [hs, ws, c] becomes [H, W, c]; ONE = 2^FRAC_BITS and every
 * weight is in [0, ONE). First the columns of each small row: pixel x of a widened row is
 * s[lo[x]] * (ONE - w[x]) + s[hi[x]] * w[x] + ONE / 2 per channel (exact, int16: at most
 * 255 * ONE + ONE / 2). Then each output row y blends the widened rows a = row_lo[y] and
 * b = row_hi[y] with v = row_w[y] and rounds:
 *     out = (a + (((b - a) * v + ONE / 2) >> FRAC_BITS)) >> FRAC_BITS
 * (the inner shift is vpmulhrsw's rounding of (b - a) * (v << 8) >> 15: every intermediate
 * fits int16, 16 lanes an instruction; the outer rounding offset ONE / 2 rides in the widened
 * rows). Only the two widened rows an output row needs, and their difference, are kept (in
 * L1), computed when first needed. With AVX2 a widened row is a + d * w, a and d spread over
 * 16 lanes by byte shuffles: for 3 channels a run of output pixels at a time (the runs that
 * share lo and hi: ~k pixels at a k-fold enlarge), or, where runs are shorter than 16
 * elements (or the channels not 3), 16 elements at a time from a 16-byte window of the small
 * row. AVX2 is chosen at run time (use_avx2 switches it off for tests); the plain loops give
 * the same integers. Argument handling is mmbench/_buffers.h's.
 *
 * Built by setup.py as the optional extension mmbench.perturb._resample; without a C
 * compiler mmbench uses the numpy path (mmbench.perturb.resample.KERNEL).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "../_buffers.h"

#define FRAC_BITS 7
#define ONE (1 << FRAC_BITS)
#define HALF (ONE / 2)
#define PAD 48 /* int16 slack after a widened row: the AVX2 widens store past its end */

/* The two-tap blend along one axis: position i takes lo[i] and hi[i] with weights
 * ONE - w[i] and w[i]. */
typedef struct {
    const int32_t *lo, *hi;
    const int16_t *w;
    Py_ssize_t n;
} taps_t;

/* Whether every index is in [0, limit) and every weight in [0, ONE). */
static int taps_ok(const taps_t *t, Py_ssize_t limit) {
    for (Py_ssize_t i = 0; i < t->n; i++)
        if (t->lo[i] < 0 || t->lo[i] >= limit || t->hi[i] < 0 || t->hi[i] >= limit ||
            t->w[i] < 0 || t->w[i] >= ONE)
            return 0;
    return 1;
}

/* What one call works with: the small image, the tables, the widened rows. */
typedef struct {
    const uint8_t *src;
    Py_ssize_t src_len, c, row_len; /* bytes of src; channels; elements in a small row */
    taps_t cols, rows;
    Py_ssize_t n; /* elements in an output row (W c) */
    int vector;          /* the run path (AVX2, 3 channels) */
    int32_t *run_end;    /* its runs of output pixels that share lo and hi */
    Py_ssize_t n_runs;
    int windows;         /* the window path (AVX2; every 16 output elements within 16 bytes) */
    int32_t *win_at;     /* [n_vec] where each vector's window starts in a small row */
    uint8_t *win_masks;  /* [n_vec][2][32] its byte shuffles for the lo and the hi elements */
    Py_ssize_t n_vec;    /* 16-element vectors in an output row */
} job_t;

/* dst[x c + k] = s[lo c + k] * (ONE - w) + s[hi c + k] * w + HALF: small row r widened. */
static void widen(const job_t *job, Py_ssize_t r, int16_t *restrict dst) {
    const uint8_t *restrict s = job->src + r * job->row_len;
    const Py_ssize_t c = job->c;
    for (Py_ssize_t x = 0; x < job->cols.n; x++) {
        const uint8_t *p = s + job->cols.lo[x] * c, *q = s + job->cols.hi[x] * c;
        const int w = job->cols.w[x];
        for (Py_ssize_t k = 0; k < c; k++)
            dst[x * c + k] = (int16_t)(p[k] * (ONE - w) + q[k] * w + HALF);
    }
}

/* out[i] = (a[i] + ((d[i] * v + HALF) >> FRAC_BITS)) >> FRAC_BITS for i in [from, n), in
 * int16 throughout (a loop compilers vectorize): with d = 128 dh + dl (dl in [0, 127]),
 * (d v + HALF) >> FRAC_BITS = dh v + ((dl v + HALF) >> FRAC_BITS), as 128 dh v is a multiple
 * of 128; every term and sum stays within int16. */
static void blend_rows(const int16_t *restrict a, const int16_t *restrict d, int v,
                       Py_ssize_t from, Py_ssize_t n, uint8_t *restrict out) {
    const int16_t vv = (int16_t)v;
    for (Py_ssize_t i = from; i < n; i++) {
        const int16_t dh = (int16_t)(d[i] >> FRAC_BITS), dl = (int16_t)(d[i] & (ONE - 1));
        const int16_t low = (int16_t)((int16_t)(dl * vv + HALF) >> FRAC_BITS);
        out[i] = (uint8_t)((int16_t)(a[i] + (int16_t)(dh * vv) + low) >> FRAC_BITS);
    }
}

#if defined(__GNUC__) && defined(__x86_64__)
#define HAVE_AVX2 1
#include <immintrin.h>

/* Byte shuffles that spread 3 channels over 16 int16 lanes: lane l of rotation r takes byte
 * (l + r) % 3 (mask_lo) or 3 + (l + r) % 3 (mask_hi) of a pixel pair, zero-extended. A run's
 * 16-lane vector j starts at channel 16 j % 3 = j % 3: rotation j % 3. */
static uint8_t mask_lo[3][32], mask_hi[3][32];

static void init_masks(void) {
    for (int r = 0; r < 3; r++)
        for (int b = 0; b < 32; b += 2) {
            const int lane = b / 2; /* int16 lanes 0-15 over both 128-bit halves */
            mask_lo[r][b] = (uint8_t)((lane + r) % 3);
            mask_hi[r][b] = (uint8_t)(3 + (lane + r) % 3);
            mask_lo[r][b + 1] = mask_hi[r][b + 1] = 0x80; /* the high byte: zero */
        }
}

/* widen for 3 channels: each run of output pixels that share lo and hi (runs ends in
 * run_end, ascending) as a + d * w (a = ONE s[lo] + HALF, d = s[hi] - s[lo], spread by
 * channel), 16 elements a store; a store may run up to 15 elements past the run (the next
 * run, or PAD, takes them). we holds the weights per element (w[x] c times). */
__attribute__((target("avx2"))) static void widen3_avx2(const job_t *job, Py_ssize_t r,
                                                       const int16_t *we, int16_t *dst) {
    const uint8_t *s = job->src + r * job->row_len;
    const Py_ssize_t safe = job->src_len - r * job->row_len - 8; /* 8-byte loads below it */
    const int32_t *lo = job->cols.lo, *hi = job->cols.hi;
    const __m256i half = _mm256_set1_epi16(HALF);
    Py_ssize_t x = 0;
    for (Py_ssize_t run = 0; run < job->n_runs; run++) {
        const Py_ssize_t end = job->run_end[run];
        const Py_ssize_t p = 3 * (Py_ssize_t)lo[x], q = 3 * (Py_ssize_t)hi[x];
        __m128i pair;
        if (q == p + 3 && p <= safe) {
            pair = _mm_loadl_epi64((const __m128i *)(s + p)); /* bytes 0-2 lo, 3-5 hi */
        } else {
            uint8_t bytes[16] = {0};
            memcpy(bytes, s + p, 3);
            memcpy(bytes + 3, s + q, 3);
            pair = _mm_loadu_si128((const __m128i *)bytes);
        }
        const __m256i both = _mm256_broadcastsi128_si256(pair);
        for (Py_ssize_t e = 3 * x, j = 0; e < 3 * end; e += 16, j++) {
            const int rot = (int)(j % 3);
            const __m256i a = _mm256_shuffle_epi8(both, _mm256_loadu_si256((const __m256i *)mask_lo[rot]));
            const __m256i b = _mm256_shuffle_epi8(both, _mm256_loadu_si256((const __m256i *)mask_hi[rot]));
            const __m256i w = _mm256_loadu_si256((const __m256i *)(we + e));
            const __m256i base = _mm256_add_epi16(_mm256_slli_epi16(a, FRAC_BITS), half);
            const __m256i v = _mm256_add_epi16(base, _mm256_mullo_epi16(_mm256_sub_epi16(b, a), w));
            _mm256_storeu_si256((__m256i *)(dst + e), v);
        }
        x = end;
    }
}

/* blend_rows, 32 elements at a time: vpmulhrsw(d, v << 8) = (d v + HALF) >> FRAC_BITS. */
__attribute__((target("avx2"))) static void blend_rows_avx2(const int16_t *a, const int16_t *d,
                                                           int v, Py_ssize_t n,
                                                           uint8_t *out) {
    const __m256i vv = _mm256_set1_epi16((int16_t)(v << (15 - FRAC_BITS)));
    Py_ssize_t i = 0;
    for (; i + 32 <= n; i += 32) {
        const __m256i x0 = _mm256_add_epi16(
            _mm256_loadu_si256((const __m256i *)(a + i)),
            _mm256_mulhrs_epi16(_mm256_loadu_si256((const __m256i *)(d + i)), vv));
        const __m256i x1 = _mm256_add_epi16(
            _mm256_loadu_si256((const __m256i *)(a + i + 16)),
            _mm256_mulhrs_epi16(_mm256_loadu_si256((const __m256i *)(d + i + 16)), vv));
        const __m256i bytes = _mm256_packus_epi16(_mm256_srai_epi16(x0, FRAC_BITS),
                                                  _mm256_srai_epi16(x1, FRAC_BITS));
        _mm256_storeu_si256((__m256i *)(out + i), _mm256_permute4x64_epi64(bytes, 0xD8));
    }
    blend_rows(a, d, v, i, n, out);
}

/* widen a vector of 16 output elements at a time: a 16-byte window of the small row holds
 * both source elements of each lane, which two byte shuffles spread over the lanes (taken
 * when every vector's window fits, k >= ~2 at 3 channels, and the runs are shorter than a
 * vector or there are no runs: other than 3 channels). Stores run up to 15 elements past n
 * (into PAD). */
__attribute__((target("avx2"))) static void widen_windows_avx2(const job_t *job, Py_ssize_t r,
                                                              const int16_t *we,
                                                              int16_t *dst) {
    const uint8_t *s = job->src + r * job->row_len;
    const Py_ssize_t room = job->src_len - r * job->row_len; /* bytes from s to the end */
    const __m256i half = _mm256_set1_epi16(HALF);
    for (Py_ssize_t v = 0; v < job->n_vec; v++) {
        const Py_ssize_t at = job->win_at[v];
        __m128i win;
        if (at + 16 <= room) {
            win = _mm_loadu_si128((const __m128i *)(s + at));
        } else {
            uint8_t bytes[16] = {0};
            memcpy(bytes, s + at, (size_t)(room - at));
            win = _mm_loadu_si128((const __m128i *)bytes);
        }
        const __m256i both = _mm256_broadcastsi128_si256(win);
        const uint8_t *m = job->win_masks + 64 * v;
        const __m256i a = _mm256_shuffle_epi8(both, _mm256_loadu_si256((const __m256i *)m));
        const __m256i b = _mm256_shuffle_epi8(both, _mm256_loadu_si256((const __m256i *)(m + 32)));
        const __m256i w = _mm256_loadu_si256((const __m256i *)(we + 16 * v));
        const __m256i base = _mm256_add_epi16(_mm256_slli_epi16(a, FRAC_BITS), half);
        _mm256_storeu_si256((__m256i *)(dst + 16 * v),
                            _mm256_add_epi16(base, _mm256_mullo_epi16(_mm256_sub_epi16(b, a), w)));
    }
}

static int has_avx2, cpu_avx2; /* the paths used; what the CPU has */
#endif

/* Small row r widened into one of two slots (the one not holding row keep), unless there. */
typedef struct {
    int16_t *buf[2];
    Py_ssize_t row[2];
} cache_t;

static const int16_t *widened(const job_t *job, cache_t *cache, Py_ssize_t r, Py_ssize_t keep,
                              const int16_t *we) {
    for (int s = 0; s < 2; s++)
        if (cache->row[s] == r) return cache->buf[s];
    const int s = cache->row[0] == keep ? 1 : 0;
#ifdef HAVE_AVX2
    if (job->windows) widen_windows_avx2(job, r, we, cache->buf[s]);
    else if (job->vector) widen3_avx2(job, r, we, cache->buf[s]);
    else
#endif
        widen(job, r, cache->buf[s]);
    cache->row[s] = r;
    return cache->buf[s];
}

/* The runs of output pixels that share lo and hi, into job->run_end. */
static void find_runs(job_t *job) {
    const taps_t *t = &job->cols;
    job->n_runs = 0;
    for (Py_ssize_t x = 1; x <= t->n; x++)
        if (x == t->n || t->lo[x] != t->lo[x - 1] || t->hi[x] != t->hi[x - 1])
            job->run_end[job->n_runs++] = (int32_t)x;
}

/* The window path's windows and shuffles (1), or 0 when some vector's two source elements
 * of every lane span more than 16 bytes. Lanes past n read nothing (0, weight 0). */
static int find_windows(job_t *job) {
    const Py_ssize_t n = job->n, c = job->c;
    const int32_t *lo = job->cols.lo, *hi = job->cols.hi;
    for (Py_ssize_t v = 0; v < job->n_vec; v++) {
        Py_ssize_t first = -1, last = -1;
        for (Py_ssize_t e = 16 * v; e < n && e < 16 * v + 16; e++) {
            const Py_ssize_t p = c * lo[e / c] + e % c, q = c * hi[e / c] + e % c;
            const Py_ssize_t low = p < q ? p : q, high = p < q ? q : p;
            if (first < 0 || low < first) first = low;
            if (high > last) last = high;
        }
        if (last - first >= 16) return 0;
        job->win_at[v] = (int32_t)first;
        uint8_t *m = job->win_masks + 64 * v;
        for (Py_ssize_t l = 0; l < 16; l++) {
            const Py_ssize_t e = 16 * v + l;
            const int in = e < n;
            m[2 * l] = in ? (uint8_t)(c * lo[e / c] + e % c - first) : 0x80;
            m[32 + 2 * l] = in ? (uint8_t)(c * hi[e / c] + e % c - first) : 0x80;
            m[2 * l + 1] = m[32 + 2 * l + 1] = 0x80; /* the high byte: zero */
        }
    }
    return 1;
}

/* out [rows.n, n] (tables checked). scratch: 4 (n + PAD) int16. */
static void enlarge(job_t *job, uint8_t *out, int16_t *scratch) {
    const Py_ssize_t n = job->n, stride = n + PAD;
    cache_t cache = {{scratch, scratch + stride}, {-1, -1}};
    int16_t *diff = scratch + 2 * stride, *we = scratch + 3 * stride;
    for (Py_ssize_t x = 0; x < job->cols.n; x++)
        for (Py_ssize_t k = 0; k < job->c; k++) we[x * job->c + k] = job->cols.w[x];
    for (Py_ssize_t i = n; i < stride; i++) we[i] = 0;
    find_runs(job);
    /* windows where runs are shorter than a vector (k below ~5 at 3 channels), else runs */
    job->windows = job->windows && (!job->vector || job->n_runs > job->n_vec) && find_windows(job);
    Py_ssize_t pair_lo = -1, pair_hi = -1;
    const int16_t *a = NULL;
    for (Py_ssize_t y = 0; y < job->rows.n; y++) {
        const Py_ssize_t lo = job->rows.lo[y], hi = job->rows.hi[y];
        if (lo != pair_lo || hi != pair_hi) {
            a = widened(job, &cache, lo, hi, we);
            const int16_t *b = widened(job, &cache, hi, lo, we);
            for (Py_ssize_t i = 0; i < n; i++) diff[i] = (int16_t)(b[i] - a[i]);
            pair_lo = lo;
            pair_hi = hi;
        }
        uint8_t *dst = out + y * n;
#ifdef HAVE_AVX2
        if (has_avx2) {
            blend_rows_avx2(a, diff, job->rows.w[y], n, dst);
            continue;
        }
#endif
        blend_rows(a, diff, job->rows.w[y], 0, n, dst);
    }
}

/* The row shrink: out[i] = (sum over t of w[i, t] src[start[i] + t] + 2^(SHRINK_BITS - 1))
 * >> SHRINK_BITS per element, each row's weights summing to 2^SHRINK_BITS: 7 bits, so that
 * the sums fit int16 (at most 255 * 128 + 64) and AVX2's vpmaddubsw multiplies the uint8
 * pixels by the weights directly (weights up to 127: a single weight of 128, an identity,
 * takes the plain loop). */
#define SHRINK_BITS 7

typedef struct {
    const uint8_t *src;
    Py_ssize_t n;         /* elements in a row (W c) */
    const int32_t *start; /* [rows] */
    const int16_t *w;     /* [rows, taps] */
    Py_ssize_t rows, taps;
    int vector;           /* the AVX2 path: every weight fits int8 */
} shrink_t;

/* Output row i from element from on, a tap (an input row) at a time into the int16 sums acc
 * (loops compilers vectorize). */
static void shrink_rows_from(const shrink_t *job, Py_ssize_t i, Py_ssize_t from,
                             int16_t *restrict acc, uint8_t *restrict out) {
    const Py_ssize_t n = job->n;
    const uint8_t *base = job->src + job->start[i] * n;
    const int16_t *w = job->w + i * job->taps;
    for (Py_ssize_t e = from; e < n; e++) acc[e] = 1 << (SHRINK_BITS - 1);
    for (Py_ssize_t t = 0; t < job->taps; t++) {
        const int16_t wt = w[t];
        const uint8_t *restrict row = base + t * n;
        for (Py_ssize_t e = from; e < n; e++) acc[e] = (int16_t)(acc[e] + wt * row[e]);
    }
    for (Py_ssize_t e = from; e < n; e++) out[e] = (uint8_t)(acc[e] >> SHRINK_BITS);
}

#ifdef HAVE_AVX2
/* One tap pair's products with 32 elements of rows r0 and r1 (their bytes interleaved, times
 * the weight pair by vpmaddubsw), added to the int16 sums lo (elements 0-7, 16-23) and hi
 * (8-15, 24-31). */
#define SHRINK_PAIR(r0, r1, weights, lo, hi)                                               \
    do {                                                                                  \
        const __m256i a_ = _mm256_loadu_si256((const __m256i *)(r0));                      \
        const __m256i b_ = _mm256_loadu_si256((const __m256i *)(r1));                      \
        lo = _mm256_add_epi16(lo, _mm256_maddubs_epi16(_mm256_unpacklo_epi8(a_, b_), weights)); \
        hi = _mm256_add_epi16(hi, _mm256_maddubs_epi16(_mm256_unpackhi_epi8(a_, b_), weights)); \
    } while (0)

/* Output row i, 32 elements at a time, the taps in pairs (an odd last one paired with weight
 * 0 on the same row); the tail in the plain loop. */
__attribute__((target("avx2"))) static void shrink_row_avx2(const shrink_t *job, Py_ssize_t i,
                                                           int16_t *acc, uint8_t *out) {
    const Py_ssize_t n = job->n, taps = job->taps, n_pairs = (taps + 1) / 2;
    const uint8_t *base = job->src + job->start[i] * n;
    const int16_t *w = job->w + i * taps;
    __m256i weights[32];
    for (Py_ssize_t p = 0; p < n_pairs; p++) {
        const uint8_t w1 = 2 * p + 1 < taps ? (uint8_t)w[2 * p + 1] : 0;
        weights[p] = _mm256_set1_epi16((int16_t)((w1 << 8) | (uint8_t)w[2 * p]));
    }
    const Py_ssize_t full = taps / 2; /* pairs of two rows */
    const __m256i round = _mm256_set1_epi16(1 << (SHRINK_BITS - 1));
    Py_ssize_t e = 0;
    for (; e + 32 <= n; e += 32) {
        __m256i lo = round, hi = round;
        const uint8_t *r = base + e;
        for (Py_ssize_t p = 0; p < full; p++, r += 2 * n) SHRINK_PAIR(r, r + n, weights[p], lo, hi);
        if (taps & 1) SHRINK_PAIR(r, r, weights[full], lo, hi);
        const __m256i bytes = _mm256_packus_epi16(_mm256_srli_epi16(lo, SHRINK_BITS),
                                                  _mm256_srli_epi16(hi, SHRINK_BITS));
        _mm256_storeu_si256((__m256i *)(out + e), bytes); /* lane by lane: in order */
    }
    shrink_rows_from(job, i, e, acc, out);
}
#endif

/* out [rows, n]; acc: n int16. */
static void shrink(const shrink_t *job, int16_t *acc, uint8_t *out) {
    for (Py_ssize_t i = 0; i < job->rows; i++) {
#ifdef HAVE_AVX2
        if (has_avx2 && job->vector) {
            shrink_row_avx2(job, i, acc, out + i * job->n);
            continue;
        }
#endif
        shrink_rows_from(job, i, 0, acc, out + i * job->n);
    }
}

/* A table from three 1-d arrays (lo int32, hi int32, w int16) of one length. */
static int take_taps(buffers_t *bufs, PyObject *const *objs, const char *name, taps_t *t) {
    Py_buffer *lo = take(bufs, objs[0], "i", 1, 0, name);
    Py_buffer *hi = lo ? take(bufs, objs[1], "i", 1, 0, name) : NULL;
    Py_buffer *w = hi ? take(bufs, objs[2], "h", 1, 0, name) : NULL;
    if (w == NULL) return -1;
    if (hi->shape[0] != lo->shape[0] || w->shape[0] != lo->shape[0]) {
        PyErr_Format(PyExc_ValueError, "%s: lo, hi and w differ in length", name);
        return -1;
    }
    t->lo = lo->buf;
    t->hi = hi->buf;
    t->w = w->buf;
    t->n = lo->shape[0];
    return 0;
}

static PyObject *bilinear_enlarge(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (!nargs_ok(nargs, 8)) return NULL;
    buffers_t bufs = {.count = 0};
    job_t job;
    Py_buffer *src, *out;
    if ((src = take(&bufs, args[0], "B", 3, 0, "src")) == NULL) goto fail;
    if (take_taps(&bufs, args + 1, "cols", &job.cols) < 0) goto fail;
    if (take_taps(&bufs, args + 4, "rows", &job.rows) < 0) goto fail;
    if ((out = take(&bufs, args[7], "B", 3, 1, "out")) == NULL) goto fail;
    job.src = src->buf;
    job.src_len = src->len;
    job.c = src->shape[2];
    job.row_len = src->shape[1] * job.c;
    job.n = job.cols.n * job.c;
    if (out->shape[2] != job.c || out->shape[0] != job.rows.n || out->shape[1] != job.cols.n)
        return finish(&bufs, 1, "bilinear_enlarge: the shapes do not fit");
    if (!taps_ok(&job.cols, src->shape[1]) || !taps_ok(&job.rows, src->shape[0]))
        return finish(&bufs, 1, "bilinear_enlarge: an index or a weight is out of range");
#ifdef HAVE_AVX2
    job.vector = has_avx2 && job.c == 3;
    job.windows = has_avx2;
#else
    job.vector = job.windows = 0;
#endif
    /* int16 rows, then int32 run ends and window starts, then the window shuffles */
    job.n_vec = (job.n + 15) / 16;
    const size_t n_scratch = 4 * (size_t)(job.n + PAD);
    const size_t n_ints = (size_t)(job.cols.n + 1) + (size_t)job.n_vec;
    int16_t *scratch = PyMem_RawMalloc(n_scratch * sizeof(int16_t) + n_ints * sizeof(int32_t) +
                                       64 * (size_t)job.n_vec);
    if (scratch == NULL) return finish(&bufs, 2, NULL);
    Py_BEGIN_ALLOW_THREADS
    job.run_end = (int32_t *)(scratch + n_scratch);
    job.win_at = job.run_end + job.cols.n + 1;
    job.win_masks = (uint8_t *)(job.win_at + job.n_vec);
    enlarge(&job, out->buf, scratch);
    Py_END_ALLOW_THREADS
    PyMem_RawFree(scratch);
    return finish(&bufs, 0, NULL);
fail:
    return finish(&bufs, -1, NULL);
}

static PyObject *shrink_rows(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (!nargs_ok(nargs, 4)) return NULL;
    buffers_t bufs = {.count = 0};
    Py_buffer *src, *start, *w, *out;
    if ((src = take(&bufs, args[0], "B", 3, 0, "src")) == NULL) goto fail;
    if ((start = take(&bufs, args[1], "i", 1, 0, "start")) == NULL) goto fail;
    if ((w = take(&bufs, args[2], "h", 2, 0, "w")) == NULL) goto fail;
    if ((out = take(&bufs, args[3], "B", 3, 1, "out")) == NULL) goto fail;
    shrink_t job = {src->buf, src->shape[1] * src->shape[2], start->buf, w->buf,
                    w->shape[0], w->shape[1], w->shape[1] <= 64};
    if (start->shape[0] != job.rows || out->shape[0] != job.rows ||
        out->shape[1] != src->shape[1] || out->shape[2] != src->shape[2])
        return finish(&bufs, 1, "shrink_rows: the shapes do not fit");
    for (Py_ssize_t i = 0; i < job.rows; i++) {
        int32_t sum = 0, bad = job.start[i] < 0 || job.start[i] + job.taps > src->shape[0];
        for (Py_ssize_t t = 0; t < job.taps; t++) {
            const int16_t wt = job.w[i * job.taps + t];
            bad |= wt < 0;
            job.vector &= wt < 128;
            sum += wt;
        }
        if (bad || sum != 1 << SHRINK_BITS)
            return finish(&bufs, 1, "shrink_rows: a start or a weight is out of range");
    }
    int16_t *acc = PyMem_RawMalloc((size_t)(job.n > 0 ? job.n : 1) * sizeof(int16_t));
    if (acc == NULL) return finish(&bufs, 2, NULL);
    Py_BEGIN_ALLOW_THREADS
    shrink(&job, acc, out->buf);
    Py_END_ALLOW_THREADS
    PyMem_RawFree(acc);
    return finish(&bufs, 0, NULL);
fail:
    return finish(&bufs, -1, NULL);
}

static PyObject *use_avx2(PyObject *self, PyObject *arg) {
    const int on = PyObject_IsTrue(arg);
    if (on < 0) return NULL;
#ifdef HAVE_AVX2
    const int before = has_avx2;
    has_avx2 = on && cpu_avx2;
    return PyBool_FromLong(before);
#else
    (void)on;
    Py_RETURN_FALSE;
#endif
}

/* The binomial blur of gaussian_blur's small image (mmbench.perturb.image._binomial's
 * integers): [1, 1] n times along each axis (n = 2 or 4), edges repeated, in uint16 (at most
 * 255 * 256 + 128), (sum + 2^(2n - 1)) >> 2n. Each output row: the column sums of its n + 1
 * input rows into a row padded by n / 2 repeated pixels each side, then the row sums. Plain
 * loops over contiguous elements, compiled twice: for AVX2 (chosen at run time) and without.
 */
typedef struct {
    const uint8_t *src;
    Py_ssize_t h, w, c, order;
    uint8_t *out;
} binomial_t;

/* Each loop runs over contiguous elements, a tap at a time (n a constant where inlined). */
__attribute__((always_inline)) static inline void binomial_rows(const binomial_t *job,
                                                                uint16_t *restrict pad,
                                                                uint16_t *restrict acc,
                                                                const Py_ssize_t n) {
    static const uint16_t taps[2][5] = {{1, 2, 1, 0, 0}, {1, 4, 6, 4, 1}};
    const Py_ssize_t e = n / 2, c = job->c, len = job->w * c;
    const uint16_t *t = taps[n == 4];
    const int shift = 2 * (int)n;
    uint16_t *restrict mid = pad + e * c; /* the row's own pixels */
    for (Py_ssize_t y = 0; y < job->h; y++) {
        for (Py_ssize_t i = 0; i < len; i++) mid[i] = 0;
        for (Py_ssize_t k = 0; k <= n; k++) {
            Py_ssize_t r = y - e + k;
            r = r < 0 ? 0 : r >= job->h ? job->h - 1 : r;
            const uint8_t *restrict row = job->src + r * len;
            const uint16_t tk = t[k];
            for (Py_ssize_t i = 0; i < len; i++) mid[i] = (uint16_t)(mid[i] + tk * row[i]);
        }
        for (Py_ssize_t p = 0; p < e; p++)
            for (Py_ssize_t ch = 0; ch < c; ch++) {
                pad[p * c + ch] = mid[ch];
                mid[len + p * c + ch] = mid[len - c + ch];
            }
        for (Py_ssize_t i = 0; i < len; i++) acc[i] = (uint16_t)(1u << (shift - 1));
        for (Py_ssize_t k = 0; k <= n; k++) {
            const uint16_t tk = t[k];
            const uint16_t *restrict from = pad + k * c;
            for (Py_ssize_t i = 0; i < len; i++) acc[i] = (uint16_t)(acc[i] + tk * from[i]);
        }
        uint8_t *restrict dst = job->out + y * len;
        for (Py_ssize_t i = 0; i < len; i++) dst[i] = (uint8_t)(acc[i] >> shift);
    }
}

static void binomial_plain(const binomial_t *job, uint16_t *pad, uint16_t *acc) {
    if (job->order == 4) binomial_rows(job, pad, acc, 4);
    else binomial_rows(job, pad, acc, 2);
}

#ifdef HAVE_AVX2
__attribute__((target("avx2"))) static void binomial_avx2(const binomial_t *job, uint16_t *pad,
                                                         uint16_t *acc) {
    if (job->order == 4) binomial_rows(job, pad, acc, 4);
    else binomial_rows(job, pad, acc, 2);
}
#endif

static PyObject *binomial(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (!nargs_ok(nargs, 3)) return NULL;
    buffers_t bufs = {.count = 0};
    Py_buffer *src, *out;
    if ((src = take(&bufs, args[0], "B", 3, 0, "src")) == NULL) goto fail;
    const long order = PyLong_AsLong(args[1]);
    if (order == -1 && PyErr_Occurred()) goto fail;
    if ((out = take(&bufs, args[2], "B", 3, 1, "out")) == NULL) goto fail;
    if (order != 2 && order != 4) return finish(&bufs, 1, "binomial: the order is 2 or 4");
    for (int d = 0; d < 3; d++)
        if (out->shape[d] != src->shape[d]) return finish(&bufs, 1, "binomial: the shapes differ");
    const binomial_t job = {src->buf, src->shape[0], src->shape[1], src->shape[2], order,
                            out->buf};
    const size_t padded = (size_t)((job.w + order) * job.c + 1);
    uint16_t *pad = PyMem_RawMalloc(2 * padded * sizeof(uint16_t));
    if (pad == NULL) return finish(&bufs, 2, NULL);
    uint16_t *acc = pad + padded;
    Py_BEGIN_ALLOW_THREADS
#ifdef HAVE_AVX2
    if (has_avx2) binomial_avx2(&job, pad, acc);
    else
#endif
        binomial_plain(&job, pad, acc);
    Py_END_ALLOW_THREADS
    PyMem_RawFree(pad);
    return finish(&bufs, 0, NULL);
fail:
    return finish(&bufs, -1, NULL);
}

static PyMethodDef methods[] = {
    {"binomial", (PyCFunction)(void (*)(void))binomial, METH_FASTCALL,
     "binomial(src, order, out): src [h, w, c] uint8 blurred into out by the binomial of order "
     "2 or 4 along both axes, edges repeated, integer sums rounded once."},
    {"use_avx2", use_avx2, METH_O,
     "use_avx2(on): take the AVX2 paths where the CPU has them (the default) or the plain "
     "loops (tests compare both); returns the previous setting. Not while a call runs."},
    {"shrink_rows", (PyCFunction)(void (*)(void))shrink_rows, METH_FASTCALL,
     "shrink_rows(src, start, w, out): out[i] = (sum over t of w[i, t] src[start[i] + t] + "
     "64) >> 7 per element; src [H, W, c] and out [rows, W, c] uint8, start int32 [rows], "
     "w int16 [rows, taps], each row of w non-negative and summing to 128."},
    {"bilinear_enlarge", (PyCFunction)(void (*)(void))bilinear_enlarge, METH_FASTCALL,
     "bilinear_enlarge(src, col_lo, col_hi, col_w, row_lo, row_hi, row_w, out): src [hs, ws, "
     "c] uint8 enlarged into out [H, W, c] uint8 by the taps (int32 lo and hi, int16 w in "
     "[0, ONE)) of its W columns and H rows, in the module's fixed-point arithmetic."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_resample", NULL, -1, methods};

PyMODINIT_FUNC PyInit__resample(void) {
#ifdef HAVE_AVX2
    __builtin_cpu_init();
    has_avx2 = cpu_avx2 = __builtin_cpu_supports("avx2");
    init_masks();
#endif
    PyObject *m = PyModule_Create(&module);
    if (m != NULL && (PyModule_AddIntConstant(m, "FRAC_BITS", FRAC_BITS) < 0 ||
                      PyModule_AddIntConstant(m, "SHRINK_BITS", SHRINK_BITS) < 0)) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
