"""Row access for the compiled epochs, specialized at compile time on dense or CSR rows.

``rows`` is ``(X, data, indices, indptr)``: dense C-contiguous rows when ``X``
is an array, CSR rows when ``X`` is None. Each helper is inlined into the
epoch of :mod:`skgd._solvers._kernels`, and :func:`_prefetch_ahead` brings the
rows the next steps read into cache.
"""

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic, overload

_NO_RAISE = {"error_model": "numpy"}
_INLINE = {"forceinline": True, **_NO_RAISE}
_inline = njit(cache=True, nogil=True, **_INLINE)
# The norms' sums may reassociate (they only feed the stopping rule), but no
# multiply-add may fuse: the axpys round as scikit-learn's do.
_NO_FUSING = {"reassoc", "nsz"}


# Row access, specialized at compile time: ``rows`` is ``(X, data, indices,
# indptr)``, dense rows when ``X`` is an array, CSR rows when ``X`` is None.
# A runtime flag would keep both loops in one function and stop LLVM from
# vectorizing the dense one (measured: 3x slower epochs). A row of
# coefficients is passed as the whole array and the row's index: a view per
# row and step would be counted as a reference each time.


def _row_dot(rows, i, coef, c):
    """``x_i · coef[c]``."""
    raise NotImplementedError("compiled only")


def _row_axpy(rows, i, scale, out, c):
    """``out[c] += scale · x_i``."""
    raise NotImplementedError("compiled only")


def _row_norms(rows, i, coef, c):
    """``Σ coef[c, j]²`` and ``Σ |coef[c, j]|`` over ``x_i``'s entries.

    scikit-learn's ``WeightVector.add`` keeps these as the norms of ``w``:
    over every feature of a dense row, over the stored entries of a CSR row.
    """
    raise NotImplementedError("compiled only")


def _row_truncate_l1(rows, i, state, c, wscale, l1_total, correction):
    """L1 truncation of row ``c`` over ``x_i``'s entries (see :func:`_truncate_l1`)."""
    raise NotImplementedError("compiled only")


def _in_coef_type(value, like):
    """``value`` in the dtype of ``like`` (an array or a scalar): float32 or float64."""
    raise NotImplementedError("compiled only")


@overload(_in_coef_type, jit_options=_INLINE)
def _in_coef_type_impl(value, like):
    dtype = like.dtype if isinstance(like, types.Array) else like
    if dtype == types.float32:
        return lambda value, like: np.float32(value)
    return lambda value, like: np.float64(value)


def _is_csr(rows):
    """Whether the numba type of ``rows`` holds CSR rows (``X`` is None)."""
    return isinstance(rows.types[0], types.NoneType)


@overload(_row_dot, jit_options=_INLINE)
def _row_dot_impl(rows, i, coef, c):
    if _is_csr(rows):

        def csr(rows, i, coef, c):
            return _csr_row_dot(rows[1], rows[2], rows[3], i, coef, c)

        return csr

    def dense(rows, i, coef, c):
        return _dense_row_dot(rows[0], i, coef, c)

    return dense


@njit(fastmath=_NO_FUSING, **_INLINE)
def _dense_row_squares(X, i):
    total = 0.0
    for j in range(X.shape[1]):
        total += X[i, j] * X[i, j]
    return total


@_inline
def squared_norm(coef, c):
    """``‖coef[c]‖²``, summed in float64."""
    total = 0.0
    for j in range(coef.shape[1]):
        total += np.float64(coef[c, j]) * coef[c, j]
    return total


def track_squared_norm(rows, i, state, wscale, squares, scale, dot):
    """scikit-learn's running ``‖w‖²`` after ``v += scale · x_i``; returns ``‖v‖²``.

    ``squares`` is ``‖v‖²`` before the update and ``dot`` is ``v · x_i``.
    A dense row updates every weight, and scikit-learn sums the squares of
    all of them after the update. Here ``‖v + s x‖² = ‖v‖² + s (2 v·x + s
    ‖x‖²)`` gives the same norm, to rounding (it only feeds the stopping
    rule), from the row's squares: a sum that does not wait for the update
    (a regression epoch on 1,000 × 20 went from 56 to 48 µs). CSR rows sum
    the squares of the row's weights only, as scikit-learn does, and their
    ``‖w‖₁``; dense rows leave ``‖w‖₁`` as it was: these fits have no L1
    penalty.
    """
    raise NotImplementedError("compiled only")


