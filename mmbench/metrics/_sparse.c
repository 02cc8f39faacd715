/* Kernels of CIDEr-D's bootstrap (mmbench.metrics.cider.CiderResampler): squared IDFs
 * from draw counts, pooled reference cosines, prediction norms, the weighted per-sample
 * scores, the draw counts themselves, and the CSR build (a stable counting sort).
 *
 * Every product is a CSR float32 matrix (int32 indices) times a dense float32 matrix; each
 * output element is 0 plus data[jj] * x[indices[jj], k] added in the order of the row's
 * entries, in float32 without fused multiply-adds: the operations of scipy's csr_matvecs,
 * in its order, followed by numpy's square roots, divisions and float64 sums, in theirs,
 * so the results are bit-identical to the numpy/scipy path (tested). What differs is
 * speed: the rows of x an entry reads are scattered over megabytes and scipy waits for
 * each, while these loops prefetch the row PREFETCH entries ahead (several cache misses in
 * flight); with 8, 16, 24 or 32 columns a row runs in 8-lane AVX2 vectors where the CPU
 * has them (chosen at run time); and the steps between products need no temporaries. The GIL is
 * released inside. Indices are checked: out of range, a call raises ValueError.
 *
 * Built by setup.py as the optional extension mmbench.metrics._sparse; without a C
 * compiler mmbench uses the numpy/scipy path (mmbench.metrics.sparse_product.KERNEL).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "../_buffers.h"

#define PREFETCH 12 /* entries ahead: enough misses in flight, little wasted at row ends */

/* A CSR matrix's arrays and sizes; x is the dense right-hand side [g, b]. */
typedef struct {
    const int32_t *indptr, *indices;
    const float *data;
    Py_ssize_t rows, nnz;
} csr_t;

static int csr_check(const csr_t *a) {
    return a->rows >= 0 && a->indptr[0] == 0 && a->indptr[a->rows] == a->nnz;
}

/* Prefetch the row of x that entry jj + PREFETCH of a reads (it may be in a later row). */
static inline void prefetch_ahead(const csr_t *a, int32_t jj, const float *x, Py_ssize_t g,
                                  Py_ssize_t b) {
    if (jj + PREFETCH < a->nnz) {
        const int32_t ahead = a->indices[jj + PREFETCH];
        if (ahead >= 0 && ahead < g) {
            const char *p = (const char *)(x + (Py_ssize_t)ahead * b);
            for (Py_ssize_t at = 0; at < b * (Py_ssize_t)sizeof(float); at += 64)
                __builtin_prefetch(p + at);
        }
    }
}

#if defined(__GNUC__) && defined(__x86_64__)
/* 8, 16, 24 or 32 columns in 8-lane vectors (AVX2, chosen at run time where the CPU has
 * it): the same multiplications and additions per lane as the scalar loop, so the same
 * results. Each function is inlined with nv (vectors per row) a constant, then unrolled. */
#define HAVE_AVX2_ROW 1
#define AVX2_INLINE __attribute__((target("avx2"), always_inline)) static inline
#include <immintrin.h>
typedef float v8 __attribute__((vector_size(32)));

/* acc[0..nv-1] = row i of a times x (8 nv columns); 1 when an index is out of range. */
AVX2_INLINE int row_acc(const csr_t *a, Py_ssize_t i, const float *x, Py_ssize_t g, v8 *acc,
                        const int nv) {
    const int32_t start = a->indptr[i], end = a->indptr[i + 1];
    if (start < 0 || start > end || end > a->nnz) return 1;
    for (int v = 0; v < nv; v++) acc[v] = (v8){0};
    for (int32_t jj = start; jj < end; jj++) {
        prefetch_ahead(a, jj, x, g, 8 * nv);
        const int32_t col = a->indices[jj];
        if (col < 0 || col >= g) return 1;
        const float c = a->data[jj];
        const v8 cc = {c, c, c, c, c, c, c, c};
        const float *xr = x + (Py_ssize_t)col * 8 * nv;
        for (int v = 0; v < nv; v++) {
            v8 xv;
            memcpy(&xv, xr + 8 * v, sizeof xv);
            acc[v] += cc * xv;
        }
    }
    return 0;
}

