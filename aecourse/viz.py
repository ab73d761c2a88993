"""Figures: 2-D views of latent codes, image grids, loss curves.

Notebook 04 teaches the three projections (PCA, t-SNE, UMAP); every notebook uses
the grids and curves. Notebook 04's sweeps, widgets and decoded grids live in
:mod:`aecourse.explore` (also reachable here, as ``ae.viz.sweep_projection`` etc.).
matplotlib, scikit-learn and umap are imported by the functions that use them, so
``import aecourse`` stays quick.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from ._validate import positive_int
from .runtime import prepare_umap
from .runtime import seed as course_seed

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from .train import History

__all__ = ["PROJECTIONS", "project_2d", "plot_latent", "plot_images", "plot_image_rows", "plot_history", "prepare_umap"]

PROJECTIONS = ("pca", "tsne", "umap")
# Notebook 04's names, kept reachable as ae.viz.<name>: loaded from aecourse.explore on first use.
_EXPLORE = ("KNOB_DEFAULTS", "neighbour_overlap", "projection_key", "sweep_projection",
            "projection_explorer", "decode_grid", "plot_decoded_grid", "decoder_explorer")


def __getattr__(name: str) -> object:
    if name in _EXPLORE:
        from . import explore

        return getattr(explore, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPLORE])


def project_2d(z: np.ndarray, method: str = "pca", seed: int = 0, **kwargs: object) -> np.ndarray:
    """Reduce codes (N, latent_dim) to (N, 2) with PCA, t-SNE or UMAP (notebook 04).

    ``kwargs`` go to the method (``perplexity`` for t-SNE; ``n_neighbors`` and
    ``min_dist`` for UMAP). UMAP runs single-threaded with ``random_state=seed`` so
    it is reproducible. Call :func:`aecourse.runtime.prepare_umap` once before the
    first UMAP picture to have its compiled code cached (notebook 04 does); this
    function changes no settings.
    """
    z = np.asarray(z, dtype=np.float32)
    if z.ndim != 2 or z.shape[1] < 2:
        raise ValueError(f"z must have shape (N, latent_dim) with latent_dim >= 2, got {z.shape}")
    if method not in PROJECTIONS:
        raise ValueError(f"method must be one of {PROJECTIONS}, got {method!r}")
    seed = course_seed(seed)
    if method == "pca":
        from sklearn.decomposition import PCA

        return PCA(n_components=2, random_state=seed, **kwargs).fit_transform(z)
    if method == "tsne":
        from sklearn.manifold import TSNE

        kwargs.setdefault("init", "pca")
        return TSNE(n_components=2, random_state=seed, **kwargs).fit_transform(z)
    import umap

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
    """Scatter codes in 2-D, coloured by class (notebook 01; also 00, 04).

    2-D codes are drawn as they are, on equal axes (distances between codes mean
    something) labelled z1 and z2; wider codes are first reduced with
    :func:`project_2d` (``method`` defaults to PCA) and drawn without ticks. Colours
    are the same for the same class in every plot, so plots side by side can be
    compared, and each class's name is also written at the median of its codes, so
    the plot reads without telling colours apart.
    """
    import matplotlib.pyplot as plt
    from matplotlib import patheffects

    z = np.asarray(z)
    if z.ndim != 2:
        raise ValueError(f"z must have shape (N, latent_dim), got {z.shape}")
    if y is not None:
        y = _labels(y, len(z), class_names)
    projected = z.shape[1] != 2 or method is not None
    if projected:
        z = project_2d(z, method or "pca", seed=seed)
    ax = ax if ax is not None else plt.subplots(figsize=(4, 4))[1]
    if y is None:
        ax.scatter(z[:, 0], z[:, 1], s=s, color="tab:blue")
    else:
        classes = np.unique(y)
        cmap = plt.get_cmap("tab10" if classes.max() < 10 else "tab20")
        outline = [patheffects.withStroke(linewidth=2.5, foreground="white")]
        for c in classes:
            mask, color = y == c, cmap(int(c) % cmap.N)
            label = class_names[c] if class_names is not None else str(c)
            ax.scatter(z[mask, 0], z[mask, 1], s=s, color=color, label=label)
            x_mid, y_mid = np.median(z[mask], axis=0)  # the name, above every point (zorder)
            ax.text(x_mid, y_mid, label, ha="center", va="center", fontsize=8, weight="bold", color=color,
                    path_effects=outline, zorder=5)
    ax.set_title(title if title is not None else (method or "latent space"))
    if projected:
        ax.set_xticks([])
        ax.set_yticks([])
    else:
        ax.set(xlabel="z1", ylabel="z2")
        ax.set_aspect("equal", adjustable="datalim")
    return ax


def _labels(y: object, n: int, class_names: Sequence[str] | None) -> np.ndarray:
    """``y`` as integer class labels, one per code, each with a name if names are given."""
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != n:
        raise ValueError(f"y must have one label per code, got shape {y.shape} for {n} codes")
    if not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"y must hold integer class labels, got dtype {y.dtype} (use y.astype(int) for classes)")
    if len(y) and y.min() < 0:
        raise ValueError(f"y must hold class labels >= 0, got {y.min()}")
    if class_names is not None and len(y) and y.max() >= len(class_names):
        raise ValueError(f"class_names has {len(class_names)} names, but y has label {y.max()}")
    return y


def check_image_shape(image_shape: object) -> tuple[int, int]:
    """``image_shape`` as ``(height, width)`` of positive ints, or a ValueError."""
    if not isinstance(image_shape, (tuple, list)) or len(image_shape) != 2:
        raise ValueError(f"image_shape must be (height, width) of positive ints, got {image_shape!r}")
    try:
        return positive_int(image_shape[0], "height"), positive_int(image_shape[1], "width")
    except ValueError:
        raise ValueError(f"image_shape must be (height, width) of positive ints, got {image_shape!r}") from None


def plot_images(
    x: np.ndarray,
    image_shape: tuple[int, int],
    ncols: int = 10,
    titles: Sequence[str] | None = None,
    scale: float = 0.9,
) -> Figure:
    """Draw flattened images (N, H*W) in a grid of ``ncols`` columns (notebooks 00, 04)."""
    import matplotlib.pyplot as plt

    image_shape = check_image_shape(image_shape)
    ncols = positive_int(ncols, "ncols")
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[1] != image_shape[0] * image_shape[1]:
        raise ValueError(f"x must have shape (N, {image_shape[0] * image_shape[1]}), got {x.shape}")
    if titles is not None and len(titles) != len(x):
        raise ValueError(f"titles must have one entry per image, got {len(titles)} titles for {len(x)} images")
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
    rows: Mapping[str, np.ndarray], image_shape: tuple[int, int], n: int = 10, scale: float = 0.9,
    strip: bool = False, cmap: str = "gray_r", vmin: float = 0.0, vmax: float = 1.0,
) -> Figure:
    """Image sets as labelled rows, e.g. ``{"input": x, "reconstruction": x_hat}`` (notebook 00; 02, 05, 06).

    ``strip=True`` draws each row as one strip of its n images (one axes per row, thin grey
    lines between the images): the same picture, several times faster to draw (notebook 05).
    ``cmap``, ``vmin`` and ``vmax`` as in ``imshow`` (06 draws signed features in ``"RdBu_r"``).
    """
    import matplotlib.pyplot as plt

    if not isinstance(rows, Mapping) or not rows:
        raise ValueError("rows must be a dict of at least one image set, e.g. {'input': x, 'reconstruction': x_hat}")
    image_shape = check_image_shape(image_shape)
    n = positive_int(n, "n")
    fig, axes = plt.subplots(len(rows), 1 if strip else n, figsize=(scale * n, scale * len(rows) + 0.3), squeeze=False)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    for r, (label, images) in enumerate(rows.items()):
        images = np.asarray(images)
        if images.ndim != 2 or images.shape[1] != image_shape[0] * image_shape[1]:
            raise ValueError(f"rows[{label!r}] must have shape (N, H*W), got {images.shape}")
        if strip:
            (h, w), shown = image_shape, images[:n].reshape(-1, *image_shape)
            tiles = np.zeros((h, n * w))  # images side by side; missing ones stay blank
            tiles[:, : len(shown) * w] = shown.transpose(1, 0, 2).reshape(h, -1)
            axes[r, 0].imshow(tiles, cmap=cmap, vmin=vmin, vmax=vmax)
            axes[r, 0].vlines(np.arange(1, n) * w - 0.5, -0.5, h - 0.5, color="0.75", lw=0.8)
        else:
            for i, image in enumerate(images[:n]):
                axes[r, i].imshow(image.reshape(image_shape), cmap=cmap, vmin=vmin, vmax=vmax)
        axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
    fig.tight_layout()
    return fig


def plot_history(
    history: History, keys: Sequence[str] | None = None, ax: Axes | None = None, title: str | None = None
) -> Axes:
    """Per-epoch curves from a :class:`~aecourse.train.History`, best epoch marked (notebook 03; also 00)."""
    import matplotlib.pyplot as plt

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


def plot_projections(
    embeddings: Mapping[str, np.ndarray],
    y: np.ndarray | None = None,
    ncols: int = 3,
    class_names: Sequence[str] | None = None,
    size: float = 2.6,
    legend: bool = True,
) -> Figure:
    """Small multiples: one panel per ``{title: (N, 2) array}``, the same colours in each (notebook 04).

    ``y`` (N,) colours every panel alike; ``size`` is one panel's width and height in
    inches; ``legend`` draws one legend for the whole figure (when ``y`` is given).
    """
    import matplotlib.pyplot as plt

    if not embeddings:
        raise ValueError("embeddings must hold at least one (N, 2) array")
    ncols = min(positive_int(ncols, "ncols"), len(embeddings))
    for title, emb in embeddings.items():
        if np.ndim(emb) != 2 or np.shape(emb)[1] != 2:
            raise ValueError(f"embeddings[{title!r}] must have shape (N, 2), got {np.shape(emb)}")
    nrows = int(np.ceil(len(embeddings) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for ax in axes.flat[len(embeddings):]:
        ax.axis("off")
    for ax, (title, emb) in zip(axes.flat, embeddings.items(), strict=False):
        plot_latent(np.asarray(emb), y, ax=ax, title=str(title), class_names=class_names, s=4.0)
    if legend and y is not None:
        handles, labels = axes.flat[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="center right", fontsize=7, markerscale=2, frameon=False)
        fig.tight_layout(rect=(0, 0, 1 - 0.6 / (size * ncols), 1))
    else:
        fig.tight_layout()
    return fig