@overload(track_squared_norm, jit_options=_INLINE)
def _track_squared_norm_impl(rows, i, state, wscale, squares, scale, dot):
    if _is_csr(rows):

        def csr(rows, i, state, wscale, squares, scale, dot):
            row_squares, row_absolutes = _csr_row_norms(rows[2], rows[3], i, state.coef, 0)
            state.running_norms[0, 0] = row_squares * wscale * wscale
            state.running_norms[0, 1] = row_absolutes * wscale
            return squares

        return csr

    def dense(rows, i, state, wscale, squares, scale, dot):
        row_squares = _dense_row_squares(rows[0], i)
        squares = max(0.0, squares + scale * (2.0 * dot + scale * row_squares))
        state.running_norms[0, 0] = squares * wscale * wscale
        return squares

    return dense


@overload(_row_axpy, jit_options=_INLINE)
def _row_axpy_impl(rows, i, scale, out, c):
    if _is_csr(rows):

        def csr(rows, i, scale, out, c):
            _csr_row_axpy(rows[1], rows[2], rows[3], i, scale, out, c)

        return csr

    def dense(rows, i, scale, out, c):
        _dense_row_axpy(rows[0], i, scale, out, c)

    return dense


@overload(_row_truncate_l1, jit_options=_INLINE)
def _row_truncate_l1_impl(rows, i, state, c, wscale, l1_total, correction):
    if _is_csr(rows):

        def csr(rows, i, state, c, wscale, l1_total, correction):
            indices, indptr = rows[2], rows[3]
            for k in _csr_entries(indptr, i):
                _truncate_l1(state, c, _column(indices, k), wscale, l1_total, correction)

        return csr

    def dense(rows, i, state, c, wscale, l1_total, correction):
        for j in range(rows[0].shape[1]):
            _truncate_l1(state, c, j, wscale, l1_total, correction)

    return dense


@overload(_row_norms, jit_options=_INLINE)
def _row_norms_impl(rows, i, coef, c):
    if _is_csr(rows):

        def csr(rows, i, coef, c):
            return _csr_row_norms(rows[2], rows[3], i, coef, c)

        return csr

    def dense(rows, i, coef, c):
        return _dense_row_norms(coef, c)

    return dense


# The dot products add in row order, as scikit-learn's do: sgd's first steps
# can be large enough (eta above 10) to amplify a last-bit difference to a
# different model within 20 epochs. The axpys may vectorize (no reduction)
# but never fuse a multiply-add, which rounds once where scikit-learn rounds
# twice.
@_inline
def _dense_row_dot(X, i, coef, c):
    acc = 0.0
    for j in range(X.shape[1]):
        acc += X[i, j] * coef[c, j]
    return acc


@njit(fastmath=_NO_FUSING, **_INLINE)
def _dense_row_axpy(X, i, scale, out, c):
    for j in range(X.shape[1]):
        out[c, j] += scale * X[i, j]


@njit(fastmath=_NO_FUSING, **_INLINE)
def _dense_row_norms(coef, c):
    squares = absolutes = 0.0
    for j in range(coef.shape[1]):
        squares += coef[c, j] * coef[c, j]
        absolutes += abs(coef[c, j])
    return squares, absolutes


# numba wraps a negative index around, as Python does, with a test and a
# select on every access, unless the index is unsigned. CSR offsets and
# column indices are never negative, so the loops below index by unsigned
# integers: 4 instructions per stored entry of a dot product instead of 16,
# the same arithmetic in the same order. A sparse hinge epoch (200,000 rows
# of 50 entries) went from 51 ms to 35 ms (median, one sitting).
@_inline
def _csr_entries(indptr, i):
    """The positions of row ``i``'s stored entries, as unsigned integers."""
    return range(np.uint64(indptr[i]), np.uint64(indptr[i + 1]))


@_inline
def _column(indices, k):
    """The column of stored entry ``k``, as an unsigned integer."""
    return np.uint64(indices[k])


@_inline
def _csr_row_dot(data, indices, indptr, i, coef, c):
    acc = 0.0
    for k in _csr_entries(indptr, i):
        acc += data[k] * coef[c, _column(indices, k)]
    return acc


@_inline
def _csr_row_axpy(data, indices, indptr, i, scale, out, c):
    for k in _csr_entries(indptr, i):
        out[c, _column(indices, k)] += scale * data[k]


@_inline
def _csr_row_norms(indices, indptr, i, coef, c):
    squares = absolutes = 0.0
    for k in _csr_entries(indptr, i):
        weight = coef[c, _column(indices, k)]
        squares += weight * weight
        absolutes += abs(weight)
    return squares, absolutes


@_inline
def _truncate_l1(state, c, j, wscale, l1_total, correction):
    """Tsuruoka et al.'s cumulative L1 truncation of weight ``(c, j)``, in scaled units.

    ``l1_total`` is the penalty a weight could have received so far and
    ``state.l1_applied[c, j]`` the (signed) penalty it did receive; a weight
    is pulled toward zero by the difference and never across it. A change
    ``δ`` of the weight moves the lazy average's ``A`` by ``correction · δ``
    (see :func:`_l1_step`).
    """
    z = state.coef[c, j]
    if wscale * z > 0.0:
        new = _in_coef_type(max(0.0, z - (l1_total + state.l1_applied[c, j]) / wscale), z)
    elif wscale * z < 0.0:
        new = _in_coef_type(min(0.0, z + (l1_total - state.l1_applied[c, j]) / wscale), z)
    else:
        return
    state.l1_applied[c, j] += wscale * (np.float64(new) - z)
    if correction != 0.0:
        state.average_coef[c, j] += correction * (new - z)
    state.coef[c, j] = new