/* sqrt(v), 1 where that is 0: numpy's sqrt, then the zeros replaced. */
AVX2_INLINE v8 norm_or_one(v8 v) {
    const __m256 root = _mm256_sqrt_ps((__m256)v);
    const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f);
    return (v8)_mm256_blendv_ps(root, one, _mm256_cmp_ps(root, zero, _CMP_EQ_OQ));
}

AVX2_INLINE int row_dot_nv(const csr_t *a, Py_ssize_t i, const float *x, Py_ssize_t g,
                           float *y, const int nv) {
    v8 acc[4];
    if (row_acc(a, i, x, g, acc, nv)) return 1;
    memcpy(y, acc, (size_t)nv * sizeof(v8));
    return 0;
}

/* pooled_cosines in vector registers. */
AVX2_INLINE int pooled_nv(const csr_t *ref, const csr_t *pool, const float *x, Py_ssize_t g,
                          float *out, const int nv) {
    const Py_ssize_t k_rows = ref->rows / 2;
    for (Py_ssize_t p = 0; p < pool->rows; p++) {
        v8 y[4] = {{0}, {0}, {0}, {0}};
        const int32_t start = pool->indptr[p], end = pool->indptr[p + 1];
        if (start < 0 || start > end || end > pool->nnz) return 1;
        for (int32_t jj = start; jj < end; jj++) {
            const int32_t j = pool->indices[jj];
            if (j < 0 || j >= k_rows) return 1;
            v8 norm[4], num[4];
            if (row_acc(ref, j, x, g, norm, nv) || row_acc(ref, k_rows + j, x, g, num, nv))
                return 1;
            const float w = pool->data[jj];
            const v8 ww = {w, w, w, w, w, w, w, w};
            for (int v = 0; v < nv; v++) y[v] += ww * (num[v] / norm_or_one(norm[v]));
        }
        memcpy(out + p * 8 * nv, y, (size_t)nv * sizeof(v8));
    }
    return 0;
}

/* divide_by_norms in vector registers. */
AVX2_INLINE int divide_nv(const csr_t *a, const float *x, Py_ssize_t g, float *out,
                          const int nv) {
    for (Py_ssize_t p = 0; p < a->rows; p++) {
        v8 norm[4], y[4];
        if (row_acc(a, p, x, g, norm, nv)) return 1;
        memcpy(y, out + p * 8 * nv, (size_t)nv * sizeof(v8));
        for (int v = 0; v < nv; v++) y[v] /= norm_or_one(norm[v]);
        memcpy(out + p * 8 * nv, y, (size_t)nv * sizeof(v8));
    }
    return 0;
}

/* One specialization per width: nv a constant in each. */
#define BY_WIDTH(call)                                                                     \
    switch (b) {                                                                           \
    case 8: { const int nv = 1; return call; }                                            \
    case 16: { const int nv = 2; return call; }                                           \
    case 24: { const int nv = 3; return call; }                                           \
    default: { const int nv = 4; return call; }                                           \
    }

__attribute__((target("avx2"))) static int row_dot_avx2(const csr_t *a, Py_ssize_t i,
                                                       const float *x, Py_ssize_t g,
                                                       Py_ssize_t b, float *y) {
    BY_WIDTH(row_dot_nv(a, i, x, g, y, nv))
}

__attribute__((target("avx2"))) static int pooled_avx2(const csr_t *ref, const csr_t *pool,
                                                      const float *x, Py_ssize_t g,
                                                      Py_ssize_t b, float *out) {
    BY_WIDTH(pooled_nv(ref, pool, x, g, out, nv))
}

