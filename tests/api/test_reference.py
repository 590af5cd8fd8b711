"""The API over the real 2019 Shanxi station data (skipped where the reference data are absent)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from ecoplan.air import queries
from ecoplan.api import create_app
from ecoplan.api.respond import rows


def test_city_ranking_of_2019(reference_store) -> None:
    with TestClient(create_app(reference_store)) as client:
        res = client.get("/api/air/ranking", params={"year": 2019})
        assert res.status_code == 200, res.text
        ranked = res.json()["items"]
        b = reference_store.ibis
        annual = queries.execute(b, queries.period(b, year=2019, period="year", by="city"))
        want = sorted(rows(annual), key=lambda r: r["composite_index"])
        print([(r["rank"], r["city"], round(r["composite_index"], 2), r["valid"]) for r in ranked])
        assert [r["city"] for r in ranked] == [r["city"] for r in want]
        assert [r["composite_index"] for r in ranked] == [r["composite_index"] for r in want]
        assert [r["rank"] for r in ranked] == list(range(1, len(want) + 1))
