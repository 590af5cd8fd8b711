"""Eco-flow compliance on both engines: the real USGS series 04135700 (1966-2019, with gaps).

Expected values: each engine equals the other (days, runs and flags
exactly; flows, rates and ratios within 1e-9) and both equal the pandas
reference of ``tests/flow/reference.py`` computed from the file. Stricter
shares than the plan's (0.6 and 0.7 of the multi-year mean) make shortfall
days and runs occur.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ecoplan.flow import load_rule, queries
from ecoplan.readers.flow import CFS_TO_M3S

from ..flow import reference as ref
from .compare import assert_engines_equal, assert_same_values
from .conftest import USGS_FILE

pytestmark = pytest.mark.spark

SHARES = (0.6, 0.7)
EXACT = [
    "gauge",
    "name",
    "river",
    "section",
    "basin",
    "year",
    "period",
    "period_zh",
    "period_en",
    "period_order",
    "start_date",
    "end_date",
    "expected_days",
    "observed_days",
    "missing_days",
    "gap_flag",
    "reference_years",
    "reference_first",
    "reference_last",
    "compliant_days",
    "shortfall_days",
    "longest_shortfall_run",
    "windows_7day",
    "volume_compliant",
]


def test_compliance_equal_on_both_engines_and_to_the_reference(exchange, duck, spark) -> None:
    exchange.need("flow")
    rule = load_rule(thresholds=SHARES)
    d, s = (queries.execute(b.ibis, queries.compliance(b.ibis, rule=rule)) for b in (duck, spark))
    got = assert_engines_equal(d, s, ["gauge", "year", "period_order"], exact=EXACT)
    assert (got["longest_shortfall_run"] > 1).any() and (got["compliance_rate"] < 1).any()

    raw = pd.read_csv(USGS_FILE, dtype={"discharge": float}, parse_dates=["date"])
    series = pd.Series(raw["discharge"].to_numpy() * CFS_TO_M3S, index=pd.DatetimeIndex(raw["date"]))
    mean, _, want = ref.assess(series, shares=SHARES)
    for engine, table in (("duckdb", d), ("spark", s)):
        f = want.merge(table.to_pandas(), on=["year", "period"], suffixes=("_ref", ""), validate="one_to_one")
        assert len(f) == len(want) == table.num_rows, engine
        np.testing.assert_allclose(f["reference_mean"], mean, rtol=1e-12)
        for col in (
            "expected_days",
            "observed_days",
            "missing_days",
            "gap_flag",
            "compliant_days",
            "windows_7day",
        ):
            assert (f[col].to_numpy() == f[f"{col}_ref"].to_numpy()).all(), f"{engine} {col}"
        runs = f["longest_shortfall_run"].astype("float64")
        assert_same_values(runs, f["longest_shortfall_run_ref"].astype("float64"), exact=True, name=engine)
        for col in ("mean_flow", "compliance_rate", "min_7day_mean", "min_7day_ratio"):
            assert_same_values(
                f[col].astype("float64"),
                f[f"{col}_ref"].astype("float64"),
                exact=False,
                name=f"{engine} {col}",
            )
