"""A pytest plugin beside nbval: stored numbers compared within a tolerance, all other text exact.

Float results differ in their last bits between CPUs (AVX2, AVX-512, ARM) and BLAS
kernels, and training amplifies that into the printed digits. nbval compares text
exactly, so stored outputs made on one machine would fail on another. This plugin
runs before nbval compares a cell: where a fresh text output and the stored one are
the same text around their numbers, and every pair of numbers agrees within the
tolerance, the fresh text is replaced by the stored one, so nbval sees them equal.
Anything else (a word, a number's count, a number outside the tolerance) is left for
nbval to report as usual.

Tolerance, for a pair of printed numbers a (stored) and b (fresh):

    |a - b| <= rtol * max(|a|, |b|) + atol + units * (one unit in the last printed digit)

Integers must match exactly unless the cell is tagged loose. A cell chooses its level
with a tag: none (``default``), ``nbval-numbers-loose`` (t-SNE and UMAP layouts, whose
optimisation amplifies last-bit differences far more than training does) or
``nbval-numbers-exact``. Use: ``pytest --nbval -p tools.nbval_numbers ...`` (the
Makefile does).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import pytest

__all__ = ["Tolerance", "LEVELS", "numbers_agree", "align_text"]


@dataclass(frozen=True)
class Tolerance:
    rtol: float
    atol: float
    integers: bool  # whether integers get the tolerance too (else they must match exactly)
    units: float = 1.0  # printed units of slack: a value on a rounding boundary flips its last digit


LEVELS = {
    "exact": Tolerance(rtol=0.0, atol=0.0, integers=False, units=0.0),
    "default": Tolerance(rtol=0.03, atol=0.0, integers=False),
    "loose": Tolerance(rtol=0.25, atol=0.02, integers=True),
}
TAG_PREFIX = "nbval-numbers-"

# A printed number: sign, digits with an optional fraction, optional exponent. A
# number glued to letters or underscores (z1, conv2d, 1e) is part of a word.
_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w])")


def _resolution(token: str) -> float:
    """One unit in the last printed digit of ``token`` (1 for an integer)."""
    mantissa, _, exponent = token.lower().partition("e")
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    return 10.0 ** (int(exponent or 0) - decimals)


def _is_integer(token: str) -> bool:
    return re.fullmatch(r"[-+]?\d+", token) is not None


def numbers_agree(stored: str, fresh: str, tol: Tolerance) -> bool:
    """Whether two printed numbers agree within ``tol`` (see the module docstring)."""
    a, b = float(stored), float(fresh)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if _is_integer(stored) and _is_integer(fresh) and not tol.integers:
        return a == b
    slack = max(_resolution(stored), _resolution(fresh))
    return abs(a - b) <= tol.rtol * max(abs(a), abs(b)) + tol.atol + tol.units * slack * (1 + 1e-9)


def align_text(stored: str, fresh: str, tol: Tolerance) -> str:
    """``stored`` if the two texts agree within ``tol``, else ``fresh`` unchanged."""
    if stored == fresh:
        return fresh
    stored_words = _NUMBER.split(stored)
    fresh_words = _NUMBER.split(fresh)
    if stored_words != fresh_words:
        return fresh
    pairs = zip(_NUMBER.findall(stored), _NUMBER.findall(fresh), strict=True)
    if all(numbers_agree(a, b, tol) for a, b in pairs):
        return stored
    return fresh


def _level(cell: object) -> Tolerance:
    tags = getattr(getattr(cell, "metadata", {}), "get", lambda *_: [])("tags", []) or []
    levels = [t[len(TAG_PREFIX):] for t in tags if t.startswith(TAG_PREFIX)]
    if len(levels) > 1 or (levels and levels[0] not in LEVELS):
        raise ValueError(f"a cell may carry one of {[TAG_PREFIX + k for k in LEVELS]}, got {levels}")
    return LEVELS[levels[0] if levels else "default"]


def _texts(output: dict) -> list[tuple[str, ...]]:
    """Where an output keeps text that may hold numbers: ("text",) or ("data", mime)."""
    if output.get("output_type") == "stream":
        return [("text",)]
    data = output.get("data", {})
    return [("data", mime) for mime in ("text/plain", "text/html", "text/markdown") if mime in data]


def _get(output: dict, path: tuple[str, ...]) -> str:
    value = output
    for key in path:
        value = value[key]
    return "".join(value) if isinstance(value, list) else value


def _set(output: dict, path: tuple[str, ...], text: str) -> None:
    target = output
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = text


def align_outputs(fresh: list, stored: list, tol: Tolerance) -> None:
    """Replace, in place, each fresh text that agrees with its stored twin within ``tol``."""
    if len(fresh) != len(stored):
        return  # nbval reports the different number of outputs
    for new, old in zip(fresh, stored, strict=True):
        if new.get("output_type") != old.get("output_type") or new.get("name") != old.get("name"):
            continue
        for path in _texts(new):
            try:
                old_text = _get(old, path)
            except KeyError:
                continue
            _set(new, path, align_text(old_text, _get(new, path), tol))


def pytest_configure(config: pytest.Config) -> None:
    from nbval.plugin import IPyNbCell

    if getattr(IPyNbCell.compare_outputs, "_numbers_tolerant", False):
        return
    compare = IPyNbCell.compare_outputs

    def compare_outputs(self, test, ref, skip_compare=None):  # nbval's signature
        align_outputs(test, ref, _level(self.cell))
        return compare(self, test, ref, skip_compare)

    compare_outputs._numbers_tolerant = True
    IPyNbCell.compare_outputs = compare_outputs
