"""Small statistics shared by the benchmarks (median and p99 over many runs)."""

from __future__ import annotations

import statistics


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile: the value at or below which ``pct`` % of runs fall."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary(values: list[float]) -> dict[str, float]:
    return {"n": len(values), "median": statistics.median(values),
            "p99": percentile(values, 99), "min": min(values), "max": max(values)}
