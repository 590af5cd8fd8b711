"""Shared pieces of the benchmarks: step timing with peak memory, result files."""

from __future__ import annotations

import json
import os
import platform
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def rss_bytes() -> int:
    """Resident memory of this process (Linux /proc), 0 elsewhere."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def steal_seconds() -> float:
    """CPU time the hypervisor gave to other guests, summed over CPUs (Linux /proc/stat), 0 elsewhere.

    Recorded with each step so that a slow run can be checked against it. On
    this project's machine it has stayed under a second a step, while the
    same step's own CPU time varies between runs (the national hourly report
    17.9-21.0 CPU seconds): a busy host shows as dearer work, not as steal.
    """
    try:
        with open("/proc/stat") as fh:
            fields = fh.readline().split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")  # cpu user nice system idle iowait irq softirq steal
    except (OSError, IndexError, ValueError):
        return 0.0


@dataclass
class Step:
    name: str
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # this process's threads (not a Spark JVM's)
    steal_seconds: float = 0.0
    peak_rss_mb: float = 0.0
    rows: int | None = None
    note: str = ""


@dataclass
class Run:
    title: str
    steps: list[Step] = field(default_factory=list)
    facts: dict = field(default_factory=dict)

    @contextmanager
    def step(self, name: str) -> Iterator[Step]:
        """Time a step, its process CPU time and the machine's steal time; sample peak memory every 20 ms."""
        s = Step(name)
        peak = [rss_bytes()]
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(0.02):
                peak[0] = max(peak[0], rss_bytes())

        t = threading.Thread(target=sample, daemon=True)
        t.start()
        start, cpu, steal = time.perf_counter(), time.process_time(), steal_seconds()
        try:
            yield s
        finally:
            s.seconds = time.perf_counter() - start
            s.cpu_seconds = time.process_time() - cpu
            s.steal_seconds = steal_seconds() - steal
            stop.set()
            t.join()
            s.peak_rss_mb = max(peak[0], rss_bytes()) / 2**20
            self.steps.append(s)
            print(
                f"  {name:<34} {s.seconds:8.2f} s  cpu {s.cpu_seconds:6.1f} s  steal {s.steal_seconds:5.1f} s"
                f"  peak {s.peak_rss_mb:7.0f} MB" + (f"  rows {s.rows:,}" if s.rows else ""),
                flush=True,
            )

    def save(self, name: str) -> Path:
        RESULTS.mkdir(exist_ok=True)
        path = RESULTS / f"{name}.json"
        payload = {
            "title": self.title,
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "platform": platform.platform(),
            },
            "facts": self.facts,
            "steps": [s.__dict__ for s in self.steps],
        }
        path.write_text(json.dumps(payload, indent=1, ensure_ascii=False), encoding="utf-8")
        return path

    def table(self) -> str:
        lines = [
            "| step | seconds | CPU s | steal s | peak RSS (MB) | rows |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for s in self.steps:
            lines.append(
                f"| {s.name} | {s.seconds:.2f} | {s.cpu_seconds:.1f} | {s.steal_seconds:.1f} | {s.peak_rss_mb:.0f} "
                f"| {'' if s.rows is None else f'{s.rows:,}'} |"
            )
        return "\n".join(lines)
