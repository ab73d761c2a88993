"""Figures: 2-D views of latent codes, image grids, loss curves.

Notebook 04 teaches the three projections (PCA, t-SNE, UMAP); every notebook uses
the grids and curves.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .train import History

__all__ = [
    "PROJECTIONS",
    "project_2d",
    "plot_latent",
    "plot_images",
    "plot_image_rows",
    "plot_history",
]

PROJECTIONS = ("pca", "tsne", "umap")


def project_2d(z: np.ndarray, method: str = "pca", seed: int = 0, **kwargs: object) -> np.ndarray:
    """Reduce codes (N, latent_dim) to (N, 2) with PCA, t-SNE or UMAP.

    ``kwargs`` go to the method (``perplexity`` for t-SNE; ``n_neighbors`` and
    ``min_dist`` for UMAP). UMAP runs single-threaded with ``random_state=seed`` so
    it is reproducible; its compiled code is cached in ``$NUMBA_CACHE_DIR``
    (default ``~/.cache/aecourse/numba``), so only the first call ever compiles.
    """
    z = np.asarray(z, dtype=np.float32)
    if z.ndim != 2 or z.shape[1] < 2:
        raise ValueError(f"z must have shape (N, latent_dim) with latent_dim >= 2, got {z.shape}")
    if method not in PROJECTIONS:
        raise ValueError(f"method must be one of {PROJECTIONS}, got {method!r}")
    if method == "pca":
        from sklearn.decomposition import PCA

        return PCA(n_components=2, random_state=seed, **kwargs).fit_transform(z)
    if method == "tsne":
        from sklearn.manifold import TSNE

        kwargs.setdefault("init", "pca")
        return TSNE(n_components=2, random_state=seed, **kwargs).fit_transform(z)
    os.environ.setdefault("NUMBA_CACHE_DIR", str(Path.home() / ".cache" / "aecourse" / "numba"))
    import umap  # imported late: it compiles code on first use

    return umap.UMAP(n_components=2, random_state=seed, n_jobs=1, **kwargs).fit_transform(z)


def plot_latent(
    z: np.ndarray,
    y: np.ndarray | None = None,
    method: str | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    class_names: Sequence[str] | None = None,
    seed: int = 0,
    s: float = 6.0,
) -> Axes:
    """Scatter codes in 2-D, coloured by class.

    2-D codes are drawn as they are; wider codes are first reduced with
    :func:`project_2d` (``method`` defaults to PCA). Colours are the same for the
    same class in every plot, so plots side by side can be compared.
    """
    z = np.asarray(z)
    if z.ndim != 2:
        raise ValueError(f"z must have shape (N, latent_dim), got {z.shape}")
    if y is not None and len(y) != len(z):
        raise ValueError(f"y must have one label per code, got {len(y)} labels for {len(z)} codes")
    if z.shape[1] != 2 or method is not None:
        z = project_2d(z, method or "pca", seed=seed)
    ax = ax if ax is not None else plt.subplots(figsize=(4, 4))[1]
    if y is None:
        ax.scatter(z[:, 0], z[:, 1], s=s, color="tab:blue")
    else:
        classes = np.unique(y)
        cmap = plt.get_cmap("tab10" if classes.max() < 10 else "tab20")
        for c in classes:
            mask = y == c
            label = class_names[c] if class_names is not None else str(c)
            ax.scatter(z[mask, 0], z[mask, 1], s=s, color=cmap(int(c) % cmap.N), label=label)
    ax.set_title(title if title is not None else (method or "latent space"))
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def plot_images(
    x: np.ndarray,
    image_shape: tuple[int, int],
    ncols: int = 10,
    titles: Sequence[str] | None = None,
    scale: float = 0.9,
) -> Figure:
    """Draw flattened images (N, H*W) in a grid of ``ncols`` columns."""
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[1] != image_shape[0] * image_shape[1]:
        raise ValueError(f"x must have shape (N, {image_shape[0] * image_shape[1]}), got {x.shape}")
    nrows = int(np.ceil(len(x) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(scale * ncols, scale * nrows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(x):
            ax.imshow(x[i].reshape(image_shape), cmap="gray_r", vmin=0, vmax=1)
            if titles is not None:
                ax.set_title(titles[i], fontsize=8)
    fig.tight_layout()
    return fig


def plot_image_rows(
    rows: Mapping[str, np.ndarray], image_shape: tuple[int, int], n: int = 10, scale: float = 0.9
) -> Figure:
    """Draw several image sets as labelled rows, e.g. ``{"input": x, "reconstruction": x_hat}``."""
    if not rows:
        raise ValueError("rows must hold at least one image set")
    fig, axes = plt.subplots(len(rows), n, figsize=(scale * n, scale * len(rows) + 0.3), squeeze=False)
    for r, (label, images) in enumerate(rows.items()):
        images = np.asarray(images)
        if images.ndim != 2 or images.shape[1] != image_shape[0] * image_shape[1]:
            raise ValueError(f"rows[{label!r}] must have shape (N, H*W), got {images.shape}")
        for i in range(n):
            ax = axes[r, i]
            ax.set_xticks([])
            ax.set_yticks([])
            if i < len(images):
                ax.imshow(images[i].reshape(image_shape), cmap="gray_r", vmin=0, vmax=1)
        axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
    fig.tight_layout()
    return fig


def plot_history(
    history: History, keys: Sequence[str] | None = None, ax: Axes | None = None, title: str | None = None
) -> Axes:
    """Plot per-epoch curves from a :class:`History` (default: the losses), best epoch marked."""
    keys = list(keys) if keys is not None else [k for k in ("train_loss", "val_loss") if k in history]
    ax = ax if ax is not None else plt.subplots(figsize=(5, 3.2))[1]
    for key in keys:
        values = history[key]
        ax.plot(range(1, len(values) + 1), values, label=key)
    if history.best_epoch:
        ax.axvline(history.best_epoch, color="gray", ls=":", label=f"best epoch ({history.best_epoch})")
    ax.set_xlabel("epoch")
    ax.legend()
    if title:
        ax.set_title(title)
    return ax
