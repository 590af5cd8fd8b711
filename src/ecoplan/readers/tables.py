"""Generic tabular files (CSV, Excel, Parquet) as frames of raw cells.

The frame keeps each cell as read (text, number or timestamp; blanks as None)
so that the format readers can reject a cell naming its line and column. Line
numbers follow the file: for CSV and Excel the first data row is line
``header_line + 1``, given in ``frame.attrs["first_line"]``.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from .base import ReadError, read_csv_strings

EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
PARQUET_SUFFIXES = {".parquet", ".pq"}


def read_table(file: str | Path, data: bytes, *, sheet: str | None = None) -> pd.DataFrame:
    """Read CSV, Excel (.xlsx) or Parquet bytes into a frame of raw cells."""
    suffix = Path(file).suffix.lower()
    if suffix in PARQUET_SUFFIXES or data[:4] == b"PAR1":
        frame = _read_parquet(file, data)
    elif suffix in EXCEL_SUFFIXES or data[:2] == b"PK":
        frame = _read_excel(file, data, sheet=sheet)
    else:
        frame = read_csv_strings(data, file)
        frame.attrs["first_line"] = 2
    if frame.columns.duplicated().any():
        dup = sorted(set(frame.columns[frame.columns.duplicated()].astype(str)))
        raise ReadError(
            file, f"columns appear twice: {', '.join(dup)}", line=frame.attrs.get("first_line", 2) - 1
        )
    if len(frame.columns) == 0:
        raise ReadError(file, "the file has no columns", line=1)
    return frame


def _read_parquet(file: str | Path, data: bytes) -> pd.DataFrame:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(data))
    except Exception as exc:  # pyarrow raises several types for damaged files
        raise ReadError(file, f"not a readable Parquet file: {exc}") from exc
    frame = table.to_pandas(types_mapper=None)
    frame = frame.astype(object).where(frame.notna(), None)
    frame.attrs["first_line"] = 1  # Parquet rows are numbered from 1
    return frame


def _read_excel(file: str | Path, data: bytes, *, sheet: str | None) -> pd.DataFrame:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=False, data_only=True)
    except Exception as exc:  # openpyxl raises several types for damaged files
        raise ReadError(file, f"not a readable Excel workbook: {exc}") from exc
    ws = book[sheet] if sheet else book.worksheets[0]
    # fill merged ranges with their top-left value so headers spanning cells read whole;
    # remember the ranges spanning several columns (titles, group titles over columns)
    across: list[tuple[int, int, int, int]] = []  # 0-based first row, last row, first col, last col
    for rng in list(ws.merged_cells.ranges):
        value = ws.cell(rng.min_row, rng.min_col).value
        if rng.max_col > rng.min_col:
            across.append((rng.min_row - 1, rng.max_row - 1, rng.min_col - 1, rng.max_col - 1))
        ws.unmerge_cells(str(rng))
        for row in ws.iter_rows(
            min_row=rng.min_row, max_row=rng.max_row, min_col=rng.min_col, max_col=rng.max_col
        ):
            for cell in row:
                cell.value = value
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    rows = [[None if (isinstance(c, str) and not c.strip()) else c for c in r] for r in rows]
    while rows and all(c is None for c in rows[-1]):
        rows.pop()
    if not rows:
        raise ReadError(file, "the workbook's first sheet is empty", line=1)

    def filled(i: int) -> list[int]:
        return [j for j, c in enumerate(rows[i]) if c is not None]

    def merged_across(i: int, j: int) -> bool:
        return any(r0 <= i <= r1 and c0 <= j <= c1 for r0, r1, c0, c1 in across)

    def is_title(i: int) -> bool:
        """One text merged across the row (a sheet title above the table)."""
        cols = filled(i)
        return bool(cols) and any(
            r0 <= i <= r1 and c0 <= min(cols) and max(cols) <= c1 for r0, r1, c0, c1 in across
        )

    width = max(len(filled(i)) for i in range(len(rows)))
    # header: the first row filled at least half as wide as the widest row, titles skipped
    h = next(
        (i for i in range(len(rows)) if len(filled(i)) >= max(1, width / 2) and not is_title(i)),
        next(i for i in range(len(rows)) if len(filled(i)) >= max(1, width / 2)),
    )
    header = [str(c).strip() if c is not None else "" for c in rows[h]]
    start = h + 1
    if start < len(rows) and any(merged_across(h, j) for j in filled(h)):
        # group titles merged over several columns: the row below names the columns
        # (a header merged down over both rows reads the same in each)
        sub = [str(c).strip() if c is not None else "" for c in rows[start]]
        header = [
            (b or a) if merged_across(h, j) else a if b in ("", a) else f"{a}({b})"
            for j, (a, b) in enumerate(zip(header, sub + [""] * (len(header) - len(sub)), strict=False))
        ]
        start += 1
    # a second header row (units under merged titles): all text, no numbers
    elif start < len(rows) and _is_header_continuation(rows[start]):
        header = [
            (a + (f"({b})" if b and b != a else "")).strip()
            for a, b in zip(
                header, [str(c).strip() if c is not None else "" for c in rows[start]], strict=False
            )
        ]
        start += 1
    keep = [i for i, name in enumerate(header) if name]
    body = [[r[i] if i < len(r) else None for i in keep] for r in rows[start:]]
    frame = pd.DataFrame(body, columns=[header[i] for i in keep], dtype=object)
    frame = frame.where(frame.notna(), None)
    frame.attrs["first_line"] = start + 1
    return frame


def _is_header_continuation(row: list) -> bool:
    cells = [c for c in row if c is not None]
    if not cells or not all(isinstance(c, str) for c in cells):
        return False
    # units such as mg/L or μg/m³ under the item titles
    return all(any(u in c for u in ("/", "个", "℃", "单位", "无量纲")) for c in cells)
