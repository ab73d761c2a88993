"""The one training loop of the course, its history, and checkpoints.

Nothing here is specific to a model or task: the task enters as an objective
``loss_fn(model, batch)`` (see :mod:`aecourse.losses`) and as metrics (see
:mod:`aecourse.metrics`, whose names are reachable here too: ``ae.train.accuracy``).
Notebook 03 writes this loop by hand and checks that :func:`fit` gives identical losses.
"""

from __future__ import annotations

import copy
import math
import os
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from . import _validate
from ._files import publish
from .losses import Objective
from .metrics import (  # re-exported: the notebooks write ae.train.accuracy etc.
    Metric,
    _model_device,
    _scalar,
    _to_device,
    accuracy,
    auroc,
    encode,
    evaluate,
    predict,
    reconstruction_mse,
    rmse,
)
from .runtime import resolve_device

__all__ = [
    "History", "fit", "save_checkpoint", "load_checkpoint",
    "Metric", "evaluate", "predict", "encode", "accuracy", "auroc", "reconstruction_mse", "rmse",
]


@dataclass
class History:
    """What :func:`fit` returns: one list per quantity, one entry per epoch.

    ``history["train_loss"]``, ``history["val_loss"]`` and ``history["val_<metric>"]``
    are lists; ``best_epoch`` (1-based) and ``best_value`` say which epoch's weights
    were restored.
    """

    records: dict[str, list[float]] = field(default_factory=dict)
    monitor: str = "val_loss"
    best_epoch: int = 0
    best_value: float = math.nan

    def __getitem__(self, key: str) -> list[float]:
        if key not in self.records:
            raise KeyError(f"history has no {key!r}; it has {sorted(self.records)}")
        return self.records[key]

    def __contains__(self, key: object) -> bool:
        return key in self.records

    def keys(self) -> list[str]:
        """Names of the recorded quantities."""
        return list(self.records)

    def append(self, **values: float) -> None:
        """Record one epoch's values."""
        for key, value in values.items():
            self.records.setdefault(key, []).append(value)


def fit(
    model: nn.Module,
    loss_fn: Objective,
    train_loader: Iterable[Sequence[torch.Tensor]],
    val_loader: Iterable[Sequence[torch.Tensor]] | None = None,
    *,
    epochs: int = 10,
    optimizer: torch.optim.Optimizer | None = None,
    lr: float | None = None,
    metrics: Mapping[str, Metric] | None = None,
    monitor: str = "val_loss",
    mode: str = "min",
    checkpoint: str | Path | None = None,
    restore_best: bool = True,
    device: torch.device | str | None = None,
    progress: bool | None = None,
) -> History:
    """Train ``model`` by minimizing ``loss_fn`` over ``train_loader`` for ``epochs`` (notebook 03).

    Each epoch: for every minibatch, ``zero_grad``, loss, ``backward``, ``step``; then,
    with a ``val_loader``, the validation loss (eval mode, no gradients) and each
    ``metric(model, val_loader, device)`` (under ``torch.no_grad``). The
    weights of the best epoch by ``monitor`` are kept (a deep copy of the state dict,
    and the ``checkpoint`` file if given) and restored at the end.

    Args:
        model: any ``nn.Module``; moved to ``device``.
        loss_fn: objective ``loss_fn(model, batch) -> scalar`` (aecourse.losses).
        train_loader: yields batches, tuples of tensors.
        val_loader: optional; without it, ``monitor`` falls back to ``"train_loss"``.
        epochs: number of passes over ``train_loader``.
        optimizer: defaults to ``Adam(model.parameters(), lr)``.
        lr: learning rate of the default optimizer (1e-3 when not given); with an
            ``optimizer`` of your own, give the rate to it instead.
        metrics: name -> ``metric(model, loader, device)`` computed on ``val_loader``
            each epoch and recorded as ``"val_<name>"``.
        monitor: the recorded quantity that picks the best epoch.
        mode: ``"min"`` or ``"max"``: whether a smaller or larger ``monitor`` is better.
        checkpoint: file to write the best weights to (atomically).
        restore_best: load the best weights into ``model`` before returning.
        device: where to train; ``None`` means the course's device,
            :func:`aecourse.get_device` (``AECOURSE_DEVICE`` or the best available).
            The model is moved there, and so is every batch.
        progress: show a tqdm progress bar with the last epoch's losses and metrics;
            ``None`` shows it unless the environment variable ``CI`` or
            ``AECOURSE_NO_PROGRESS`` is set.

    Returns:
        A :class:`History` with ``train_loss`` (mean over samples), ``val_loss``,
        ``val_<metric>`` per epoch, and the best epoch.

    Raises:
        FloatingPointError: a training loss, the validation loss or the monitored
            value became NaN or infinite (the message names the epoch).
    """
    epochs = _validate.positive_int(epochs, "epochs")
    _validate.one_of(mode, ("min", "max"), "mode")
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be an objective loss_fn(model, batch), got {type(loss_fn).__name__}")
    metrics = dict(metrics or {})
    if "loss" in metrics:
        raise ValueError("metrics must not be named 'loss': val_loss is already the validation loss")
    if val_loader is None and monitor == "val_loss":
        monitor = "train_loss"
    has_val = val_loader is not None  # not bool(val_loader): a streamed loader has no len()
    known = {"train_loss"} | ({"val_loss"} | {f"val_{m}" for m in metrics} if has_val else set())
    if monitor not in known:
        raise ValueError(f"monitor must be one of {sorted(known)}, got {monitor!r}")
    device = resolve_device(device)
    model.to(device)
    if optimizer is None:
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3 if lr is None else lr)
    elif lr is not None:
        raise ValueError("lr sets the default optimizer's rate; give the optimizer you pass its own lr instead")

    history = History(monitor=monitor)
    sign = 1.0 if mode == "min" else -1.0
    best_state = None
    bar = _epochs(epochs, progress)
    for epoch in bar:
        # train: one pass over the minibatches
        model.train()
        total, count = 0.0, 0
        for step, batch in enumerate(train_loader, start=1):
            batch = _to_device(batch, device)
            optimizer.zero_grad()
            loss = _scalar(loss_fn(model, batch))
            value = loss.item()  # read once: checked now, before a NaN reaches the weights
            _check_finite(value, f"the loss became {value} at epoch {epoch}, batch {step}")
            loss.backward()
            optimizer.step()
            total += value * len(batch[0])
            count += len(batch[0])
        if count == 0:
            raise ValueError(f"train_loader gave no batches in epoch {epoch}: is it empty (drop_last on few samples)?")
        record = {"train_loss": total / count}

        # validate: loss and metrics on another loader, no gradients
        if val_loader is not None:
            record["val_loss"] = evaluate(model, loss_fn, val_loader, device)
            with torch.no_grad():  # a metric of one's own runs as the built-in ones do
                for name, metric in metrics.items():
                    record[f"val_{name}"] = float(metric(model, val_loader, device))
        history.append(**record)
        if hasattr(bar, "set_postfix"):  # the bar shows this epoch's numbers
            bar.set_postfix({k: f"{v:.4g}" for k, v in record.items()})

        # keep the best weights seen so far (a NaN would silently never be beaten)
        value = record[monitor]
        for key, v in record.items():
            _check_finite(v, f"{key} became {v} at epoch {epoch}: check the validation data and the metric")
        if best_state is None or sign * value < sign * history.best_value:
            history.best_epoch, history.best_value = epoch, value
            best_state = copy.deepcopy(model.state_dict())
            if checkpoint is not None:
                save_checkpoint(model, checkpoint, epoch=epoch, **{monitor: value})

    if restore_best and best_state is not None:
        model.load_state_dict(best_state)
    return history


