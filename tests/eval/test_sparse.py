"""Targets and seen items in every accepted format become the same RowSets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch

from bench.eval.sparse import RowSets, as_row_sets, csr_from_frame

DENSE = np.array([[0, 2, 0, 1], [0, 0, 0, 0], [3, 0, 0, 0]], dtype=np.float64)


@pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta")
@pytest.mark.parametrize(
    "make",
    [sp.csr_matrix, sp.coo_matrix, sp.csc_matrix, torch.from_numpy, np.asarray,
     lambda d: torch.from_numpy(d).to_sparse_coo(), lambda d: torch.from_numpy(d).to_sparse_csr()],
)  # fmt: skip
def test_formats_agree(make) -> None:
    sets = as_row_sets(make(DENSE), 3, 4)
    assert sets.indptr.tolist() == [0, 2, 2, 3]
    assert sets.indices.tolist() == [1, 3, 0]
    assert sets.values.tolist() == [2.0, 1.0, 3.0]
    assert sets.flat_keys().tolist() == [1, 3, 8]


def test_duplicates_are_summed_and_zeros_dropped() -> None:
    coo = sp.coo_matrix(([1.0, 1.0, 0.0, 2.0], ([1, 1, 0, 0], [2, 2, 1, 0])), shape=(2, 3))
    sets = as_row_sets(coo, 2, 3)
    assert (sets.indptr.tolist(), sets.indices.tolist(), sets.values.tolist()) == (
        [0, 1, 2], [0, 2], [2.0, 2.0],
    )  # fmt: skip


def test_take_and_slice() -> None:
    sets = as_row_sets(DENSE, 3, 4)
    taken = sets.take(torch.tensor([2, 0, 0]))
    assert taken.indptr.tolist() == [0, 1, 3, 5]
    assert taken.indices.tolist() == [0, 1, 3, 1, 3]
    part = sets.slice(1, 3)
    assert (part.indptr.tolist(), part.indices.tolist()) == ([0, 0, 1], [0])
    assert isinstance(sets.to("cpu"), RowSets)


def test_csr_from_frame_keeps_one_entry_per_pair() -> None:
    frame = pd.DataFrame({"user": [0, 0, 1, 0], "item": [2, 2, 0, 1], "rating": [3.0, 5.0, 1, 4]})
    matrix = csr_from_frame(frame, 2, 3, value="rating")
    assert matrix.toarray().tolist() == [[0.0, 4.0, 5.0], [1.0, 0.0, 0.0]]
    assert csr_from_frame(frame.iloc[:0], 2, 3).nnz == 0
    with pytest.raises(ValueError, match=r"item ids outside \[0, 2\)"):
        csr_from_frame(frame, 2, 2)
