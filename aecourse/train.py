"""The one training loop of the course, and the evaluation helpers around it.

Nothing here is specific to a model or task: the task enters as an objective
``loss_fn(model, batch)`` (see :mod:`aecourse.losses`) and as metrics. Notebook 03
writes this loop by hand and checks that :func:`fit` gives identical losses.
"""

from __future__ import annotations

import copy
import math
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from . import _validate
from .losses import Objective
from .runtime import resolve_device

__all__ = [
    "History",
    "Metric",
    "fit",
    "evaluate",
    "predict",
    "encode",
    "accuracy",
    "auroc",
    "reconstruction_mse",
    "rmse",
    "save_checkpoint",
    "load_checkpoint",
]

Metric = Callable[[nn.Module, DataLoader, torch.device], float]


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


def _to_device(batch: Sequence[torch.Tensor] | torch.Tensor, device: torch.device) -> list[torch.Tensor]:
    if isinstance(batch, torch.Tensor):  # a DataLoader over a bare tensor yields tensors, not tuples
        batch = (batch,)
    if not isinstance(batch, (tuple, list)) or not all(isinstance(t, torch.Tensor) for t in batch):
        raise TypeError(f"batches must be tensors or tuples of tensors, got {type(batch).__name__}")
    return [t.to(device) for t in batch]


def fit(
    model: nn.Module,
    loss_fn: Objective,
    train_loader: DataLoader,
    val_loader: DataLoader | None = None,
    *,
    epochs: int = 10,
    optimizer: torch.optim.Optimizer | None = None,
    lr: float = 1e-3,
    metrics: Mapping[str, Metric] | None = None,
    monitor: str = "val_loss",
    mode: str = "min",
    checkpoint: str | Path | None = None,
    restore_best: bool = True,
    device: torch.device | str | None = None,
    print_every: int = 0,
    progress: bool | None = None,
) -> History:
    """Train ``model`` by minimizing ``loss_fn`` over ``train_loader`` for ``epochs``.

    Each epoch: for every minibatch, ``zero_grad``, loss, ``backward``, ``step``; then,
    with a ``val_loader``, the validation loss and ``metrics`` under ``no_grad``. The
    weights of the best epoch by ``monitor`` are kept (a deep copy of the state dict,
    and the ``checkpoint`` file if given) and restored at the end.

    Args:
        model: any ``nn.Module``; moved to ``device``.
        loss_fn: objective ``loss_fn(model, batch) -> scalar`` (aecourse.losses).
        train_loader: yields batches, tuples of tensors.
        val_loader: optional; without it, ``monitor`` falls back to ``"train_loss"``.
        epochs: number of passes over ``train_loader``.
        optimizer: defaults to ``Adam(model.parameters(), lr)``.
        lr: learning rate of the default optimizer.
        metrics: name -> ``metric(model, loader, device)`` computed on ``val_loader``
            each epoch and recorded as ``"val_<name>"``.
        monitor: the recorded quantity that picks the best epoch.
        mode: ``"min"`` or ``"max"``: whether a smaller or larger ``monitor`` is better.
        checkpoint: file to write the best weights to (atomically).
        restore_best: load the best weights into ``model`` before returning.
        device: where to train; ``None`` means the course's device,
            :func:`aecourse.get_device` (``AECOURSE_DEVICE`` or the best available).
            The model is moved there, and so is every batch.
        print_every: print the running training loss every this many batches (0: never).
        progress: show a tqdm progress bar; ``None`` shows it unless the environment
            variable ``CI`` or ``AECOURSE_NO_PROGRESS`` is set.

    Returns:
        A :class:`History` with ``train_loss`` (mean over samples), ``val_loss``,
        ``val_<metric>`` per epoch, and the best epoch.

    Raises:
        FloatingPointError: a training loss, the validation loss or the monitored
            value became NaN or infinite (the message names the epoch).
    """
    epochs = _validate.positive_int(epochs, "epochs")
    _validate.one_of(mode, ("min", "max"), "mode")
    print_every = _validate.integer(print_every, "print_every")
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
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)

    history = History(monitor=monitor)
    sign = 1.0 if mode == "min" else -1.0
    best_state = None
    for epoch in _epochs(epochs, progress):
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
            if print_every and step % print_every == 0:
                print(f"epoch {epoch} batch {step}: loss {total / count:.4f}")
        if count == 0:
            raise ValueError(f"train_loader gave no batches in epoch {epoch}: is it empty (drop_last on few samples)?")
        record = {"train_loss": total / count}

        # validate: loss and metrics on another loader, no gradients
        if val_loader is not None:
            record["val_loss"] = evaluate(model, loss_fn, val_loader, device)
            for name, metric in metrics.items():
                record[f"val_{name}"] = float(metric(model, val_loader, device))
        history.append(**record)

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
    from tqdm.auto import tqdm

    return tqdm(range(1, epochs + 1), desc="epochs", leave=False)