__attribute__((target("avx2"))) static int divide_avx2(const csr_t *a, const float *x,
                                                      Py_ssize_t g, Py_ssize_t b, float *out) {
    BY_WIDTH(divide_nv(a, x, g, out, nv))
}

/* Widths the vector path takes. */
#define AVX2_WIDTH(b) ((b) == 8 || (b) == 16 || (b) == 24 || (b) == 32)

static int has_avx2;
#endif

/* y[b] = row i of a times x, entries added in order from 0; 1 when an index is out of
 * range. */
static int row_dot(const csr_t *a, Py_ssize_t i, const float *restrict x, Py_ssize_t g,
                   Py_ssize_t b, float *restrict y) {
#ifdef HAVE_AVX2_ROW
    if (has_avx2 && AVX2_WIDTH(b)) return row_dot_avx2(a, i, x, g, b, y);
#endif
    const int32_t start = a->indptr[i], end = a->indptr[i + 1];
    if (start < 0 || start > end || end > a->nnz) return 1;
    memset(y, 0, (size_t)b * sizeof(float));
    for (int32_t jj = start; jj < end; jj++) {
        prefetch_ahead(a, jj, x, g, b);
        const int32_t col = a->indices[jj];
        if (col < 0 || col >= g) return 1;
        const float v = a->data[jj];
        const float *restrict xr = x + (Py_ssize_t)col * b;
        for (Py_ssize_t k = 0; k < b; k++) y[k] += v * xr[k];
    }
    return 0;
}

/* CIDEr-D's pooled cosines: ref holds K norm rows then K product rows; pool [P, K] sums
 * each product row divided by its norm's square root (1 where that is 0) into its row:
 * out[p] = sum over the entries (j, w) of pool row p of w * (ref[K + j] x) / sqrt(ref[j] x),
 * the float32 operations of numpy's sqrt and divide and scipy's product, in their order. */
static int pooled_cosines(const csr_t *ref, const csr_t *pool, const float *x, Py_ssize_t g,
                          Py_ssize_t b, float *out, float *norm, float *num) {
    const Py_ssize_t k_rows = ref->rows / 2;
    if (!csr_check(ref) || !csr_check(pool) || ref->rows != 2 * k_rows) return 1;
#ifdef HAVE_AVX2_ROW
    if (has_avx2 && AVX2_WIDTH(b)) return pooled_avx2(ref, pool, x, g, b, out);
#endif
    for (Py_ssize_t p = 0; p < pool->rows; p++) {
        float *y = out + p * b;
        memset(y, 0, (size_t)b * sizeof(float));
        const int32_t start = pool->indptr[p], end = pool->indptr[p + 1];
        if (start < 0 || start > end || end > pool->nnz) return 1;
        for (int32_t jj = start; jj < end; jj++) {
            const int32_t j = pool->indices[jj];
            if (j < 0 || j >= k_rows) return 1;
            if (row_dot(ref, j, x, g, b, norm) || row_dot(ref, k_rows + j, x, g, b, num)) return 1;
            const float w = pool->data[jj];
            for (Py_ssize_t k = 0; k < b; k++) {
                float rn = sqrtf(norm[k]);
                if (rn == 0.0f) rn = 1.0f;
                y[k] += w * (num[k] / rn);
            }
        }
    }
    return 0;
}

/* out[p] /= sqrt(a[p] x) (1 where that is 0), for every row p of a. */
static int divide_by_norms(const csr_t *a, const float *x, Py_ssize_t g, Py_ssize_t b,
                           float *out, float *norm) {
    if (!csr_check(a)) return 1;
#ifdef HAVE_AVX2_ROW
    if (has_avx2 && AVX2_WIDTH(b)) return divide_avx2(a, x, g, b, out);
#endif
    for (Py_ssize_t p = 0; p < a->rows; p++) {
        if (row_dot(a, p, x, g, b, norm)) return 1;
        float *y = out + p * b;
        for (Py_ssize_t k = 0; k < b; k++) {
            float n = sqrtf(norm[k]);
            if (n == 0.0f) n = 1.0f;
            y[k] /= n;
        }
    }
    return 0;
}

