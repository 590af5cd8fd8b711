"""Computed against published classes of the national automatic stations (real exports in ../shared).

STANDARDS.md [data]: the published class of the automatic stations uses pH,
DO, CODMn, NH3-N and TP, the lake TP limits at lake and reservoir stations,
and not TN. The exports carry no year; 2021 is given (the year does not
enter the classification).
"""

from __future__ import annotations

import pytest

from ecoplan.ingest import expand_paths, ingest_files
from ecoplan.readers.water import water_reader_for
from ecoplan.store import Store
from ecoplan.water import queries
from ecoplan.water import standard as sd

from ..conftest import need
from .util import SNAPSHOTS, run

YEAR = 2021
MIN_AGREEMENT = 0.97


@pytest.fixture(scope="module")
def snapshot_store(tmp_path_factory):
    need(SNAPSHOTS)
    s = Store(tmp_path_factory.mktemp("snap") / "snap.duckdb")
    summary = ingest_files(
        s, expand_paths([SNAPSHOTS]), lambda f, h: water_reader_for(f, h, year=YEAR), domain="water"
    )
    assert all(o.status == "ok" for o in summary.outcomes), [o.message for o in summary.outcomes]
    yield s
    s.close()


def test_computed_class_equals_published(snapshot_store):
    got = run(snapshot_store, queries.published_agreement(snapshot_store.ibis))
    assert len(got) >= 90  # 37 + 58 stations carry a published class
    bad = got[~got["matches_published"].astype(bool)]
    for _, r in bad.iterrows():
        print(
            f"mismatch: {r['section']} ({r['kind']}) computed {r['class']} published {r['published_class']}"
        )
    share = 1 - len(bad) / len(got)
    print(f"agreement {len(got) - len(bad)} of {len(got)} = {share:.1%}")
    assert share >= MIN_AGREEMENT


def test_published_items_are_the_ones_classified(snapshot_store):
    """The exports hold the five published items and TN; TN never decides a class here."""
    used = sd.method()["auto_station_published"]["items"]
    got = run(snapshot_store, queries.classify(snapshot_store.ibis, period="sample"))
    deciding = {i.strip() for s in got["deciding_items"].dropna() for i in s.split(",")}
    assert deciding <= set(used)


def test_lake_stations_need_the_lake_tp_limits(snapshot_store):
    """With river limits everywhere some Taihu stations would disagree: the kind rule matters."""
    con = snapshot_store.con
    lakes = con.execute(
        "SELECT code FROM sections WHERE kind IN ('lake', 'reservoir') ORDER BY code"
    ).fetchall()
    assert [c for (c,) in lakes] == [
        "江苏省-乌龟山南",
        "江苏省-五里湖心",
        "江苏省-兰山嘴",
        "江苏省-拖山",
        "江苏省-胥湖心",
        "江苏省-锡东水厂",
    ]
    con.execute("CREATE TEMP TABLE kinds AS SELECT code, kind FROM sections")
    try:
        con.execute("UPDATE sections SET kind = 'river'")
        as_rivers = run(snapshot_store, queries.published_agreement(snapshot_store.ibis))
    finally:
        con.execute("UPDATE sections SET kind = k.kind FROM kinds k WHERE sections.code = k.code")
        con.execute("DROP TABLE kinds")
    wrong = sorted(as_rivers.loc[~as_rivers["matches_published"].astype(bool), "section"])
    assert wrong == ["江苏省-兰山嘴", "江苏省-拖山", "江苏省-胥湖心", "江苏省-锡东水厂"]
    # the *水库出口 stations follow river limits: 后湾 TP 0.011 is class I for rivers, II for lakes
    ok = run(
        snapshot_store, queries.published_agreement(snapshot_store.ibis, sections=["山西省-后湾水库出口"])
    )
    assert ok["published_class"].tolist() == ["I"] and ok["class"].tolist() == ["I"]
