"""The exercise checks of notebook 08 (convolutional autoencoders): one function per exercise."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from ..exercises import Wrong, call, exercise
from ._common import as_array as _array
from ._common import as_model as _model

# Inputs the learner's functions are tried on: (input shape, kernel shape, stride, padding).
_CONV_CASES = (((8, 8), (3, 3), 1, 1), ((7, 9), (3, 3), 2, 0), ((6, 5), (2, 3), 1, 0), ((8, 8), (4, 4), 2, 1))
_TRANSPOSE_CASES = (((4, 4), (3, 3), 2), ((3, 5), (4, 4), 2), ((4, 3), (2, 3), 1), ((2, 2), (3, 3), 3))


def _inputs(x_shape: tuple[int, int], k_shape: tuple[int, int], seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(x_shape, generator=g, dtype=torch.float64)
    return x, torch.randn(k_shape, generator=g, dtype=torch.float64)


def _compare(got: Any, want: torch.Tensor, case: str, flipped: torch.Tensor) -> None:
    got = _array(got)
    if got.shape != tuple(want.shape):
        raise Wrong(f"an output of shape {got.shape} for {case}", f"shape {tuple(want.shape)}")
    want_np, flipped_np = want.numpy(), flipped.numpy()
    if abs(got - want_np).max() <= 1e-6 * (1 + abs(want_np).max()):
        return
    if abs(got - flipped_np).max() <= 1e-6 * (1 + abs(flipped_np).max()):
        raise Wrong(f"the output with the kernel flipped, for {case}", "PyTorch's output",
                    "PyTorch's convolution does not flip the kernel: use kernel[a, b] as it is")
    i = divmod(int(abs(got - want_np).argmax()), got.shape[1])
    raise Wrong(f"{got[i]:.4g} at {i} for {case}", f"{want_np[i]:.4g}")


@exercise("my_conv2d", hint="out[i, j] = (kernel * x_padded[i*stride : i*stride + kh, j*stride : j*stride + kw])"
          ".sum(), with x_padded = F.pad(x, (padding,) * 4)")
def my_conv2d(fn: Callable) -> None:
    """Notebook 08, exercise 1: a one-channel convolution (stride, zero padding) written with a loop."""
    for seed, (x_shape, k_shape, stride, padding) in enumerate(_CONV_CASES):
        x, kernel = _inputs(x_shape, k_shape, seed)
        want = F.conv2d(x[None, None], kernel[None, None], stride=stride, padding=padding)[0, 0]
        flipped = F.conv2d(x[None, None], kernel.flip(0, 1)[None, None], stride=stride, padding=padding)[0, 0]
        case = f"x {x_shape}, kernel {k_shape}, stride {stride}, padding {padding}"
        _compare(call(fn, x.clone(), kernel.clone(), stride, padding), want, case, flipped)


@exercise("my_conv_transpose2d", hint="start from zeros((h - 1) * stride + kh, (w - 1) * stride + kw); for every "
          "input pixel (i, j), add y[i, j] * kernel into out[i*stride : i*stride + kh, j*stride : j*stride + kw]")
def my_conv_transpose2d(fn: Callable) -> None:
    """Notebook 08, exercise 2: a one-channel transposed convolution (no padding) as stamped kernels."""
    for seed, (y_shape, k_shape, stride) in enumerate(_TRANSPOSE_CASES):
        y, kernel = _inputs(y_shape, k_shape, 10 + seed)
        want = F.conv_transpose2d(y[None, None], kernel[None, None], stride=stride)[0, 0]
        flipped = F.conv_transpose2d(y[None, None], kernel.flip(0, 1)[None, None], stride=stride)[0, 0]
        case = f"y {y_shape}, kernel {k_shape}, stride {stride}"
        _compare(call(fn, y.clone(), kernel.clone(), stride), want, case, flipped)


@exercise("mlp_aug", hint="in the objective, shift every image of the batch by its own random move: stack the "
          "shifted copies of x for all moves, pick one per image with torch.randint; then train make_mlp() with it")
def mlp_aug(model: Any, shifted_loader: Any, reference: float, n_params: int) -> None:
    """Notebook 08, exercise 3: the MLP autoencoder trained on randomly shifted images.

    ``reference`` is the shifted-test MSE of the same MLP (same seed) trained without shifts.
    """
    from ..conv import count_parameters
    from ..metrics import reconstruction_mse

    model = _model(model, "mlp_aug")
    if count_parameters(model) != n_params:
        raise Wrong(f"a model with {count_parameters(model):,} parameters",
                    f"the MLP autoencoder of the comparison, {n_params:,} parameters", "train make_mlp()")
    mse = reconstruction_mse(model, shifted_loader)
    if not mse < 0.95 * reference:
        raise Wrong(f"a shifted-test MSE of {mse:.4f}",
                    f"at least 5% below {reference:.4f}, the same MLP's trained without shifts")