# Rows are visited in random order, and waiting for each one from memory is
# most of an epoch's time otherwise. While row k is processed, the rows
# PREFETCH_DISTANCE ahead (their values, their labels and weights) are on
# their way into cache, and for CSR the row pointers twice as far ahead, which
# locating those rows needs first. (Distance 8 measured best of 2–16 here: a
# sparse epoch went from 183 ms at distance 2 to 129 ms.)
PREFETCH_DISTANCE = 8


@intrinsic
def _prefetch_ahead(typingctx, rows, y, sample_weight, order, k):
    """Start fetching what the steps ``PREFETCH_DISTANCE`` and twice that ahead need.

    Generated as LLVM IR rather than compiled from Python: numba could not
    prune the reference counts of the arrays a compiled version takes, an
    atomic update of four arrays per row.
    """
    csr = _is_csr(rows)

    def codegen(context, builder, signature, args):
        rows_type, y_type, weight_type, order_type, k_type = signature.args
        member = [
            _Array(context, builder, rows_type.types[j], builder.extract_value(args[0], j))
            for j in range(4)
        ]
        order_array = _Array(context, builder, order_type, args[3])
        n_rows = order_array.shape(0)
        k_value = context.cast(builder, args[4], k_type, types.intp)
        if csr:
            far = builder.add(k_value, _intp(2 * PREFETCH_DISTANCE))
            with builder.if_then(builder.icmp_signed("<", far, n_rows)):
                member[3].prefetch(order_array.load(far), _intp(1))
        near = builder.add(k_value, _intp(PREFETCH_DISTANCE))
        with builder.if_then(builder.icmp_signed("<", near, n_rows)):
            i = order_array.load(near)
            if csr:
                start = member[3].load(i)
                count = builder.sub(member[3].load(builder.add(i, _intp(1))), start)
                member[1].prefetch(start, count)
                member[2].prefetch(start, count)
            else:
                n_features = member[0].shape(1)
                member[0].prefetch(builder.mul(i, n_features), n_features)
            _Array(context, builder, y_type, args[1]).prefetch(i, _intp(1))
            _Array(context, builder, weight_type, args[2]).prefetch(i, _intp(1))
        return context.get_dummy_value()

    return types.void(rows, y, sample_weight, order, k), codegen


def _intp(value):
    return ir.Constant(ir.IntType(64), value)


class _Array:
    """LLVM IR that reads a C-contiguous array by flat index, for :func:`_prefetch_ahead`."""

    def __init__(self, context, builder, array_type, value):
        self.context, self.builder, self.type = context, builder, array_type
        if not isinstance(array_type, types.NoneType):
            self.array = context.make_array(array_type)(context, builder, value)

    def shape(self, axis):
        return cgutils.unpack_tuple(self.builder, self.array.shape)[axis]

    def address(self, flat_index):
        """The address of entry ``flat_index``, as an integer."""
        itemsize = self.context.get_abi_sizeof(self.context.get_data_type(self.type.dtype))
        base = self.builder.ptrtoint(self.array.data, ir.IntType(64))
        return self.builder.add(base, self.builder.mul(flat_index, _intp(itemsize)))

    def load(self, flat_index):
        """The entry at ``flat_index``, as an intp (the arrays of row indices)."""
        data_type = self.context.get_data_type(self.type.dtype)
        pointer = self.builder.inttoptr(self.address(flat_index), data_type.as_pointer())
        value = self.builder.load(pointer)
        return self.context.cast(self.builder, value, self.type.dtype, types.intp)

    def prefetch(self, flat_index, count):
        """LLVM's prefetch of the entries ``flat_index`` onward, one per 64-byte line."""
        i8_pointer = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        prefetch = cgutils.get_or_insert_function(
            self.builder.module,
            ir.FunctionType(ir.VoidType(), [i8_pointer, i32, i32, i32]),
            "llvm.prefetch.p0i8",
        )
        first = self.address(flat_index)
        last = self.address(self.builder.add(flat_index, count))
        with cgutils.for_range_slice(self.builder, first, last, _intp(64)) as (address, _):
            # read access, keep in all cache levels, data cache
            pointer = self.builder.inttoptr(address, i8_pointer)
            self.builder.call(prefetch, [pointer, i32(0), i32(3), i32(1)])
