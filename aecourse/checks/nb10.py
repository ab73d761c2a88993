"""The exercise checks of notebook 10 (sparse autoencoders as a microscope): one function per exercise."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import nn

from ..exercises import Wrong, call, exercise
from ._common import as_model as _model


@exercise("my_topk", hint="values, idx = pre.topk(k, dim=1); torch.zeros_like(pre).scatter(1, idx, torch.relu(values))")
def my_topk(fn: Callable) -> None:
    """Notebook 10, exercise 1: the TopK activation, against ``ae.sae.topk_relu``."""
    from ..sae import topk_relu

    g = torch.Generator().manual_seed(0)
    for shape, k in (((6, 10), 3), ((4, 7), 1), ((3, 5), 5)):
        pre = torch.randn(*shape, generator=g) - 0.3  # some rows have fewer than k positive values
        got = torch.as_tensor(call(fn, pre.clone(), k))
        want = topk_relu(pre, k)
        if got.shape != want.shape:
            raise Wrong(f"an output of shape {tuple(got.shape)} for pre {tuple(shape)}",
                        f"shape {tuple(shape)}, like pre")
        if bool((got < 0).any()):
            raise Wrong("negative values in the output", "a ReLU on the kept values: no negative output")
        nonzero = int((got != 0).sum(dim=1).max())
        if nonzero > k:
            raise Wrong(f"{nonzero} non-zero values in a row for k = {k}", f"at most k = {k} per row")
        if not torch.allclose(got.float(), want, atol=1e-6):
            row = int((got.float() - want).abs().sum(dim=1).argmax())
            raise Wrong(f"row {row} = {[round(v, 3) for v in got[row].tolist()]} for k = {k}",
                        f"{[round(v, 3) for v in want[row].tolist()]}")


@torch.no_grad()
def _l0_gamma(model: nn.Module, x: torch.Tensor) -> tuple[float, float]:
    from ..sae import l0, shrinkage

    was_training = model.training
    model.eval()
    try:
        z = model.encode(x)
        return l0(z), shrinkage(x, model.decode(z))
    finally:
        model.train(was_training)


@exercise("sae_weak", hint="ae.set_seed(0); sae_weak = train_sae(ae.sae.SparseAutoencoder(DIM, N_FEATURES, "
          "pre_bias=x_train.mean(0)), ae.losses.sparse('l1', LAMBDA / 3))")
def sae_weak(model: Any, x: torch.Tensor, reference: Mapping[str, float]) -> None:
    """Notebook 10, exercise 2: the L1 SAE with a third of the weight: more latents active, less shrinkage."""
    model = _model(model, "sae_weak")
    if not (hasattr(model, "encode") and hasattr(model, "decode")):
        raise Wrong("a model without encode and decode", "a sparse autoencoder (ae.sae.SparseAutoencoder)")
    if getattr(model, "k", None) is not None:
        raise Wrong(f"a TopK SAE (k = {model.k})", "a ReLU code with an L1 penalty (k=None)")
    active, gamma = _l0_gamma(model, x)
    if not active > reference["L0"] + 0.3:
        raise Wrong(f"L0 {active:.2f}", f"more active latents than the LAMBDA model's {reference['L0']:.2f}",
                    "a weaker penalty lets more latents fire; train with LAMBDA / 3")
    if not gamma < reference["gamma"] - 0.03:
        raise Wrong(f"gamma {gamma:.3f}", f"less shrinkage than the LAMBDA model's {reference['gamma']:.3f}")
    if not gamma > 1.02:
        raise Wrong(f"gamma {gamma:.3f}", "above 1.02: a weaker L1 penalty shrinks less, but still shrinks",
                    "no penalty at all is LAMBDA = 0; use LAMBDA / 3")


@exercise("sae_resampled", hint="sae_resampled = copy.deepcopy(sae_topk); three times: resample(sae_resampled, "
          "x_eval), then train_sae(sae_resampled, ae.losses.reconstruction('mse'), epochs=1)")
def sae_resampled(model: Any, original: nn.Module, x: torch.Tensor, truth: torch.Tensor) -> None:
    """Notebook 10, exercise 3: the TopK SAE with its dead latents resampled and trained on."""
    from ..sae import dead_latents, mmcs

    model = _model(model, "sae_resampled")
    if model is original:
        raise Wrong("sae_topk itself", "a copy of it (copy.deepcopy), so that sae_topk stays as it was")
    if not hasattr(model, "directions") or tuple(model.directions.shape) != tuple(original.directions.shape):
        raise Wrong("a model of another size", f"a copy of sae_topk, {tuple(original.directions.shape)} directions")
    before, after = int(dead_latents(original, x).sum()), int(dead_latents(model, x).sum())
    if not after < before:
        raise Wrong(f"{after} dead latents", f"fewer than sae_topk's {before}",
                    "resample the dead latents (decoder and encoder rows, encoder bias), then train on")
    found, found_before = mmcs(model.directions, truth), mmcs(original.directions, truth)
    if found < found_before - 0.005:
        raise Wrong(f"MMCS {found:.3f}", f"at least sae_topk's {found_before:.3f}",
                    "set decoder rows to unit vectors along x - b_dec of the worst-reconstructed samples")
