"""Tensors on the wire <-> numpy arrays (protocol reference §7, §7.1-§7.3).

Protobuf tensors carry little-endian packed bytes: dense, or CSR with int64 ``crow_indices`` and
``col_indices``. ``BatchedTensor`` concatenates one tensor per datum, with int64 *byte* offsets
(``num_datums + 1`` of them) and a shared trailing shape. JSON ``TensorData`` carries a flat
``data`` list with an optional ``shape`` and optional CSR index lists. Every malformed input raises
:class:`WireFormatError` naming the field it came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from tinker_harness.contracts.proto import tinker_public_pb2 as pb

__all__ = [
    "WireFormatError",
    "array_to_tensor",
    "arrays_to_batched",
    "batched_to_arrays",
    "float32_bytes",
    "int32_bytes",
    "json_tensor_to_array",
    "array_to_json_tensor",
    "read_float32",
    "read_int32",
    "tensor_to_array",
]

AnyArray = npt.NDArray[Any]

_NUMPY_DTYPES: dict[int, np.dtype[Any]] = {
    pb.DTYPE_FLOAT32: np.dtype("<f4"),
    pb.DTYPE_INT64: np.dtype("<i8"),
    pb.DTYPE_INT32: np.dtype("<i4"),
    pb.DTYPE_BFLOAT16: np.dtype("<u2"),
}
_JSON_DTYPES: dict[str, np.dtype[Any]] = {"float32": np.dtype("<f4"), "int64": np.dtype("<i8")}


class WireFormatError(ValueError):
    """A tensor or packed array on the wire is malformed; the message names the field."""


def _frombuffer(raw: bytes, dtype: np.dtype[Any], where: str) -> AnyArray:
    if len(raw) % dtype.itemsize:
        raise WireFormatError(f"{where}: {len(raw)} bytes is not a whole number of {dtype.itemsize}-byte items")
    return np.frombuffer(raw, dtype=dtype)


def read_int32(raw: bytes, where: str) -> npt.NDArray[np.int64]:
    """Packed little-endian int32 (token ids) as int64."""
    return _frombuffer(raw, np.dtype("<i4"), where).astype(np.int64)


def read_float32(raw: bytes, where: str) -> npt.NDArray[np.float32]:
    return _frombuffer(raw, np.dtype("<f4"), where).astype(np.float32)


def int32_bytes(values: Sequence[int] | AnyArray) -> bytes:
    return np.asarray(values, dtype="<i4").tobytes()


def float32_bytes(values: Sequence[float] | AnyArray) -> bytes:
    return np.asarray(values, dtype="<f4").tobytes()


def _decode_values(raw: bytes, dtype: int, where: str) -> AnyArray:
    if dtype not in _NUMPY_DTYPES:
        raise WireFormatError(f"{where}: unsupported dtype {dtype}")
    values = _frombuffer(raw, _NUMPY_DTYPES[dtype], where)
    if dtype == pb.DTYPE_BFLOAT16:  # widen bfloat16 bit patterns to float32
        return (values.astype(np.uint32) << 16).view(np.float32)
    if dtype == pb.DTYPE_INT32:
        return values.astype(np.int64)
    return values.copy()


MAX_DIMENSION = 2**31 - 1  # no real tensor comes near it; larger values would overflow numpy's int64 arithmetic


def _check_shape(shape: Sequence[int], where: str) -> tuple[int, ...]:
    if any(d < 0 for d in shape):
        raise WireFormatError(f"{where}: negative dimension in shape {list(shape)}")
    if any(d > MAX_DIMENSION for d in shape):
        raise WireFormatError(f"{where}: dimension larger than {MAX_DIMENSION} in shape {list(shape)}")
    return tuple(int(d) for d in shape)


def _index_array(values: Sequence[int], name: str, where: str) -> npt.NDArray[np.int64]:
    """CSR indices from JSON: integers that fit int64, or a WireFormatError naming the list."""
    try:
        return np.asarray(values, dtype=np.int64)
    except (OverflowError, ValueError, TypeError) as exc:
        raise WireFormatError(f"{where}: {name} must be int64 integers: {exc}") from None


def _csr_to_dense(values: AnyArray, crow: AnyArray, col: AnyArray, shape: tuple[int, ...], where: str) -> AnyArray:
    if len(shape) != 2:
        raise WireFormatError(f"{where}: sparse CSR tensors must be 2-D, got shape {list(shape)}")
    rows, cols = shape
    if len(crow) != rows + 1 or (len(crow) and (crow[0] != 0 or np.any(np.diff(crow) < 0))):
        raise WireFormatError(f"{where}: crow_indices must be non-decreasing, start at 0 and have {rows + 1} entries")
    if len(col) != len(values) or (len(crow) and crow[-1] != len(values)):
        raise WireFormatError(f"{where}: {len(values)} values but {len(col)} col_indices and crow end {crow[-1]}")
    if len(col) and (col.min() < 0 or col.max() >= cols):
        raise WireFormatError(f"{where}: col_indices out of range for {cols} columns")
    dense = np.zeros(shape, dtype=values.dtype)
    row_of = np.repeat(np.arange(rows), np.diff(crow))
    dense[row_of, col] = values
    return dense


def tensor_to_array(tensor: pb.Tensor, where: str) -> AnyArray:
    """A protobuf ``Tensor`` (dense or CSR) as a dense numpy array of its declared shape."""
    shape = _check_shape(tensor.shape, where)
    which = tensor.WhichOneof("encoding")
    if which == "sparse_csr":
        csr = tensor.sparse_csr
        values = _decode_values(csr.values, tensor.dtype, f"{where}.sparse_csr.values")
        crow = _frombuffer(csr.crow_indices, np.dtype("<i8"), f"{where}.sparse_csr.crow_indices")
        col = _frombuffer(csr.col_indices, np.dtype("<i8"), f"{where}.sparse_csr.col_indices")
        return _csr_to_dense(values, crow, col, shape, where)
    values = _decode_values(tensor.dense, tensor.dtype, f"{where}.dense")
    if not shape:
        shape = (values.size,)
    if int(np.prod(shape)) != values.size:
        raise WireFormatError(f"{where}: {values.size} values do not fill shape {list(shape)}")
    return values.reshape(shape)


def array_to_tensor(array: AnyArray) -> pb.Tensor:
    """A dense protobuf ``Tensor`` (float arrays as FLOAT32, integer arrays as INT64)."""
    if np.issubdtype(array.dtype, np.integer):
        return pb.Tensor(dense=array.astype("<i8").tobytes(), dtype=pb.DTYPE_INT64, shape=list(array.shape))
    return pb.Tensor(dense=array.astype("<f4").tobytes(), dtype=pb.DTYPE_FLOAT32, shape=list(array.shape))


def arrays_to_batched(arrays: Sequence[AnyArray]) -> pb.BatchedTensor:
    """Concatenate per-datum arrays sharing trailing dimensions into one ``BatchedTensor``."""
    if not arrays:
        return pb.BatchedTensor(data=b"", offsets=np.zeros(1, dtype="<i8").tobytes(), dtype=pb.DTYPE_FLOAT32)
    integer = np.issubdtype(arrays[0].dtype, np.integer)
    dtype = np.dtype("<i8") if integer else np.dtype("<f4")
    chunks = [np.ascontiguousarray(a, dtype=dtype).tobytes() for a in arrays]
    offsets = np.concatenate([[0], np.cumsum([len(c) for c in chunks])]).astype("<i8")
    return pb.BatchedTensor(
        data=b"".join(chunks),
        offsets=offsets.tobytes(),
        dtype=pb.DTYPE_INT64 if integer else pb.DTYPE_FLOAT32,
        trailing_shape=list(arrays[0].shape[1:]),
    )


def batched_to_arrays(batched: pb.BatchedTensor, where: str) -> list[AnyArray]:
    """Split a ``BatchedTensor`` back into per-datum arrays of shape ``[n, *trailing_shape]``."""
    offsets = _frombuffer(batched.offsets, np.dtype("<i8"), f"{where}.offsets")
    if len(offsets) == 0 or offsets[0] != 0 or offsets[-1] != len(batched.data) or np.any(np.diff(offsets) < 0):
        raise WireFormatError(f"{where}.offsets must rise from 0 to len(data)={len(batched.data)}")
    trailing = _check_shape(batched.trailing_shape, f"{where}.trailing_shape")
    per_row = int(np.prod(trailing)) if trailing else 1
    arrays = []
    for i in range(len(offsets) - 1):
        values = _decode_values(batched.data[offsets[i] : offsets[i + 1]], batched.dtype, f"{where}[{i}]")
        if per_row == 0 or values.size % per_row:
            raise WireFormatError(f"{where}[{i}]: {values.size} values do not fit trailing shape {list(trailing)}")
        arrays.append(values.reshape((values.size // per_row, *trailing)))
    return arrays


def json_tensor_to_array(
    data: Sequence[float | int],
    dtype: str,
    shape: Sequence[int] | None,
    crow: Sequence[int] | None,
    col: Sequence[int] | None,
    where: str,
) -> AnyArray:
    """A JSON ``TensorData`` (flat ``data`` plus shape, optionally CSR) as a dense array."""
    if dtype not in _JSON_DTYPES:
        raise WireFormatError(f"{where}: dtype must be int64 or float32, got {dtype!r}")
    try:
        with np.errstate(over="raise", invalid="raise"):
            values = np.asarray(data, dtype=_JSON_DTYPES[dtype])
    except (OverflowError, ValueError, TypeError, FloatingPointError) as exc:
        raise WireFormatError(f"{where}: data does not fit dtype {dtype}: {exc}") from None
    if values.ndim != 1:
        raise WireFormatError(f"{where}: data must be a flat list")
    dims = _check_shape(shape, where) if shape is not None else (values.size,)
    if crow is not None or col is not None:
        if crow is None or col is None:
            raise WireFormatError(f"{where}: sparse tensors need both sparse_crow_indices and sparse_col_indices")
        crow_array = _index_array(crow, "sparse_crow_indices", where)
        col_array = _index_array(col, "sparse_col_indices", where)
        return _csr_to_dense(values, crow_array, col_array, dims, where)
    if int(np.prod(dims)) != values.size:
        raise WireFormatError(f"{where}: {values.size} values do not fill shape {list(dims)}")
    return values.reshape(dims)


def array_to_json_tensor(array: AnyArray) -> dict[str, Any]:
    """The JSON ``TensorData`` form of an array (floats as float32, integers as int64)."""
    integer = np.issubdtype(array.dtype, np.integer)
    flat = array.astype(np.int64 if integer else np.float32).reshape(-1)
    return {"data": flat.tolist(), "dtype": "int64" if integer else "float32", "shape": list(array.shape)}
