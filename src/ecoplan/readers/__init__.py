"""Readers, one module per source format. :func:`air_reader_for` picks one by content."""

from __future__ import annotations

import functools
from pathlib import Path

from . import cnemc_hourly, cnemc_sites, long_table, stations, wide_table
from .base import ReadError, ReadResult, decode
from .tables import EXCEL_SUFFIXES, PARQUET_SUFFIXES, read_table

AIR_FORMATS = {
    cnemc_sites.NAME: cnemc_sites,
    cnemc_hourly.NAME: cnemc_hourly,
    long_table.NAME: long_table,
    wide_table.NAME: wide_table,
}

__all__ = ["AIR_FORMATS", "ReadError", "ReadResult", "air_reader_for", "header_of", "station_reader"]


def header_of(file: str, head: bytes) -> list[str]:
    """Column names of a file from its first bytes (CSV) or its whole content (Excel, Parquet)."""
    suffix = Path(file).suffix.lower()
    if suffix in EXCEL_SUFFIXES | PARQUET_SUFFIXES or head[:2] == b"PK" or head[:4] == b"PAR1":
        data = Path(file).read_bytes()
        return [str(c) for c in read_table(file, data).columns]
    try:
        text = decode(head, file)
    except ReadError:
        # the head may end inside a multi-byte character
        text = decode(head[: head.rfind(b"\n") + 1] or head, file)
    first = text.splitlines()[0] if text.strip() else ""
    if not first:
        raise ReadError(file, "the file is empty", line=1)
    return [c.strip().strip('"') for c in first.split(",")]


def air_reader_for(file: str, head: bytes, *, fmt: str | None = None, stations: set[str] | None = None):
    """The reader for an air file, by ``fmt`` or by its header."""
    if fmt is not None:
        if fmt not in AIR_FORMATS:
            raise ReadError(file, f"unknown air format {fmt!r}; known: {', '.join(AIR_FORMATS)}")
        module = AIR_FORMATS[fmt]
    else:
        header = header_of(file, head)
        for module in (cnemc_sites, cnemc_hourly, long_table, wide_table):
            if module.matches(header):
                break
        else:
            raise ReadError(
                file,
                "not a known air format (daily site file, per-hour national file, long or wide table); "
                f"header: {','.join(header[:8])}",
                line=1,
            )
    fn = functools.partial(module.read, stations=stations)
    fn.name = module.NAME  # type: ignore[attr-defined]
    return fn


def station_reader(file: str, head: bytes):
    fn = functools.partial(stations.read)
    fn.name = stations.NAME  # type: ignore[attr-defined]
    return fn