def _check_finite(value: float, problem: str) -> None:
    if not math.isfinite(value):
        raise FloatingPointError(
            f"{problem}; try a smaller learning rate, or check the inputs and the loss for log(0) or NaN"
        )


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
    """Mean of ``loss_fn`` over every sample in ``loader``, in eval mode, without gradients.

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
) -> tuple[np.ndarray, np.ndarray]:
    """Run ``fn`` (default: ``model``) on every batch's ``x``, in one pass over ``loader``.

    Returns:
        ``(outputs, targets)`` as NumPy arrays: outputs stacked over batches, and the
        batches' second tensor (labels) if they have one, else their ``x``.
    """
    outputs, labels, inputs = _run_batches(model, loader, device, fn)
    return outputs, (labels if labels is not None else inputs)


def encode(
    model: nn.Module, loader: DataLoader, device: torch.device | str | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Codes ``model.encode(x)`` for a whole loader: (N, latent_dim), and labels (N,) or None."""
    if not hasattr(model, "encode"):
        raise TypeError(f"model must have an encode method, got {type(model).__name__}")
    z, labels, _ = _run_batches(model, loader, device, model.encode)
    return z, labels


@torch.no_grad()
def _run_batches(
    model: nn.Module,
    loader: DataLoader,
    device: torch.device | str | None,
    fn: Callable[[torch.Tensor], torch.Tensor] | None,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """One eval-mode pass: (outputs of fn(x), labels or None, inputs x), all stacked.

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
            inputs.append(batch[0].cpu())
            if len(batch) > 1:
                labels.append(batch[1].cpu())
    finally:
        model.train(was_training)
    if not outputs:
        raise ValueError("loader is empty")
    stacked_labels = torch.cat(labels).numpy() if labels else None
    return torch.cat(outputs).numpy(), stacked_labels, torch.cat(inputs).numpy()


def _logits_and_labels(model: nn.Module, loader: DataLoader, device: torch.device | None) -> tuple:
    logits, y = predict(model, loader, device)
    if logits.ndim != 2 or y.ndim != 1 or len(y) != len(logits):
        raise ValueError(f"expected logits (N, C) and labels (N,), got {logits.shape} and {y.shape}")
    return logits, y


def accuracy(model: nn.Module, loader: DataLoader, device: torch.device | None = None) -> float:
    """Share of samples whose predicted class is the label (one logit: class 1 when it is > 0)."""
    logits, y = _logits_and_labels(model, loader, device)
    predicted = (logits[:, 0] > 0).astype(np.int64) if logits.shape[1] == 1 else logits.argmax(axis=1)
    return float((predicted == y).mean())


def auroc(model: nn.Module, loader: DataLoader, device: torch.device | None = None) -> float:
    """Area under the ROC curve, one class against the rest, averaged over classes.

    A one-logit model is read as binary (the logit scores class 1). Every class must
    appear in the labels: the AUROC of a missing class is undefined.
    """
    from sklearn.metrics import roc_auc_score

    logits, y = _logits_and_labels(model, loader, device)
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
    """Mean squared error between x_hat = model(x) and x, over every pixel."""
    x_hat, _, x = _run_batches(model, loader, device, None)  # one pass: each x_hat meets its own x
    return float(((x_hat - x) ** 2).mean())


def rmse(model: nn.Module, loader: DataLoader, device: torch.device | None = None) -> float:
    """Root mean squared error of a regressor's output (B, 1) against targets y (B,)."""
    pred, y = predict(model, loader, device)
    return float(np.sqrt(((pred.reshape(-1) - y) ** 2).mean()))


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
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)  # a reader never sees a half-written file
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
