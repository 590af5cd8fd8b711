"""Yearly reports: a self-contained HTML page and an Excel workbook.

``collect(store, year)`` (:mod:`.build`) gathers the tables of one year with
the API's own query functions, so that the report's numbers are the API's;
``write_html`` (:mod:`.html`) and ``write_excel`` (:mod:`.excel`) lay them
out. ``write_report`` does both steps for one format::

    from ecoplan.report import write_report
    with Store("ecoplan.duckdb", read_only=True) as store:
        write_report(store, 2024, "report-2024.html")            # format from the suffix
        write_report(store, 2024, "report-2024.xlsx", lang="en")
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .build import SOURCES, TABLES, ReportData, collect, generated_data_evidence

__all__ = [
    "FORMATS",
    "SOURCES",
    "TABLES",
    "ReportData",
    "collect",
    "format_for",
    "generated_data_evidence",
    "write_report",
]

FORMATS = ("html", "xlsx")


def format_for(path: str | Path, fmt: str | None = None) -> str:
    """The format asked for, or the one the file's suffix names (``.html``/``.htm``, ``.xlsx``)."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
        return fmt
    suffix = Path(path).suffix.lower()
    if suffix in (".html", ".htm"):
        return "html"
    if suffix == ".xlsx":
        return "xlsx"
    raise ValueError(f"cannot tell the format from {Path(path).name!r}: give html or xlsx")


def write_report(
    source: Any,
    year: int,
    path: str | Path,
    *,
    fmt: str | None = None,
    lang: str = "zh",
    plan: Any = None,
    data: ReportData | None = None,
) -> Path:
    """Collect the tables of ``year`` (unless ``data`` is given) and write the report to ``path``."""
    fmt = format_for(path, fmt)
    data = data or collect(source, year, plan=plan)
    if fmt == "html":
        from .html import write_html

        return write_html(data, path, lang=lang)
    from .excel import write_excel

    return write_excel(data, path, lang=lang)