/* Entries (row[e], col[e], value[e]) into CSR arrays whose row pointers indptr are
 * given, each row's entries in their input order (a stable counting sort); 1 when a row is
 * out of range or holds more entries than indptr allows. row is int32 or int64. */
static int scatter(const void *row, int row_is_64, const int32_t *col, const float *value,
                   Py_ssize_t n_entries, const int32_t *indptr, Py_ssize_t rows,
                   int32_t *out_indices, float *out_data) {
    for (Py_ssize_t r = 0; r < rows; r++)
        if (indptr[r] < 0 || indptr[r] > indptr[r + 1]) return 1;
    int32_t *next = PyMem_RawMalloc((size_t)(rows > 0 ? rows : 1) * sizeof(int32_t));
    if (next == NULL) return 2;
    memcpy(next, indptr, (size_t)rows * sizeof(int32_t));
    int bad = 0;
    for (Py_ssize_t e = 0; e < n_entries; e++) {
        const int64_t r = row_is_64 ? ((const int64_t *)row)[e] : ((const int32_t *)row)[e];
        if (r < 0 || r >= rows || next[r] >= indptr[r + 1]) {
            bad = 1;
            break;
        }
        const int32_t at = next[r]++;
        out_indices[at] = col[e];
        out_data[at] = value[e];
    }
    PyMem_RawFree(next);
    return bad;
}

/* out[n, b] = how often each sample is drawn in each resample idx[b, n] (int64). */
static int draw_counts(const int64_t *idx, Py_ssize_t b, Py_ssize_t n, float *out) {
    memset(out, 0, (size_t)(n * b) * sizeof(float));
    for (Py_ssize_t r = 0; r < b; r++) {
        const int64_t *row = idx + r * n;
        for (Py_ssize_t i = 0; i < n; i++) {
            if (row[i] < 0 || row[i] >= n) return 1;
            out[row[i] * b + r] += 1.0f;
        }
    }
    return 0;
}

/* out[b, n] = ((sum of the 4 orders of cos[n * 4, b], in float64, in order) * w[n, b]) *
 * scale[n]: the float64 operations of numpy's sum over the orders, the product with the
 * draw counts and the transposed product with the scale, in their order. */
static void weighted_scores(const float *cos, const float *w, const double *scale,
                            Py_ssize_t n, Py_ssize_t b, double *out) {
    for (Py_ssize_t i = 0; i < n; i++) {
        const float *c = cos + i * 4 * b;
        for (Py_ssize_t k = 0; k < b; k++) {
            double s = (double)c[k];
            s += (double)c[b + k];
            s += (double)c[2 * b + k];
            s += (double)c[3 * b + k];
            out[k * n + i] = (s * (double)w[i * b + k]) * scale[i];
        }
    }
}

/* out[G, b] = squared IDFs per n-gram: each distinct set d of samples gets its document
 * frequency df = incidence[d] @ w (float32 sums of whole draw counts: exact) and idf2[df];
 * n-gram g takes the row of its set, gram_set[g]. scratch holds [D, b]. */
static int squared_idf(const csr_t *inc, const float *w, Py_ssize_t n, Py_ssize_t b,
                       const float *idf2, Py_ssize_t n_idf, const int32_t *gram_set,
                       Py_ssize_t n_grams, float *scratch, float *out) {
    if (!csr_check(inc)) return 1;
    for (Py_ssize_t d = 0; d < inc->rows; d++) {
        float *y = scratch + d * b;
        if (row_dot(inc, d, w, n, b, y)) return 1;
        for (Py_ssize_t k = 0; k < b; k++) {
            if (!(y[k] >= 0.0f && y[k] < (float)n_idf)) return 1; /* NaN too */
            y[k] = idf2[(int32_t)y[k]];
        }
    }
    for (Py_ssize_t g = 0; g < n_grams; g++) {
        const int32_t d = gram_set[g];
        if (d < 0 || d >= inc->rows) return 1;
        memcpy(out + g * b, scratch + d * b, (size_t)b * sizeof(float));
    }
    return 0;
}

