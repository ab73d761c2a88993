"""Figures: 2-D views of latent codes, image grids, loss curves.

Notebook 04 teaches the three projections (PCA, t-SNE, UMAP); every notebook uses
the grids and curves.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import ModuleType

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ._validate import integer, positive_int
from .runtime import seed as course_seed
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
    it is reproducible, and is imported through :func:`prepare_umap`, so its compiled
    code is cached on disk and only the first call on a machine compiles.
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
    umap = prepare_umap(warm_up=False)  # imported late, with numba's cache and threads set up

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
    if y is not None:
        y = _labels(y, len(z), class_names)
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


def _check_shape(image_shape: object) -> tuple[int, int]:
    if (
        not isinstance(image_shape, (tuple, list)) or len(image_shape) != 2
        or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v > 0 for v in image_shape)
    ):
        raise ValueError(f"image_shape must be (height, width) of positive ints, got {image_shape!r}")
    return int(image_shape[0]), int(image_shape[1])


def plot_images(
    x: np.ndarray,
    image_shape: tuple[int, int],
    ncols: int = 10,
    titles: Sequence[str] | None = None,
    scale: float = 0.9,
) -> Figure:
    """Draw flattened images (N, H*W) in a grid of ``ncols`` columns."""
    image_shape = _check_shape(image_shape)
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
    rows: Mapping[str, np.ndarray], image_shape: tuple[int, int], n: int = 10, scale: float = 0.9
) -> Figure:
    """Draw several image sets as labelled rows, e.g. ``{"input": x, "reconstruction": x_hat}``."""
    if not isinstance(rows, Mapping) or not rows:
        raise ValueError("rows must be a dict of at least one image set, e.g. {'input': x, 'reconstruction': x_hat}")
    image_shape = _check_shape(image_shape)
    n = positive_int(n, "n")
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


# ---------------------------------------------------------------------------
# Notebook 04 (visualizing latent spaces): UMAP warm-up, knob sweeps, widgets,
# and decoding a 2-D latent plane.
# ---------------------------------------------------------------------------

# The knobs each projection exposes, with the values project_2d uses when they are not given.
KNOB_DEFAULTS: dict[str, dict[str, float]] = {
    "tsne": {"perplexity": 30.0},
    "umap": {"n_neighbors": 15, "min_dist": 0.1},
}
# The slider positions the explorer offers when none are given.
_KNOB_CHOICES: dict[str, dict[str, tuple[float, ...]]] = {
    "tsne": {"perplexity": (5, 10, 30, 50, 100)},
    "umap": {"n_neighbors": (5, 10, 15, 30, 50), "min_dist": (0.0, 0.1, 0.25, 0.5, 0.8)},
}

__all__ += [
    "KNOB_DEFAULTS",
    "prepare_umap",
    "neighbour_overlap",
    "projection_key",
    "sweep_projection",
    "plot_projections",
    "projection_explorer",
    "decode_grid",
    "plot_decoded_grid",
    "decoder_explorer",
]


_umap_caching_on = False


def prepare_umap(warm_up: bool = True) -> ModuleType:
    """Import UMAP and pay its one-time compile cost now, where the reader sees it (notebook 04).

    umap-learn compiles its numerical code with numba on first use. Importing it
    takes about 13 s the first time on a machine (numba fills its cache) and about
    2 s after that; but umap-learn does not ask numba to keep the code of its own
    functions, so the first fit in every new kernel spends about 8 s more compiling.
    This function:

    1. points ``NUMBA_CACHE_DIR`` at a writable folder (``~/.cache/aecourse/numba``)
       unless it is already set;
    2. sets ``NUMBA_NUM_THREADS=1`` unless it is already set: UMAP runs on one thread
       here anyway (``n_jobs=1``, for reproducible pictures), and numba's idle worker
       threads would otherwise keep spinning and slow other code, t-SNE included
       (tenfold on a 2-core machine). Steps 1 and 2 work only before numba is imported;
    3. imports umap and turns on numba's on-disk cache for umap's compiled
       functions (what ``@numba.njit(cache=True)`` would do), so later kernels load
       them in a fraction of a second instead of compiling them again;
    4. with ``warm_up``, fits UMAP once on 40 random points: the compiling happens
       here, and every later fit, e.g. through :func:`project_2d`, is fast.

    Returns:
        The imported ``umap`` module.
    """
    import sys

    os.environ.setdefault("NUMBA_CACHE_DIR", str(Path.home() / ".cache" / "aecourse" / "numba"))
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")
    try:
        import umap
    except ImportError as err:  # pragma: no cover - umap-learn is a course dependency
        raise ImportError("prepare_umap needs umap-learn: pip install umap-learn") from err
    from numba.core.dispatcher import Dispatcher

    global _umap_caching_on
    for name, module in [] if _umap_caching_on else list(sys.modules.items()):
        if module is None or not (name == "umap" or name.startswith("umap.")):
            continue
        for obj in vars(module).values():
            if isinstance(obj, Dispatcher):
                try:
                    obj.enable_caching()
                except RuntimeError:  # no cache folder for this function: it simply compiles
                    pass
    _umap_caching_on = True  # once per process: project_2d calls this for every UMAP fit
    if warm_up:
        x = np.random.default_rng(0).random((40, 4), dtype=np.float32)
        umap.UMAP(n_components=2, n_neighbors=5, random_state=0, n_jobs=1).fit_transform(x)
    return umap


def neighbour_overlap(z: np.ndarray, emb: np.ndarray, k: int = 10) -> float:
    """How many of each point's k nearest neighbours in ``z`` stay among its k nearest in ``emb``.

    The share is averaged over points: 1.0 when every neighbourhood survives, about
    k / N for a random picture. Notebook 04 builds it by hand in an exercise.

    Args:
        z: codes (N, latent_dim).
        emb: their picture (N, 2) (or any other (N, d) representation).
        k: neighbours per point, 1 <= k < N.
    """
    from sklearn.neighbors import NearestNeighbors

    z, emb = np.asarray(z, dtype=np.float64), np.asarray(emb, dtype=np.float64)
    if z.ndim != 2 or emb.ndim != 2 or len(z) != len(emb):
        raise ValueError(f"z and emb must be 2-D with the same number of rows, got {z.shape} and {emb.shape}")
    if integer(k, "k") < 1 or k >= len(z):
        raise ValueError(f"k must be an int in [1, {len(z) - 1}], got {k!r}")
    sets = []
    for points in (z, emb):
        idx = NearestNeighbors(n_neighbors=k + 1).fit(points).kneighbors(points, return_distance=False)
        sets.append([set(row[row != i][:k]) for i, row in enumerate(idx)])  # drop the point itself
    return float(np.mean([len(a & b) / k for a, b in zip(*sets, strict=True)]))


def projection_key(method: str, seed: int = 0, **kwargs: float) -> tuple:
    """The cache key of one projection: method, seed and every knob (defaults filled in).

    :func:`sweep_projection` and :func:`projection_explorer` share a ``cache`` dict
    keyed like this, so a picture computed once is never computed again (notebook 04).
    """
    if method not in PROJECTIONS:
        raise ValueError(f"method must be one of {PROJECTIONS}, got {method!r}")
    knobs = {**KNOB_DEFAULTS.get(method, {}), **kwargs}
    return (method, seed, tuple(sorted(knobs.items())))


def _cached_projection(
    z: np.ndarray, method: str, seed: int, cache: dict | None, kwargs: Mapping[str, float]
) -> np.ndarray:
    key = projection_key(method, seed, **kwargs)
    if cache is not None and key in cache:
        return cache[key]
    emb = project_2d(z, method, seed=seed, **kwargs)
    if cache is not None:
        cache[key] = emb
    return emb


def sweep_projection(
    z: np.ndarray,
    method: str,
    knob: str,
    values: Sequence[float],
    seed: int = 0,
    cache: dict | None = None,
    **fixed: float,
) -> dict[float, np.ndarray]:
    """Project the same codes once per value of one knob (notebook 04's small multiples).

    Args:
        z: codes (N, latent_dim).
        method: ``"tsne"`` (knob ``perplexity``) or ``"umap"`` (knobs ``n_neighbors``,
            ``min_dist``).
        knob: the knob to vary.
        values: its values, e.g. ``(5, 30, 100)``.
        seed: the projection's random seed, the same for every value.
        cache: optional dict keyed by :func:`projection_key`; pictures found there are
            reused and new ones are added.
        **fixed: other knobs, held fixed (e.g. ``min_dist=0.1``).

    Returns:
        ``{value: (N, 2) embedding}`` in the order of ``values``.
    """
    if method not in KNOB_DEFAULTS:
        raise ValueError(f"method must be one of {tuple(KNOB_DEFAULTS)} (PCA has no knobs), got {method!r}")
    if knob not in KNOB_DEFAULTS[method]:
        raise ValueError(f"knob must be one of {tuple(KNOB_DEFAULTS[method])} for {method}, got {knob!r}")
    unknown = set(fixed) - set(KNOB_DEFAULTS[method])
    if unknown or knob in fixed:
        raise ValueError(f"fixed knobs must be other knobs of {method}, got {sorted(fixed)}")
    values = list(values)
    if not values:
        raise ValueError("values must hold at least one value")
    return {v: _cached_projection(z, method, seed, cache, {**fixed, knob: v}) for v in values}


def plot_projections(
    embeddings: Mapping[str, np.ndarray],
    y: np.ndarray | None = None,
    ncols: int = 3,
    class_names: Sequence[str] | None = None,
    size: float = 2.6,
    legend: bool = True,
) -> Figure:
    """Small multiples: one panel per 2-D embedding, titled by its key, same colours (notebook 04).

    Args:
        embeddings: ``{title: (N, 2) array}``, e.g. ``{"PCA": ..., "t-SNE": ...}``.
        y: (N,) class labels colouring every panel alike, or None.
        ncols: panels per row.
        class_names: legend names of the classes.
        size: width and height of one panel in inches.
        legend: draw one legend for the whole figure (needs ``y``).
    """
    if not embeddings:
        raise ValueError("embeddings must hold at least one (N, 2) array")
    ncols = positive_int(ncols, "ncols")
    for title, emb in embeddings.items():
        emb = np.asarray(emb)
        if emb.ndim != 2 or emb.shape[1] != 2:
            raise ValueError(f"embeddings[{title!r}] must have shape (N, 2), got {emb.shape}")
    ncols = min(ncols, len(embeddings))
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


def _redraw(out: object, draw: Callable[[], Figure]) -> None:
    """Draw a fresh figure into an ipywidgets Output (works without a kernel, for tests)."""
    with out:
        out.clear_output(wait=True)
        fig = draw()
        plt.show()
        plt.close(fig)


def projection_explorer(
    z: np.ndarray,
    y: np.ndarray | None = None,
    method: str = "tsne",
    knobs: Mapping[str, Sequence[float]] | None = None,
    seed: int = 0,
    cache: dict | None = None,
    class_names: Sequence[str] | None = None,
    size: float = 4.0,
) -> object:
    """Sliders for a projection's knobs that redraw its picture (notebook 04).

    t-SNE gets a ``perplexity`` slider, UMAP ``n_neighbors`` and ``min_dist``
    sliders. A picture is recomputed when a slider is released (t-SNE on a few
    hundred codes takes seconds) and kept in ``cache``, so going back is instant.
    Needs a live kernel to respond; it draws the default picture when built.

    Args:
        z: codes (N, latent_dim).
        y: (N,) labels for the colours, or None.
        method: ``"tsne"`` or ``"umap"``.
        knobs: ``{knob: values}`` the sliders offer (default: a few typical values).
        seed: the projection's random seed.
        cache: dict keyed by :func:`projection_key` (e.g. filled by
            :func:`sweep_projection`); one is made if None.
        class_names, size: as in :func:`plot_latent`; ``size`` in inches.

    Returns:
        An ``ipywidgets.VBox``: the sliders, then the plot.
    """
    import ipywidgets as widgets

    if method not in KNOB_DEFAULTS:
        raise ValueError(f"method must be one of {tuple(KNOB_DEFAULTS)} (PCA has no knobs), got {method!r}")
    z = np.asarray(z)
    if z.ndim != 2:
        raise ValueError(f"z must have shape (N, latent_dim), got {z.shape}")
    knobs = dict(knobs) if knobs is not None else dict(_KNOB_CHOICES[method])
    if not knobs:
        raise ValueError("knobs must name at least one knob")
    for name, values in knobs.items():
        if name not in KNOB_DEFAULTS[method]:
            raise ValueError(f"knobs must be among {tuple(KNOB_DEFAULTS[method])} for {method}, got {name!r}")
        if len(values) == 0:
            raise ValueError(f"knobs[{name!r}] must hold at least one value")
    if method == "tsne" and max(knobs.get("perplexity", [0])) >= len(z):
        raise ValueError(f"knobs['perplexity'] must be below the number of codes ({len(z)})")
    if method == "umap" and not all(2 <= k < len(z) for k in knobs.get("n_neighbors", [2])):
        raise ValueError(f"knobs['n_neighbors'] must lie in [2, {len(z) - 1}]")
    cache = cache if cache is not None else {}
    sliders = {}
    for name, values in knobs.items():
        values = list(values)
        default = KNOB_DEFAULTS[method][name]
        start = default if default in values else values[len(values) // 2]
        sliders[name] = widgets.SelectionSlider(
            options=values, value=start, description=name, continuous_update=False
        )
    out = widgets.Output()
    label = {"tsne": "t-SNE", "umap": "UMAP"}[method]

    def draw() -> Figure:
        kwargs = {name: s.value for name, s in sliders.items()}
        emb = _cached_projection(z, method, seed, cache, kwargs)
        fig, ax = plt.subplots(figsize=(size, size))
        title = ", ".join(f"{k}={v}" for k, v in kwargs.items())
        plot_latent(emb, y, ax=ax, title=f"{label}: {title}", class_names=class_names)
        return fig

    for s in sliders.values():
        s.observe(lambda _change: _redraw(out, draw), names="value")
    _redraw(out, draw)
    return widgets.VBox([widgets.HBox(list(sliders.values())), out])


def _check_extent(extent: Sequence[float]) -> tuple[float, float, float, float]:
    if len(extent) != 4:
        raise ValueError(f"extent must be (z1_min, z1_max, z2_min, z2_max), got {extent!r}")
    z1_min, z1_max, z2_min, z2_max = (float(v) for v in extent)
    if not (z1_min < z1_max and z2_min < z2_max):
        raise ValueError(f"extent must have z1_min < z1_max and z2_min < z2_max, got {extent!r}")
    return z1_min, z1_max, z2_min, z2_max


def _decode_fn(decoder: object) -> Callable[[np.ndarray], np.ndarray]:
    """Turn a model with ``decode`` (or a callable) into codes (B, 2) -> images (B, D), NumPy."""
    import torch

    fn = getattr(decoder, "decode", decoder)
    if not callable(fn):
        raise TypeError(f"decoder must have a decode method or be callable, got {type(decoder).__name__}")
    params = list(decoder.parameters()) if isinstance(decoder, torch.nn.Module) else []
    device = params[0].device if params else torch.device("cpu")

    def run(z: np.ndarray) -> np.ndarray:
        module = decoder if isinstance(decoder, torch.nn.Module) else None
        was_training = module.training if module is not None else False
        if module is not None:
            module.eval()  # dropout off: the same code always decodes to the same image
        try:
            with torch.no_grad():
                out = fn(torch.as_tensor(np.asarray(z, dtype=np.float32), device=device))
        finally:
            if module is not None:
                module.train(was_training)
        return out.cpu().numpy() if isinstance(out, torch.Tensor) else np.asarray(out)

    return run


def decode_grid(
    decoder: object,
    extent: Sequence[float],
    image_shape: tuple[int, int],
    n: int = 10,
) -> np.ndarray:
    """Decode an n x n grid of 2-D latent points into one mosaic image (notebook 04).

    Args:
        decoder: a model with ``decode`` (e.g. :class:`~aecourse.models.Autoencoder`
            with ``latent_dim=2``) or a callable mapping codes (B, 2) to images (B, H*W).
        extent: ``(z1_min, z1_max, z2_min, z2_max)``: the first and last grid points
            on each axis.
        image_shape: (H, W) of one decoded image.
        n: grid points per axis.

    Returns:
        The mosaic (n*H, n*W): tile (row i, column j) is the image decoded at
        ``z1 = linspace(z1_min, z1_max, n)[j]`` and
        ``z2 = linspace(z2_max, z2_min, n)[i]`` (z2 grows upwards, as in a plot).
    """
    z1_min, z1_max, z2_min, z2_max = _check_extent(extent)
    n = integer(n, "n", minimum=2)
    h, w = image_shape
    z1 = np.linspace(z1_min, z1_max, n)
    z2 = np.linspace(z2_max, z2_min, n)  # top row first
    grid = np.stack(np.meshgrid(z1, z2), axis=-1).reshape(-1, 2)  # (n*n, 2), row by row
    images = _decode_fn(decoder)(grid)
    if images.ndim != 2 or images.shape != (n * n, h * w):
        raise ValueError(f"decoder must return images of shape (B, {h * w}) for image_shape {image_shape}, "
                         f"got {images.shape}")
    return images.reshape(n, n, h, w).transpose(0, 2, 1, 3).reshape(n * h, n * w)


def plot_decoded_grid(
    decoder: object,
    extent: Sequence[float],
    image_shape: tuple[int, int],
    n: int = 10,
    ax: Axes | None = None,
    title: str | None = None,
    gap: int = 1,
) -> Axes:
    """Show :func:`decode_grid`'s mosaic on latent axes: each tile sits at the code it decodes.

    The axes are in latent units, so codes can be scattered on top or next to it
    with the same limits (notebook 04). Each tile gets a blank border of ``gap``
    pixels, so that tiles are told apart and stay centred on their codes.
    """
    z1_min, z1_max, z2_min, z2_max = _check_extent(extent)
    gap = integer(gap, "gap")
    h, w = image_shape
    tiles = decode_grid(decoder, extent, image_shape, n).reshape(n, h, n, w)
    padded = np.pad(tiles, ((0, 0), (gap, gap), (0, 0), (gap, gap)), constant_values=np.nan)
    mosaic = padded.reshape(n * (h + 2 * gap), n * (w + 2 * gap))
    cmap = plt.get_cmap("gray_r").with_extremes(bad="white")  # the gaps
    dz1, dz2 = (z1_max - z1_min) / (n - 1), (z2_max - z2_min) / (n - 1)  # tile size in latent units
    ax = ax if ax is not None else plt.subplots(figsize=(4.5, 4.5))[1]
    ax.imshow(
        mosaic, cmap=cmap, vmin=0, vmax=1, aspect="auto", interpolation="nearest",
        extent=(z1_min - dz1 / 2, z1_max + dz1 / 2, z2_min - dz2 / 2, z2_max + dz2 / 2),
    )
    ax.set_box_aspect(mosaic.shape[0] / mosaic.shape[1])  # square pixels, whatever the latent ranges
    ax.set_xlabel("z1")
    ax.set_ylabel("z2")
    ax.set_title(title if title is not None else f"decoded {n} x {n} grid of codes")
    return ax


def decoder_explorer(
    decoder: object,
    extent: Sequence[float],
    image_shape: tuple[int, int],
    z: np.ndarray | None = None,
    y: np.ndarray | None = None,
    class_names: Sequence[str] | None = None,
    steps: int = 40,
    continuous_update: bool = False,
) -> object:
    """Two sliders pick a 2-D latent point; the plot shows where it is and what it decodes to.

    Notebook 04. Left panel: the codes ``z`` (if given) with the chosen point marked;
    right panel: the decoded image. Needs a live kernel to respond.

    Args:
        decoder: as in :func:`decode_grid`.
        extent: ``(z1_min, z1_max, z2_min, z2_max)``: the sliders' ranges.
        image_shape: (H, W) of one decoded image.
        z: (N, 2) codes to draw behind the point, or None.
        y: (N,) labels colouring them, or None.
        class_names: legend names of the classes.
        steps: slider positions per axis.
        continuous_update: redraw while dragging (True) or on release (False).

    Returns:
        An ``ipywidgets.VBox``: the two sliders, then the plot.
    """
    import ipywidgets as widgets

    z1_min, z1_max, z2_min, z2_max = _check_extent(extent)
    steps = integer(steps, "steps", minimum=2)
    if z is not None and (np.ndim(z) != 2 or np.shape(z)[1] != 2):
        raise ValueError(f"z must have shape (N, 2), got {np.shape(z)}")
    decode = _decode_fn(decoder)
    sliders = [
        widgets.FloatSlider(value=(lo + hi) / 2, min=lo, max=hi, step=(hi - lo) / steps,
                            description=name, continuous_update=continuous_update, readout_format=".2f")
        for name, lo, hi in (("z1", z1_min, z1_max), ("z2", z2_min, z2_max))
    ]
    out = widgets.Output()

    def draw() -> Figure:
        point = np.array([[sliders[0].value, sliders[1].value]], dtype=np.float32)  # (1, 2)
        image = decode(point)
        if image.shape != (1, image_shape[0] * image_shape[1]):
            raise ValueError(f"decoder must return images of shape (B, H*W) for {image_shape}, got {image.shape}")
        fig, (ax_z, ax_x) = plt.subplots(1, 2, figsize=(6.5, 3.2))
        if z is not None:
            plot_latent(z, y, ax=ax_z, title="codes", class_names=class_names, s=4.0)
        ax_z.scatter(point[:, 0], point[:, 1], marker="X", s=120, color="black", edgecolor="white")
        ax_z.set_xlim(z1_min, z1_max)
        ax_z.set_ylim(z2_min, z2_max)
        ax_x.imshow(image[0].reshape(image_shape), cmap="gray_r", vmin=0, vmax=1)
        ax_x.set_title(f"decoded z = ({point[0, 0]:.2f}, {point[0, 1]:.2f})")
        ax_x.axis("off")
        fig.tight_layout()
        return fig

    for s in sliders:
        s.observe(lambda _change: _redraw(out, draw), names="value")
    _redraw(out, draw)
    return widgets.VBox([widgets.HBox(sliders), out])