def _epochs(epochs: int, progress: bool | None) -> Iterable[int]:
    if progress is None:
        progress = not (os.environ.get("CI") or os.environ.get("AECOURSE_NO_PROGRESS"))
    if not progress:
        return range(1, epochs + 1)
    # a plain-text bar, not a widget: a notebook saved while (or after) training keeps a
    # readable line instead of a widget that fails to display when the file is reopened
    from tqdm.std import tqdm

    return tqdm(range(1, epochs + 1), desc="epochs", leave=True, file=sys.stdout, ascii=True, mininterval=0.5)


def _check_finite(value: float, problem: str) -> None:
    if not math.isfinite(value):
        raise FloatingPointError(
            f"{problem}; try a smaller learning rate, or check the inputs and the loss for log(0) or NaN"
        )


def save_checkpoint(model: nn.Module, path: str | Path, /, **info: float | int) -> Path:
    """Write ``{"model": state_dict, **info}`` to ``path`` atomically (temp file, then rename).

    ``info`` holds plain numbers (NumPy and tensor scalars are converted), so the file
    loads back with ``weights_only=True``.
    """
    path = Path(path)
    if "model" in info:
        raise ValueError("info must not be named 'model': that key holds the weights")
    clean = {}
    for key, value in info.items():
        if isinstance(value, np.generic) or (isinstance(value, torch.Tensor) and value.numel() == 1):
            value = value.item()
        if not isinstance(value, (bool, int, float, str)):
            raise TypeError(f"info[{key!r}] must be a number or a string, got {type(value).__name__}")
        clean[key] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save({"model": model.state_dict(), **clean}, f)
            f.flush()
            os.fsync(f.fileno())  # on disk before the rename makes it visible
        publish(tmp, path)  # mode 0644 under umask 022, as torch.save would give; then the rename
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def load_checkpoint(model: nn.Module, path: str | Path, /) -> dict:
    """Load weights saved by :func:`save_checkpoint` into ``model`` (``weights_only=True``).

    Returns the checkpoint's other entries (epoch, monitored value).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"path {path} does not exist")
    try:
        state = torch.load(path, map_location=_model_device(model), weights_only=True)
    except Exception as err:  # truncated zip, garbage bytes, a pickle with foreign objects
        raise ValueError(f"{path} is not a readable checkpoint ({type(err).__name__}: {str(err)[:200]})") from None
    if not isinstance(state, dict) or not isinstance(state.get("model"), dict):
        raise ValueError(f"{path} is not a checkpoint written by save_checkpoint")
    try:
        model.load_state_dict(state.pop("model"))
    except RuntimeError as err:
        raise ValueError(f"{path} holds weights of another model: {str(err)[:300]}") from None
    return state
