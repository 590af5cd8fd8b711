"""Helpers for the water tests: write sections and samples straight to a store, run queries."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pyarrow as pa

from ecoplan.readers.water_values import SAMPLE_SCHEMA
from ecoplan.store import Store
from ecoplan.water import queries

DATA = Path(__file__).resolve().parents[1] / "data" / "water"
SNAPSHOTS = (
    Path(__file__).resolve().parents[2] / ".." / "shared" / "reference" / "water" / "auto-station-snapshot"
)

UNITS = {
    "pH": "dimensionless",
    "chla": "mg/m3",
    "SD": "m",
    "fecal_coliform": "count/L",
    "water_temperature": "degC",
}


def put_sections(store: Store, rows: list[dict]) -> None:
    cols = ["code", "name", "river", "basin", "city", "province", "kind", "control_level"]
    table = pa.table({c: pa.array([r.get(c) for r in rows], pa.string()) for c in cols})
    with store.transaction():
        store.upsert("sections", table, ingest_id=0, source="test")


def put_samples(store: Store, rows: list[tuple]) -> None:
    """rows: (section, time, item, value) or (section, time, item, value, below_dl, detection_limit)."""
    out = {k: [] for k in SAMPLE_SCHEMA.names}
    for r in rows:
        section, time, item, value = r[:4]
        below = r[4] if len(r) > 4 else False
        dl = r[5] if len(r) > 5 else None
        out["section"].append(section)
        out["time"].append(time if isinstance(time, dt.datetime) else pd.Timestamp(time).to_pydatetime())
        out["item"].append(item)
        out["value"].append(None if below else value)
        out["unit"].append(UNITS.get(item, "mg/L"))
        out["below_dl"].append(below)
        out["detection_limit"].append(dl)
        out["sample_kind"].append("manual")
    with store.transaction():
        store.upsert("water_samples", pa.table(out, schema=SAMPLE_SCHEMA), ingest_id=0, source="test")


def run(store: Store, expr) -> pd.DataFrame:
    """Execute an expression and return pandas with NULLs as None."""
    frame = queries.execute(store.ibis, expr).to_pandas()
    return frame.astype(object).where(frame.notna(), None)