/* The next buffer of args: a C-contiguous array of ndim dimensions of int64 (or int32 too,
 * with any_width) integers. */
static Py_buffer *take_ints(buffers_t *bufs, PyObject *obj, int ndim, int any_width,
                            const char *name) {
    Py_buffer *view = &bufs->views[bufs->count];
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return NULL;
    bufs->count++;
    const char *formats = any_width ? "ilq" : "lq";
    if (view->ndim != ndim || strlen(view->format) != 1 ||
        strchr(formats, view->format[0]) == NULL ||
        (view->itemsize != 8 && !(any_width && view->itemsize == 4))) {
        PyErr_Format(PyExc_ValueError, "%s: expected a C-contiguous %d-d %s array", name, ndim,
                     any_width ? "int32 or int64" : "int64");
        return NULL;
    }
    return view;
}

/* A CSR matrix from three arrays (indptr int32, indices int32, data float32). */
static int take_csr(buffers_t *bufs, PyObject *const *objs, const char *name, csr_t *a) {
    Py_buffer *indptr = take(bufs, objs[0], "i", 1, 0, name);
    Py_buffer *indices = indptr ? take(bufs, objs[1], "i", 1, 0, name) : NULL;
    Py_buffer *data = indices ? take(bufs, objs[2], "f", 1, 0, name) : NULL;
    if (data == NULL) return -1;
    if (indptr->shape[0] < 1 || data->shape[0] != indices->shape[0]) {
        PyErr_Format(PyExc_ValueError, "%s: not a CSR matrix", name);
        return -1;
    }
    a->indptr = indptr->buf;
    a->indices = indices->buf;
    a->data = data->buf;
    a->rows = indptr->shape[0] - 1;
    a->nnz = indices->shape[0];
    return 0;
}

enum kind { POOLED, DIVIDE };

/* Parse (CSR arrays..., x, out), check the shapes, run the kernel without the GIL. */
static PyObject *call(PyObject *const *args, Py_ssize_t nargs, enum kind kind) {
    const Py_ssize_t n_csr = kind == POOLED ? 2 : 1;
    if (!nargs_ok(nargs, 3 * n_csr + 2)) return NULL;
    buffers_t bufs = {.count = 0};
    csr_t a, pool;
    Py_buffer *x, *out;
    if (take_csr(&bufs, args, "a", &a) < 0) goto fail;
    if (kind == POOLED && take_csr(&bufs, args + 3, "pool", &pool) < 0) goto fail;
    if ((x = take(&bufs, args[3 * n_csr], "f", 2, 0, "x")) == NULL) goto fail;
    if ((out = take(&bufs, args[3 * n_csr + 1], "f", 2, 1, "out")) == NULL) goto fail;
    const Py_ssize_t g = x->shape[0], b = x->shape[1];
    const Py_ssize_t rows = kind == POOLED ? pool.rows : a.rows;
    if (out->shape[0] != rows || out->shape[1] != b)
        return finish(&bufs, 1, "out: the shape does not fit");
    float *scratch = PyMem_RawMalloc(2 * (size_t)(b > 0 ? b : 1) * sizeof(float));
    if (scratch == NULL) return finish(&bufs, 2, NULL);
    int bad;
    Py_BEGIN_ALLOW_THREADS
    if (kind == POOLED) bad = pooled_cosines(&a, &pool, x->buf, g, b, out->buf, scratch, scratch + b);
    else bad = divide_by_norms(&a, x->buf, g, b, out->buf, scratch);
    Py_END_ALLOW_THREADS
    PyMem_RawFree(scratch);
    return finish(&bufs, bad, "an index or a row pointer is out of range");
fail:
    return finish(&bufs, -1, NULL);
}

