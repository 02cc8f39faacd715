/* Argument handling shared by mmbench's C extensions (mmbench/metrics/_sparse.c,
 * mmbench/perturb/_resample.c): the buffers of one call taken as C-contiguous arrays of a
 * given format and released together, the argument count checked, and the end of a call.
 * Included by each extension's source (static functions: one copy per extension). */
#ifndef MMBENCH_BUFFERS_H
#define MMBENCH_BUFFERS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

/* The buffers of one call, released together. */
typedef struct {
    Py_buffer views[9];
    int count;
} buffers_t;

static void release(buffers_t *bufs) {
    for (int i = 0; i < bufs->count; i++) PyBuffer_Release(&bufs->views[i]);
    bufs->count = 0;
}

/* The next buffer of args (a C-contiguous array of ndim dimensions and this format). */
static Py_buffer *take(buffers_t *bufs, PyObject *obj, const char *format, int ndim,
                       int writable, const char *name) {
    Py_buffer *view = &bufs->views[bufs->count];
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) < 0) return NULL;
    bufs->count++;
    if (view->ndim != ndim || strcmp(view->format, format) != 0) {
        PyErr_Format(PyExc_ValueError, "%s: expected a C-contiguous %d-d array of format '%s'",
                     name, ndim, format);
        return NULL;
    }
    return view;
}

/* The end of a call: the buffers released; None when the kernel's status is 0, else the
 * error (1: ValueError with message; 2: out of memory; -1: already set). */
static PyObject *finish(buffers_t *bufs, int status, const char *message) {
    release(bufs);
    if (status == 0) Py_RETURN_NONE;
    if (status == 1) PyErr_SetString(PyExc_ValueError, message);
    if (status == 2) PyErr_NoMemory();
    return NULL;
}

/* Whether a call got n arguments (a TypeError set when not). */
static int nargs_ok(Py_ssize_t nargs, Py_ssize_t n) {
    if (nargs == n) return 1;
    PyErr_Format(PyExc_TypeError, "expected %zd arguments", n);
    return 0;
}

#endif /* MMBENCH_BUFFERS_H */
