"""Helpers shared by the benchmarks: machine description and writing results as JSON."""

from __future__ import annotations

import json
import socket
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from student_sim.provenance import machine
from tutor.files import write_json

RESULTS = Path(__file__).resolve().parent / "results"


def free_port() -> int:
    """A TCP port free on loopback now (for the servers a benchmark starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) with linear interpolation between ranks; NaN for no values."""
    return float(np.percentile(values, q * 100)) if values else float("nan")


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50": round(percentile(values, 0.5), 4),
        "p95": round(percentile(values, 0.95), 4),
        "mean": round(statistics.fmean(values), 4) if values else float("nan"),
    }


def write(name: str, figures: dict[str, Any]) -> Path:
    path = RESULTS / f"{name}.json"
    payload = {"benchmark": name, "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": machine(), **figures}
    write_json(path, payload)
    print(json.dumps(payload, indent=2))
    return path
