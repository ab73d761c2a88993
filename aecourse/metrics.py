"""Evaluation: the validation loss, model outputs and codes for a whole loader, and metrics.

Notebook 03 writes each by hand first. Every helper runs the model in eval mode
without gradients, on the model's device (or ``device``), moving each batch there,
and leaves the model's train/eval mode as it found it. A metric is
``metric(model, loader, device) -> float``; :func:`aecourse.fit` records
``metrics={"accuracy": accuracy}`` as ``val_accuracy`` each epoch. Also reachable as
``ae.train.<name>``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from .losses import Objective
from .runtime import resolve_device

__all__ = ["Metric", "evaluate", "predict", "encode", "accuracy", "auroc", "reconstruction_mse", "rmse"]

Metric = Callable[[nn.Module, DataLoader, torch.device], float]


def _to_device(batch: Sequence[torch.Tensor] | torch.Tensor, device: torch.device) -> list[torch.Tensor]:
    if isinstance(batch, torch.Tensor):  # a DataLoader over a bare tensor yields tensors, not tuples
        batch = (batch,)
    if not isinstance(batch, (tuple, list)) or not all(isinstance(t, torch.Tensor) for t in batch):
        raise TypeError(f"batches must be tensors or tuples of tensors, got {type(batch).__name__}")
    return [t.to(device) for t in batch]


def _scalar(loss: object) -> torch.Tensor:
    if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
        shape = tuple(loss.shape) if isinstance(loss, torch.Tensor) else type(loss).__name__
        raise ValueError(f"loss_fn must return a scalar tensor (reduce it with .mean()), got {shape}")
    return loss.reshape(())


def _model_device(model: nn.Module) -> torch.device:
    param = next(model.parameters(), None)
    return param.device if param is not None else torch.device("cpu")


@torch.no_grad()
def evaluate(
    model: nn.Module, loss_fn: Objective, loader: DataLoader, device: torch.device | str | None = None
) -> float:
    """Mean of ``loss_fn`` over every sample in ``loader``, in eval mode, without gradients (notebook 03).

    Runs on ``device`` if given, else on the model's device; the model's train/eval
    mode is restored afterwards.
    """
    device = resolve_device(device) if device is not None else _model_device(model)
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    try:
        for batch in loader:
            batch = _to_device(batch, device)
            total += _scalar(loss_fn(model, batch)).item() * len(batch[0])
            count += len(batch[0])
    finally:
        model.train(was_training)
    if count == 0:
        raise ValueError("loader is empty")
    return total / count


@torch.no_grad()
def predict(
    model: nn.Module,
    loader: DataLoader,
    device: torch.device | str | None = None,
    fn: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Run ``fn`` (default: ``model``) on every batch's ``x``, in one pass over ``loader`` (notebook 03).

    Returns:
        ``(outputs, labels)``, as :func:`encode` does: the outputs stacked over batches
        as a NumPy array, and the batches' second tensor (labels) stacked, or None
        when the batches have no labels.
    """
    outputs, labels, _ = _run_batches(model, loader, device, fn, keep_inputs=False)
    return outputs, labels


def encode(
    model: nn.Module, loader: DataLoader, device: torch.device | str | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Codes ``model.encode(x)`` for a whole loader: (N, latent_dim), and labels (N,) or None (notebook 01)."""
    if not hasattr(model, "encode"):
        raise TypeError(f"model must have an encode method, got {type(model).__name__}")
    z, labels, _ = _run_batches(model, loader, device, model.encode, keep_inputs=False)
    return z, labels


@torch.no_grad()
def _run_batches(
    model: nn.Module,
    loader: DataLoader,
    device: torch.device | str | None,
    fn: Callable[[torch.Tensor], torch.Tensor] | None,
    keep_inputs: bool,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """One eval-mode pass: (outputs of fn(x), labels or None, inputs x or None), all stacked.

    The inputs are kept (a copy of the whole set) only if ``keep_inputs``.

    Runs on ``device`` if given, else on the model's device; restores the model's mode.
    """
    device = resolve_device(device) if device is not None else _model_device(model)
    fn = fn if fn is not None else model
    was_training = model.training
    model.eval()
    outputs, labels, inputs = [], [], []
    try:
        for batch in loader:
            batch = _to_device(batch, device)
            outputs.append(fn(batch[0]).cpu())
            if keep_inputs:
                inputs.append(batch[0].cpu())
            if len(batch) > 1:
                labels.append(batch[1].cpu())
    finally:
        model.train(was_training)
    if not outputs:
        raise ValueError("loader is empty")
    stacked_labels = torch.cat(labels).numpy() if labels else None
    return torch.cat(outputs).numpy(), stacked_labels, torch.cat(inputs).numpy() if inputs else None


def _outputs_and_labels(model: nn.Module, loader: DataLoader, device: torch.device | None, metric: str) -> tuple:
    outputs, y = predict(model, loader, device)
    if y is None:
        raise ValueError(f"{metric} needs batches (x, y) with labels; this loader gives only x")
    return outputs, y


def _logits_and_labels(model: nn.Module, loader: DataLoader, device: torch.device | None, metric: str) -> tuple:
    logits, y = _outputs_and_labels(model, loader, device, metric)
    if logits.ndim != 2 or y.ndim != 1 or len(y) != len(logits):
        raise ValueError(f"expected logits (N, C) and labels (N,), got {logits.shape} and {y.shape}")
    return logits, y


def accuracy(model: nn.Module, loader: DataLoader, device: torch.device | None = None) -> float:
    """Share of samples whose predicted class is the label; one logit: class 1 when > 0 (notebook 01)."""
    logits, y = _logits_and_labels(model, loader, device, "accuracy")
    predicted = (logits[:, 0] > 0).astype(np.int64) if logits.shape[1] == 1 else logits.argmax(axis=1)
    return float((predicted == y).mean())


def auroc(model: nn.Module, loader: DataLoader, device: torch.device | None = None) -> float:
    """Area under the ROC curve, one class against the rest, averaged over classes (notebook 03).

    A one-logit model is read as binary (the logit scores class 1). Every class must
    appear in the labels: the AUROC of a missing class is undefined.
    """
    from sklearn.metrics import roc_auc_score

    logits, y = _logits_and_labels(model, loader, device, "auroc")
    n_classes = max(logits.shape[1], 2)
    missing = sorted(set(range(n_classes)) - set(np.unique(y).tolist()))
    if missing:
        raise ValueError(f"auroc needs every class in the labels; classes {missing} are missing from this loader")
    if logits.shape[1] == 1:
        return float(roc_auc_score(y, logits[:, 0]))
    probs = torch.softmax(torch.from_numpy(logits), dim=1).numpy()
    if probs.shape[1] == 2:
        return float(roc_auc_score(y, probs[:, 1]))
    return float(roc_auc_score(y, probs, multi_class="ovr", labels=np.arange(probs.shape[1])))


def reconstruction_mse(model: nn.Module, loader: DataLoader, device: torch.device | None = None) -> float:
    """Mean squared error between x_hat = model(x) and x, over every pixel (notebook 03)."""
    x_hat, _, x = _run_batches(model, loader, device, None, keep_inputs=True)  # each x_hat meets its own x
    return float(((x_hat - x) ** 2).mean())


def rmse(model: nn.Module, loader: DataLoader, device: torch.device | None = None) -> float:
    """Root mean squared error of a regressor's output (B, 1) against targets y (B,) (notebook 01)."""
    pred, y = _outputs_and_labels(model, loader, device, "rmse")
    return float(np.sqrt(((pred.reshape(-1) - y) ** 2).mean()))
