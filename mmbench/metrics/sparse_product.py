"""Sparse (CSR) times dense products for the bootstrap, by the C kernel where it is built.

:func:`csr_dense` is ``a @ x`` for a scipy CSR matrix ``a`` and a dense ``x``, with the
same float32 result bit for bit. For float32 values with int32 indices it runs the
optional extension ``mmbench.metrics._sparse`` (compiled at install where a C compiler
is found), which prefetches the scattered rows of ``x`` instead of waiting for each: about
twice scipy's speed on CIDEr-D's bootstrap products, whose rows of ``x`` (squared IDFs per
n-gram, one column per resample) are spread over megabytes. Any other input, or an
install without the extension, takes scipy's product. :data:`KERNEL` says which is used.

>>> import numpy as np
>>> from scipy import sparse
>>> a = sparse.csr_matrix(np.array([[1, 0, 2], [0, 0, 0], [0, 3, 0]], dtype=np.float32))
>>> csr_dense(a, np.arange(6, dtype=np.float32).reshape(3, 2)).tolist()
[[8.0, 11.0], [0.0, 0.0], [6.0, 9.0]]
"""

from __future__ import annotations

from typing import Any

import numpy as np

try:
    from mmbench.metrics import _sparse as kernels
except ImportError:  # pragma: no cover - an install without a C compiler
    kernels = None

#: ``"c-prefetch"`` when the extension is built, else ``"scipy"``.
KERNEL = "scipy" if kernels is None else "c-prefetch"


def kernel_fits(*matrices: Any, x: np.ndarray) -> bool:
    """Whether the C kernels take these CSR ``matrices`` and dense ``x``: the extension is
    built, values are float32 and indices int32."""
    return (
        kernels is not None
        and x.dtype == np.float32
        and x.ndim == 2
        and all(
            m.dtype == np.float32 and m.indices.dtype == np.int32 and m.indptr.dtype == np.int32
            for m in matrices
        )
    )


def csr_arrays(a: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(indptr, indices, data) of a CSR matrix, as the kernels take them."""
    return a.indptr, a.indices, a.data


def csr_dense(a: Any, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``a @ x``: CSR ``a`` [rows, G] times dense ``x`` [G, b] -> [rows, b] (into ``out``
    when given: float32, C-contiguous, [rows, b]).

    The kernel adds each row's entries in their stored order, as scipy does, so the
    result is the same bit for bit; scipy computes it when the kernel does not apply.
    """
    if not kernel_fits(a, x=x):
        result = a @ x
        if out is None:
            return result
        out[...] = result
        return out
    x = np.ascontiguousarray(x)
    if out is None:
        out = np.empty((a.shape[0], x.shape[1]), dtype=np.float32)
    if a.shape[1] != x.shape[0]:
        raise ValueError(f"csr_dense: {a.shape} @ {x.shape}: the shapes do not fit")
    kernels.csr_matmul(*csr_arrays(a), x, out)
    return out
