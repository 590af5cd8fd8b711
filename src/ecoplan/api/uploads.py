"""Uploaded files: checked, written to a private temporary folder under safe names, ingested, removed.

- Size: the request body is limited (``Settings.max_upload_bytes``) by the
  app's body-limit middleware before anything is parsed or stored.
- Type: the file name must end with an accepted suffix (``.csv``, ``.xlsx``,
  ``.parquet`` ...) and the content must look like it (an Excel workbook is a
  zip, a Parquet file starts with ``PAR1``, a text file holds no NUL byte).
  One unacceptable file refuses the whole request (415) and nothing is read.
- Names: the client's file name is a label, never a path. Only its last
  component is kept, reduced to letters, digits and ``-_.()``; the bytes are
  written to ``<tmp>/<n>/<safe name>`` inside a fresh ``TemporaryDirectory``
  that is removed when the request ends, whatever happens. The readers see
  ``upload/<safe name>``: that is what the ingest log and the rows'
  provenance record, and what a gauge code or a year in a file name is read
  from, as with the command line.
- The files then go through :func:`ecoplan.ingest.ingest_files` with the same
  readers as ``ecoplan ingest``: one transaction, nothing stored twice, a
  file that cannot be read logged as failed and storing nothing.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import UploadFile

from ..ingest import IngestSummary, ingest_files
from ..readers.base import ReadError
from ..store import Store
from .errors import ApiError

UPLOAD_PREFIX = "upload/"
_UNSAFE = re.compile(r"[^\w\-.()]+", re.UNICODE)
MAX_NAME = 120


def safe_name(name: str | None, index: int) -> str:
    """The last component of a client's file name, reduced to safe characters (never empty, no leading dot)."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFKC", name or ""))[-1]
    base = "".join(ch for ch in base if ch.isprintable())
    base = _UNSAFE.sub("_", base).strip("._ ")
    base = re.sub(r"\.{2,}", ".", base)
    if len(base) > MAX_NAME:
        stem, dot, suffix = base.rpartition(".")
        base = (
            (stem[: MAX_NAME - len(suffix) - 1] + dot + suffix)
            if dot and len(suffix) <= 10
            else base[:MAX_NAME]
        )
    return base or f"upload-{index + 1}"


@dataclass
class Staged:
    """One uploaded file on disk: where it is and what the readers are told it is called."""

    path: str
    label: str
    client_name: str | None
    size: int


def check_type(name: str, head: bytes, types: dict[str, bytes | None]) -> str | None:
    """Why a file is not acceptable (None when it is)."""
    suffix = Path(name).suffix.lower()
    if suffix not in types:
        known = ", ".join(sorted(types))
        return f"unsupported type: {name!r} has suffix {suffix or '(none)'!r}; accepted: {known}"
    magic = types[suffix]
    if magic is not None:
        if head and not head.startswith(magic):
            return f"unsupported type: {name!r} is not a {suffix} file (its content does not start as one)"
    elif b"\x00" in head:
        return f"unsupported type: {name!r} holds binary content, not {suffix} text (UTF-8 or GB18030)"
    return None


@contextmanager
def staged(
    files: Sequence[UploadFile], types: dict[str, bytes | None], max_files: int
) -> Iterator[list[Staged]]:
    """Check every file, write them to a private temporary folder, yield them, remove the folder."""
    if not files:
        raise ApiError(
            422, "no_files", "no file uploaded: send one or more files in the multipart field 'files'"
        )
    if len(files) > max_files:
        raise ApiError(413, "too_many_files", f"{len(files)} files in one upload; at most {max_files}")
    problems = []
    names = []
    for i, f in enumerate(files):
        name = safe_name(f.filename, i)
        f.file.seek(0)
        head = f.file.read(65536)
        f.file.seek(0)
        problem = check_type(name, head, types)
        if problem:
            problems.append(problem)
        names.append(name)
    if problems:
        raise ApiError(415, "unsupported_type", "; ".join(problems))
    tmp = tempfile.mkdtemp(prefix="ecoplan-upload-")
    try:
        os.chmod(tmp, 0o700)
        out = []
        for i, (f, name) in enumerate(zip(files, names, strict=True)):
            folder = Path(tmp) / f"{i:04d}"
            folder.mkdir()
            path = folder / name
            with open(path, "xb") as sink:
                shutil.copyfileobj(f.file, sink, 1024 * 1024)
            out.append(Staged(str(path), UPLOAD_PREFIX + name, f.filename, path.stat().st_size))
        yield out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def labelled(reader_for: Callable[[str, bytes], Any], labels: dict[str, str]) -> Callable[[str, bytes], Any]:
    """``reader_for`` whose readers see each file's label instead of its temporary path.

    ``reader_for`` itself gets the real path (it may open an Excel file to read
    its header); the reader it returns gets the label and the bytes, so the
    label is what the store records. Errors name the label too.
    """

    def pick(path: str, head: bytes):
        label = labels.get(path, path)
        try:
            reader = reader_for(path, head)
        except ReadError as exc:
            raise ReadError(label, exc.message, line=exc.line, column=exc.column) from None

        def read(_path: str, data: bytes):
            return reader(label, data)

        read.name = getattr(reader, "name", "")  # type: ignore[attr-defined]
        return read

    return pick


def ingest_staged(
    store: Store, files: list[Staged], reader_for: Callable[[str, bytes], Any], *, domain: str
) -> IngestSummary:
    """Ingest staged files (call with the write lock held); failed files are logged under their label."""
    labels = {f.path: f.label for f in files}
    # a file that cannot be read is logged under its label (the temporary path means
    # nothing once the request ends) in the ingest's own transaction: one commit per upload
    summary = ingest_files(
        store, [f.path for f in files], labelled(reader_for, labels), domain=domain, labels=labels
    )
    # outcomes in the order the files were sent (ingest_files reports a failure when it
    # happens and the files it read when their batch is written)
    by_path = {f.path: i for i, f in enumerate(files)}
    failed_at = {by_path[o.file] for o in summary.outcomes if o.file in by_path}
    by_label: dict[str, list[int]] = {}
    for i, f in enumerate(files):
        if i not in failed_at:
            by_label.setdefault(f.label, []).append(i)
    order = []
    for o in summary.outcomes:
        if o.file in by_path:
            order.append(by_path[o.file])
            o.file = labels[o.file]
        else:
            queue = by_label.get(o.file)
            order.append(queue.pop(0) if queue else len(files))
    summary.outcomes = [o for _, o in sorted(zip(order, summary.outcomes, strict=True), key=lambda p: p[0])]
    return summary
