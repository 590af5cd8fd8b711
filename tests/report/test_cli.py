"""``ecoplan report`` end to end on the generated store, and its refusals."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from ecoplan.cli import app
from ecoplan.report.excel import HEADER_ROWS

from .conftest import YEAR

runner = CliRunner()


def _run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def db(generated):
    return str(generated.db)


def test_html_report(db, tmp_path):
    out = tmp_path / "report.html"
    res = _run("--db", db, "report", "--year", str(YEAR), "--out", str(out))
    assert res.exit_code == 0, res.output
    assert "wrote" in res.output and "GENERATED" in res.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and '<html lang="zh-CN">' in text
    assert 'id="generated-notice"' in text and 'id="provenance"' in text


def test_excel_report_in_english(db, tmp_path, data):
    out = tmp_path / "report.xlsx"
    res = _run(
        "--db", db, "report", "--year", str(YEAR), "--format", "xlsx", "--lang", "en", "--out", str(out)
    )
    assert res.exit_code == 0, res.output
    wb = load_workbook(out)
    ws = wb["Air annual"]
    cities = [ws.cell(row=i, column=1).value for i in range(HEADER_ROWS + 1, ws.max_row + 1)]
    assert cities == data.tables["air_annual"]["city"].to_pylist()
    pm25 = [ws.cell(row=i, column=3).value for i in range(HEADER_ROWS + 1, ws.max_row + 1)]
    assert ws.cell(row=HEADER_ROWS, column=3).value == "pm2_5_mean"
    assert pm25 == data.tables["air_annual"]["pm2_5_mean"].to_pylist()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--out", "report.pdf"], "cannot tell the format"),
        (["--out", "report.html", "--format", "pdf"], "format must be one of html, xlsx"),
        (["--out", "report.html", "--lang", "fr"], "use zh or en"),
        (["--out", "report.html", "--plan", "no-such-plan"], "no bundled plan"),
    ],
)
def test_refusals(db, tmp_path, args, message):
    res = runner.invoke(app, ["--db", db, "report", "--year", str(YEAR), *args])
    assert res.exit_code == 2
    assert message in " ".join(res.output.split())


def test_no_store(tmp_path):
    missing = tmp_path / "missing.duckdb"
    res = runner.invoke(
        app, ["--db", str(missing), "report", "--year", "2021", "--out", str(tmp_path / "r.html")]
    )
    assert res.exit_code == 2
    assert "no store" in res.output
    assert not missing.exists()