static PyObject *cider_pooled_cosines(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    return call(args, nargs, POOLED);
}

static PyObject *cider_divide_by_norms(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    return call(args, nargs, DIVIDE);
}

static PyObject *csr_scatter(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (!nargs_ok(nargs, 6)) return NULL;
    buffers_t bufs = {.count = 0};
    Py_buffer *row, *col, *value, *indptr, *indices, *data;
    if ((row = take_ints(&bufs, args[0], 1, 1, "row")) == NULL) goto fail;
    if ((col = take(&bufs, args[1], "i", 1, 0, "col")) == NULL) goto fail;
    if ((value = take(&bufs, args[2], "f", 1, 0, "value")) == NULL) goto fail;
    if ((indptr = take(&bufs, args[3], "i", 1, 0, "indptr")) == NULL) goto fail;
    if ((indices = take(&bufs, args[4], "i", 1, 1, "out_indices")) == NULL) goto fail;
    if ((data = take(&bufs, args[5], "f", 1, 1, "out_data")) == NULL) goto fail;
    const Py_ssize_t e = row->shape[0], rows = indptr->shape[0] - 1;
    const int32_t *ip = indptr->buf;
    if (col->shape[0] != e || value->shape[0] != e || indices->shape[0] != e ||
        data->shape[0] != e || rows < 0 || ip[0] != 0 || ip[rows] != e)
        return finish(&bufs, 1, "csr_scatter: the shapes do not fit");
    int bad;
    Py_BEGIN_ALLOW_THREADS
    bad = scatter(row->buf, row->itemsize == 8, col->buf, value->buf, e, ip, rows,
                  indices->buf, data->buf);
    Py_END_ALLOW_THREADS
    return finish(&bufs, bad, "csr_scatter: a row is out of range");
fail:
    return finish(&bufs, -1, NULL);
}

static PyObject *cider_draw_counts(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (!nargs_ok(nargs, 2)) return NULL;
    buffers_t bufs = {.count = 0};
    Py_buffer *idx, *out;
    if ((idx = take_ints(&bufs, args[0], 2, 0, "idx")) == NULL) goto fail;
    if ((out = take(&bufs, args[1], "f", 2, 1, "out")) == NULL) goto fail;
    const Py_ssize_t b = idx->shape[0], n = idx->shape[1];
    if (out->shape[0] != n || out->shape[1] != b)
        return finish(&bufs, 1, "out: the shape does not fit");
    int bad;
    Py_BEGIN_ALLOW_THREADS
    bad = draw_counts(idx->buf, b, n, out->buf);
    Py_END_ALLOW_THREADS
    return finish(&bufs, bad, "idx: a sample index is out of range");
fail:
    return finish(&bufs, -1, NULL);
}

static PyObject *cider_weighted_scores(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (!nargs_ok(nargs, 4)) return NULL;
    buffers_t bufs = {.count = 0};
    Py_buffer *cos, *w, *scale, *out;
    if ((cos = take(&bufs, args[0], "f", 2, 0, "cos")) == NULL) goto fail;
    if ((w = take(&bufs, args[1], "f", 2, 0, "w")) == NULL) goto fail;
    if ((scale = take(&bufs, args[2], "d", 1, 0, "scale")) == NULL) goto fail;
    if ((out = take(&bufs, args[3], "d", 2, 1, "out")) == NULL) goto fail;
    const Py_ssize_t n = w->shape[0], b = w->shape[1];
    if (cos->shape[0] != 4 * n || cos->shape[1] != b || scale->shape[0] != n ||
        out->shape[0] != b || out->shape[1] != n)
        return finish(&bufs, 1, "cider_weighted_scores: the shapes do not fit");
    Py_BEGIN_ALLOW_THREADS
    weighted_scores(cos->buf, w->buf, scale->buf, n, b, out->buf);
    Py_END_ALLOW_THREADS
    return finish(&bufs, 0, NULL);
fail:
    return finish(&bufs, -1, NULL);
}

