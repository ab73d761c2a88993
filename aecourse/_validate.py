"""Argument checks shared by the package: one message style, naming the caller's argument."""

from __future__ import annotations

import math
import numbers
from collections.abc import Collection


def integer(value: object, name: str, minimum: int = 0) -> int:
    """``value`` as an int if it is an integer (NumPy's too, not bool) >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        kind = {0: "a non-negative int", 1: "a positive int"}.get(minimum, f"an int >= {minimum}")
        raise ValueError(f"{name} must be {kind}, got {value!r}")
    return int(value)


def positive_int(value: object, name: str) -> int:
    """``value`` as an int if it is an integer > 0."""
    return integer(value, name, minimum=1)


def nonnegative_float(value: object, name: str) -> float:
    """``value`` as a float if it is a finite real number >= 0 (NumPy's too, not bool or NaN)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < math.inf:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def fraction(value: object, name: str) -> float:
    """``value`` as a float if it is a real number strictly between 0 and 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value < 1:
        raise ValueError(f"{name} must be in (0, 1), got {value!r}")
    return float(value)


def one_of(value: object, choices: Collection[object], name: str) -> object:
    """``value`` itself if it is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {tuple(choices)}, got {value!r}")
    return value
