"""Writing result tables: CSV, Parquet or JSON by the file's extension.

Nothing below the outputs prints; the CLI and the API call these with the
tables the assessments return.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

FORMATS = (".csv", ".parquet", ".json")


class OutputError(ValueError):
    pass


def to_frame(data: Any) -> pd.DataFrame:
    """A pandas frame from an Arrow table, a frame or a list of dicts."""
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, pa.Table):
        return data.to_pandas()
    if isinstance(data, list):
        return pd.DataFrame(data)
    raise TypeError(f"cannot write {type(data).__name__}")


def json_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-safe dicts: NULL/NaN as None, timestamps as ISO text."""
    out = []
    for row in frame.to_dict(orient="records"):
        out.append({k: json_value(v) for k, v in row.items()})
    return out


def json_value(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if hasattr(v, "item"):  # numpy scalars
        try:
            return json_value(v.item())
        except (ValueError, TypeError):
            return str(v)
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return v


def write_table(data: Any, path: str | Path) -> Path:
    """Write ``data`` to ``path`` as .csv (UTF-8 with BOM, opens in Excel), .parquet or .json."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise OutputError(f"{path}: output format must be one of {', '.join(FORMATS)}")
    frame = to_frame(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        frame.to_csv(path, index=False, encoding="utf-8-sig")
    elif suffix == ".parquet":
        table = pa.Table.from_pandas(frame, preserve_index=False)
        pq.write_table(table, path)
    else:
        path.write_text(json.dumps(json_records(frame), ensure_ascii=False, indent=1), encoding="utf-8")
    return path