static PyObject *cider_squared_idf(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (!nargs_ok(nargs, 7)) return NULL;
    buffers_t bufs = {.count = 0};
    csr_t inc;
    Py_buffer *w, *idf2, *gram_set, *out;
    if (take_csr(&bufs, args, "incidence", &inc) < 0) goto fail;
    if ((w = take(&bufs, args[3], "f", 2, 0, "w")) == NULL) goto fail;
    if ((idf2 = take(&bufs, args[4], "f", 1, 0, "idf2")) == NULL) goto fail;
    if ((gram_set = take(&bufs, args[5], "i", 1, 0, "gram_set")) == NULL) goto fail;
    if ((out = take(&bufs, args[6], "f", 2, 1, "out")) == NULL) goto fail;
    const Py_ssize_t n = w->shape[0], b = w->shape[1], n_grams = gram_set->shape[0];
    if (out->shape[0] != n_grams || out->shape[1] != b)
        return finish(&bufs, 1, "cider_squared_idf: the shapes do not fit");
    const size_t cells = (size_t)((inc.rows > 0 ? inc.rows : 1) * b + 1);
    float *scratch = PyMem_RawMalloc(cells * sizeof(float));
    if (scratch == NULL) return finish(&bufs, 2, NULL);
    int bad;
    Py_BEGIN_ALLOW_THREADS
    bad = squared_idf(&inc, w->buf, n, b, idf2->buf, idf2->shape[0], gram_set->buf, n_grams,
                      scratch, out->buf);
    Py_END_ALLOW_THREADS
    PyMem_RawFree(scratch);
    return finish(&bufs, bad, "cider_squared_idf: an index is out of range");
fail:
    return finish(&bufs, -1, NULL);
}

static PyMethodDef methods[] = {
    {"cider_squared_idf", (PyCFunction)(void (*)(void))cider_squared_idf, METH_FASTCALL,
     "cider_squared_idf(indptr, indices, data, w, idf2, gram_set, out): out[G, b] = "
     "idf2[incidence @ w][gram_set]."},
    {"cider_draw_counts", (PyCFunction)(void (*)(void))cider_draw_counts, METH_FASTCALL,
     "cider_draw_counts(idx, out): out[n, b] = how often each sample is drawn in each "
     "resample idx[b, n]."},
    {"cider_weighted_scores", (PyCFunction)(void (*)(void))cider_weighted_scores, METH_FASTCALL,
     "cider_weighted_scores(cos, w, scale, out): out[b, n] = (cos summed over the 4 orders, "
     "in float64) * w * scale, transposed."},
    {"csr_scatter", (PyCFunction)(void (*)(void))csr_scatter, METH_FASTCALL,
     "csr_scatter(row, col, value, indptr, out_indices, out_data): the entries into CSR "
     "arrays, each row's entries in input order (a stable counting sort)."},
    {"cider_pooled_cosines", (PyCFunction)(void (*)(void))cider_pooled_cosines, METH_FASTCALL,
     "cider_pooled_cosines(indptr, indices, data, pool_indptr, pool_indices, pool_data, x, "
     "out): out = pool @ ((a[K:] @ x) / sqrt(a[:K] @ x)), a square root of 0 taken as 1."},
    {"cider_divide_by_norms", (PyCFunction)(void (*)(void))cider_divide_by_norms, METH_FASTCALL,
     "cider_divide_by_norms(indptr, indices, data, x, out): out /= sqrt(a @ x), a square "
     "root of 0 taken as 1."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_sparse", NULL, -1, methods};

PyMODINIT_FUNC PyInit__sparse(void) {
#ifdef HAVE_AVX2_ROW
    __builtin_cpu_init();
    has_avx2 = __builtin_cpu_supports("avx2");
#endif
    return PyModule_Create(&module);
}
