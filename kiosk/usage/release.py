"""Releasing a day's figures with differential privacy (OpenDP), and keeping only what was released.

Each figure of the day gets noise from OpenDP's discrete Laplace mechanism,
calibrated so that the whole day's release is ``epsilon``-differentially
private for one patron session, whose part is bounded by
``MAX_COUNTS_PER_SESSION`` (each figure at most once). The figures released
are every figure that could exist (every article in every offered language,
every kind), never only those that were counted, so which rows appear says
nothing. A day released in parts (the kiosk restarted) adds its parts: the
sessions of each part are different people, so the day's budget still holds.

Released figures are written atomically to ``usage-figures.json`` in the
instance folder; the true counts never leave memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path

from ..atomic import read_json, write_json_atomically
from .counting import MAX_COUNTS_PER_SESSION

RELEASED_FILE = "usage-figures.json"
FORMAT = 1
CONFIDENCE = 0.95
"""The share of released figures that are within ``accuracy()`` of the truth."""


def _opendp():
    # Imported when a day is released, not at start: only kiosks that count need it.
    import opendp.prelude as dp

    dp.enable_features("contrib")
    return dp


def noise_scale(epsilon: float) -> float:
    """The discrete Laplace scale that makes a day's release ``epsilon``-private for one bounded session."""
    return MAX_COUNTS_PER_SESSION / epsilon


def private_counts(counts: list[int], epsilon: float) -> list[int]:
    """``counts`` with OpenDP's discrete Laplace noise; checked to spend no more than ``epsilon``."""
    dp = _opendp()
    measurement = dp.m.make_laplace(dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int),
                                    scale=noise_scale(epsilon))
    spent = measurement.map(MAX_COUNTS_PER_SESSION)
    if spent > epsilon * (1 + 1e-9):
        raise ValueError(f"the release would spend {spent} > {epsilon}")
    return list(measurement(counts))


def accuracy(epsilon: float) -> float:
    """How far a released figure may be from the truth: within this, ``CONFIDENCE`` of the time (OpenDP)."""
    return _opendp().discrete_laplacian_scale_to_accuracy(noise_scale(epsilon), 1 - CONFIDENCE)


def release_day(folder: Path, day: date, totals: Mapping[str, int], every_figure: Iterable[str],
                epsilon: float) -> dict[str, int]:
    """Release ``totals`` of ``day`` over ``every_figure`` with noise; add them to the released file; return them."""
    names = sorted(set(every_figure))
    released = dict(zip(names, private_counts([int(totals.get(name, 0)) for name in names], epsilon), strict=True))
    path = Path(folder) / RELEASED_FILE
    document = read_released(folder)
    entry = document["days"].setdefault(day.isoformat(), {"epsilon": epsilon, "parts": 0, "figures": {}})
    entry["parts"] += 1
    for name, value in released.items():
        entry["figures"][name] = entry["figures"].get(name, 0) + value
    write_json_atomically(path, document)
    return released


def read_released(folder: Path) -> dict:
    """The released figures, by day: ``{"format": 1, "days": {"2026-12-03": {"epsilon", "parts", "figures"}}}``."""
    document = read_json(Path(folder) / RELEASED_FILE, None)
    if not isinstance(document, dict) or document.get("format") != FORMAT or not isinstance(document.get("days"), dict):
        return {"format": FORMAT, "days": {}}
    return document
