"""Trophic level index TLI(Σ) (总站生字〔2001〕090号, secondary; coefficients as in STANDARDS.md)."""

from __future__ import annotations

import datetime as dt
import math

import ibis
import pyarrow as pa
import pytest

from ecoplan.water import queries
from ecoplan.water import standard as sd
from ecoplan.water import trophic as wt

from .util import put_samples, put_sections, run

T = dt.datetime(2021, 7, 1, 10, 0)
HAND = {"chla": 10.0, "TP": 0.05, "TN": 1.0, "SD": 1.0, "CODMn": 4.0}


def reference_tli(values: dict[str, float]) -> float:
    """TLI(Σ) written out from STANDARDS.md's formulas (not from the table file)."""
    parts = {
        "chla": 10 * (2.5 + 1.086 * math.log(values["chla"])) if "chla" in values else None,
        "TP": 10 * (9.436 + 1.624 * math.log(values["TP"])) if "TP" in values else None,
        "TN": 10 * (5.453 + 1.694 * math.log(values["TN"])) if "TN" in values else None,
        "SD": 10 * (5.118 - 1.94 * math.log(values["SD"])) if "SD" in values else None,
        "CODMn": 10 * (0.109 + 2.661 * math.log(values["CODMn"])) if "CODMn" in values else None,
    }
    r2 = {"chla": 1.0, "TP": 0.84**2, "TN": 0.82**2, "SD": 0.83**2, "CODMn": 0.83**2}
    used = [k for k, v in parts.items() if v is not None]
    return sum(parts[k] * r2[k] for k in used) / sum(r2[k] for k in used)


@pytest.fixture
def lake(store):
    put_sections(
        store, [{"code": "L1", "kind": "lake", "river": "汾河水库"}, {"code": "R1", "kind": "river"}]
    )
    return store


def test_hand_case(lake):
    put_samples(lake, [("L1", T, k, v) for k, v in HAND.items()])
    r = run(lake, queries.trophic(lake.ibis, year=2021)).iloc[0]
    assert r["tli"] == pytest.approx(48.0, abs=0.05)  # the brief's hand case: about 48.0
    assert r["tli"] == pytest.approx(reference_tli(HAND), abs=1e-9)
    assert r["tli_chla"] == pytest.approx(50.006, abs=1e-3)
    assert (r["trophic_zh"], r["trophic_en"]) == ("中营养", "mesotrophic")
    assert r["weights_note"] == "all five items"
    assert r["items_used"] == "chla, TP, TN, SD, CODMn"


def test_weights_renormalised_when_an_item_is_missing(lake):
    values = {k: v for k, v in HAND.items() if k != "SD"}
    put_samples(lake, [("L1", T, k, v) for k, v in values.items()])
    r = run(lake, queries.trophic(lake.ibis, year=2021)).iloc[0]
    assert r["tli"] == pytest.approx(reference_tli(values), abs=1e-9)
    assert r["weights_note"] == "weights renormalised over chla, TP, TN, CODMn; missing SD"
    assert r["SD"] is None


def test_rivers_have_no_trophic_state(lake):
    put_samples(lake, [("R1", T, k, v) for k, v in HAND.items()])
    assert run(lake, queries.trophic(lake.ibis, year=2021)).empty


def test_by_lake_averages_the_lakes_sections(store):
    put_sections(
        store,
        [
            {"code": "a", "kind": "lake", "river": "太湖"},
            {"code": "b", "kind": "lake", "river": "太湖"},
        ],
    )
    put_samples(store, [("a", T, k, v) for k, v in HAND.items()])
    put_samples(store, [("b", T, k, v * 2) for k, v in HAND.items()])
    r = run(store, queries.trophic(store.ibis, year=2021, by="lake")).iloc[0]
    assert r["lake"] == "太湖"
    mean = {k: v * 1.5 for k, v in HAND.items()}
    assert r["tli"] == pytest.approx(reference_tli(mean), abs=1e-9)


def test_class_boundaries():
    values = [29.99, 30.0, 50.0, 50.01, 60.0, 60.01, 70.0, 70.01, None]
    t = ibis.memtable(pa.table({"tli": pa.array(values, pa.float64())}))
    got = ibis.duckdb.connect().to_pyarrow(t.select(c=wt.tli_class(t.tli, "en"))).column("c").to_pylist()
    assert got == [
        "oligotrophic",
        "mesotrophic",
        "mesotrophic",
        "light eutrophic",
        "light eutrophic",
        "middle eutrophic",
        "middle eutrophic",
        "hyper eutrophic",
        None,
    ]


def test_weights_from_the_table_file():
    w = sd.tli_weights()
    assert sum(w.values()) == pytest.approx(1.0)
    # the often-quoted weights 0.2663 0.1879 0.1790 0.1834 0.1834
    assert [round(w[k], 4) for k in ("chla", "TP", "TN", "SD", "CODMn")] == [
        0.2663,
        0.1879,
        0.1790,
        0.1834,
        0.1834,
    ]
