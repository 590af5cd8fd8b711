"""Comparing result tables of two engines, and with references."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

TOLERANCE = 1e-9  # means, percentiles and other floating figures


def _is_float(s: pd.Series) -> bool:
    return pd.api.types.is_float_dtype(s.dtype)


def sorted_frame(t: pa.Table | pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    f = t.to_pandas() if isinstance(t, pa.Table) else t
    return f.sort_values(list(keys), kind="stable").reset_index(drop=True)


def assert_same_values(x: pd.Series, y: pd.Series, *, exact: bool, name: str) -> None:
    """Equal values with NULLs in the same rows: exactly, or floats within :data:`TOLERANCE`."""
    assert len(x) == len(y), name
    if not exact and _is_float(x) and _is_float(y):
        np.testing.assert_allclose(
            x.to_numpy(float), y.to_numpy(float), rtol=0, atol=TOLERANCE, equal_nan=True, err_msg=name
        )
        return
    xn, yn = x.isna().to_numpy(), y.isna().to_numpy()
    assert (xn == yn).all(), f"{name}: NULL in different rows"
    xv = x[~xn].astype(object).tolist()
    yv = y[~yn].astype(object).tolist()
    bad = [(a, b) for a, b in zip(xv, yv, strict=True) if a != b]
    assert not bad, f"{name}: {len(bad)} values differ, e.g. {bad[:3]}"


def assert_engines_equal(
    a: pa.Table, b: pa.Table, keys: Sequence[str], *, exact: Sequence[str] = ()
) -> pd.DataFrame:
    """The same schema and rows; floats within 1e-9 unless listed in ``exact``; the rest exactly.

    Returns the first table as a frame sorted by ``keys``.
    """
    assert a.schema.equals(b.schema), f"schemas differ:\n{a.schema}\n---\n{b.schema}"
    assert a.num_rows == b.num_rows
    fa, fb = sorted_frame(a, keys), sorted_frame(b, keys)
    for col in fa.columns:
        assert_same_values(fa[col], fb[col], exact=col in exact, name=col)
    return fa
