"""Water readers: :func:`water_reader_for` picks one by content, :func:`section_reader` reads section lists."""

from __future__ import annotations

import functools
from collections.abc import Collection

from . import header_of, water_auto_snapshot, water_long, water_sections, water_wide
from .base import ReadError

WATER_FORMATS = {
    water_auto_snapshot.NAME: water_auto_snapshot,
    water_long.NAME: water_long,
    water_wide.NAME: water_wide,
}
# short names accepted by --format
FORMAT_ALIASES = {"auto-snapshot": water_auto_snapshot.NAME, "long": water_long.NAME, "wide": water_wide.NAME}

__all__ = ["FORMAT_ALIASES", "WATER_FORMATS", "section_reader", "water_reader_for"]


def water_reader_for(
    file: str,
    head: bytes,
    fmt: str | None = None,
    sections: Collection[str] | None = None,
    *,
    year: int | None = None,
    sample_kind: str | None = None,
):
    """The reader for a water-quality file, by ``fmt`` or by its header.

    ``sections``: known section codes; values of other sections are rejected.
    ``year``: the year of automatic-station exports whose times have none.
    ``sample_kind``: manual or auto, for files without a sample-kind column
    (default manual; automatic-station exports are auto).
    """
    if fmt is not None:
        name = FORMAT_ALIASES.get(fmt, fmt)
        if name not in WATER_FORMATS:
            known = ", ".join([*FORMAT_ALIASES, *WATER_FORMATS])
            raise ReadError(file, f"unknown water format {fmt!r}; known: {known}")
        module = WATER_FORMATS[name]
    else:
        header = header_of(file, head)
        for module in (water_auto_snapshot, water_long, water_wide):
            if module.matches(header):
                break
        else:
            raise ReadError(
                file,
                "not a known water format (automatic-station export, long or wide sample table); "
                f"header: {','.join(header[:8])}",
                line=1,
            )
    kwargs = {"sections": sections, "sample_kind": sample_kind}
    if module is water_auto_snapshot:
        kwargs["year"] = year
    fn = functools.partial(module.read, **kwargs)
    fn.name = module.NAME  # type: ignore[attr-defined]
    return fn


def section_reader(file: str, head: bytes):
    """The reader of a section list (断面编码, 断面名称, 河流, 流域, 城市, 类型, 控制级别, 经度, 纬度)."""
    fn = functools.partial(water_sections.read)
    fn.name = water_sections.NAME  # type: ignore[attr-defined]
    return fn
