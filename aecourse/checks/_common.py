"""What the checks of every notebook share: turning an answer into numbers, comparing
a learner's function with a reference on the same inputs."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from ..exercises import NotAttempted, Wrong, call, describe, is_stub

__all__ = ["as_number", "as_array", "as_model", "same_outputs", "mean_code"]


def as_number(value: Any, what: str = "a number") -> float:
    """A finite number (a Python or NumPy number, or a one-element tensor), else :class:`Wrong`."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise Wrong(describe(value), what)
    if not np.isfinite(value):
        raise Wrong(describe(value), "a finite number")
    return float(value)


def as_array(value: Any, what: str = "an array or a tensor of numbers") -> np.ndarray:
    """Finite numbers as a float64 array (from a tensor, an array or nested lists), else :class:`Wrong`."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise Wrong(describe(value), what) from None
    if not np.all(np.isfinite(array)):
        raise Wrong("it contains NaN or infinity", "finite numbers")
    return array


def as_model(value: Any, name: str) -> nn.Module:
    """The learner's model: :class:`NotAttempted` while a stub, :class:`Wrong` if not an ``nn.Module``."""
    if is_stub(value):
        raise NotAttempted
    if not isinstance(value, nn.Module):
        raise Wrong(f"{name} is {describe(value)}", f"{name} to be the trained model (an nn.Module)")
    return value


def same_outputs(fn: Callable[..., Any], reference: Callable[..., Any], inputs: Sequence[tuple],
                 atol: float = 1e-4, rtol: float = 1e-3) -> None:
    """``fn(*args)`` equals ``reference(*args)`` for every ``args`` (each run on copies)."""
    for args in inputs:
        want = as_array(reference(*copy.deepcopy(args)))
        got = as_array(call(fn, *copy.deepcopy(args)), "numbers (an array, a tensor or a number)")
        shapes = ", ".join(str(tuple(np.shape(a))) if hasattr(a, "shape") else repr(a) for a in args)
        if got.shape != want.shape:
            raise Wrong(f"for inputs ({shapes}) an output of shape {got.shape}", f"shape {want.shape}")
        if not np.allclose(got, want, atol=atol, rtol=rtol):
            i = np.unravel_index(np.argmax(np.abs(got - want)), got.shape) if got.shape else ()
            raise Wrong(f"for inputs ({shapes}) output {got[i]:.5g} at {tuple(map(int, i))}", f"{want[i]:.5g}")


@torch.no_grad()
def mean_code(model: nn.Module, x: torch.Tensor) -> float:
    """The mean of ``model.encode(x)``, in eval mode (the model's mode is restored)."""
    was_training = model.training
    model.eval()
    try:
        return float(model.encode(x).mean())
    finally:
        model.train(was_training)
