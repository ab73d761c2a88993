"""Notebook 04's tools for exploring a latent space (also reachable as ``ae.viz.<name>``).

How much of each neighbourhood a picture keeps; one picture per knob value (small
multiples) and sliders for the knobs; decoding points of a 2-D latent plane into images.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from ._validate import integer
from .viz import PROJECTIONS, check_image_shape, plot_latent, project_2d

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["KNOB_DEFAULTS", "neighbour_overlap", "projection_key", "sweep_projection",
           "projection_explorer", "decode_grid", "plot_decoded_grid", "decoder_explorer"]

# The knobs each projection exposes, with the values project_2d uses when they are not given.
KNOB_DEFAULTS = {"tsne": {"perplexity": 30.0}, "umap": {"n_neighbors": 15, "min_dist": 0.1}}
# The slider positions the explorer offers when none are given.
_KNOB_CHOICES = {"tsne": {"perplexity": (5, 10, 30, 50, 100)},
                 "umap": {"n_neighbors": (5, 10, 15, 30, 50), "min_dist": (0.0, 0.1, 0.25, 0.5, 0.8)}}


def neighbour_overlap(z: np.ndarray, emb: np.ndarray, k: int = 10) -> float:
    """How many of each point's k nearest neighbours in ``z`` stay among its k nearest in ``emb``.

    Notebook 04 builds it by hand. Averaged over points: 1.0 when every neighbourhood
    survives, about k / N for a random picture. ``emb`` is (N, 2) or any (N, d); 1 <= k < N.
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
    """The cache key of one projection: method, seed and every knob, defaults filled in (notebook 04).

    :func:`sweep_projection` and :func:`projection_explorer` share a ``cache`` keyed so.
    """
    if method not in PROJECTIONS:
        raise ValueError(f"method must be one of {PROJECTIONS}, got {method!r}")
    knobs = {**KNOB_DEFAULTS.get(method, {}), **kwargs}
    return (method, seed, tuple(sorted(knobs.items())))


def _cached_projection(z: np.ndarray, method: str, seed: int, cache: dict | None, knobs: Mapping) -> np.ndarray:
    key = projection_key(method, seed, **knobs)  # knobs: the knobs and any other settings (e.g. max_iter)
    if cache is not None and key in cache:
        return cache[key]
    emb = project_2d(z, method, seed=seed, **knobs)
    if cache is not None:
        cache[key] = emb
    return emb


def _check_method(method: str, options: Mapping | None = None) -> dict:
    if method not in KNOB_DEFAULTS:
        raise ValueError(f"method must be one of {tuple(KNOB_DEFAULTS)} (PCA has no knobs), got {method!r}")
    if taken := set(options or {}) & {*KNOB_DEFAULTS[method], "n_components", "random_state", "n_jobs"}:
        raise ValueError(f"options must not set knobs or fixed settings, got {sorted(taken)}")
    return dict(options or {})


def sweep_projection(
    z: np.ndarray,
    method: str,
    knob: str,
    values: Sequence[float],
    seed: int = 0,
    cache: dict | None = None,
    options: Mapping[str, object] | None = None,
    **fixed: float,
) -> dict[float, np.ndarray]:
    """Project the same codes once per value of one knob: ``{value: (N, 2) picture}`` (notebook 04).

    ``method``: ``"tsne"`` (knob ``perplexity``) or ``"umap"`` (``n_neighbors``, ``min_dist``);
    other knobs are held at ``fixed`` (``min_dist=0.1``), other settings at ``options`` (e.g.
    ``{"max_iter": 500}``). Pictures in ``cache`` (keyed by :func:`projection_key`) are reused.
    """
    options = _check_method(method, options)
    if knob not in KNOB_DEFAULTS[method]:
        raise ValueError(f"knob must be one of {tuple(KNOB_DEFAULTS[method])} for {method}, got {knob!r}")
    if set(fixed) - set(KNOB_DEFAULTS[method]) or knob in fixed:
        raise ValueError(f"fixed knobs must be other knobs of {method}, got {sorted(fixed)}")
    values = list(values)
    if not values:
        raise ValueError("values must hold at least one value")
    return {v: _cached_projection(z, method, seed, cache, {**fixed, knob: v, **options}) for v in values}


def _explorer(controls: object, draw: Callable[[], Figure], note: str) -> object:
    """Sliders whose picture is an ordinary figure output, so a stored notebook keeps it.

    Displaying the returned VBox shows the sliders, then the picture for their starting values as a
    plain PNG output (a notebook opened without a kernel shows ``note`` and that picture); each
    redraw replaces that output in place. Tests read ``.png``.
    """
    import io

    import ipywidgets as widgets
    import matplotlib.pyplot as plt
    from IPython.display import Image, display

    class Explorer(widgets.VBox):
        png, _handle = b"", None  # the picture for the sliders' values; where it was displayed

        def redraw(self, status: object | None = None) -> None:
            if status is not None:  # a t-SNE picture takes seconds: say so meanwhile
                status.value = "computing the picture..."
            fig, buf = draw(), io.BytesIO()
            fig.savefig(buf, format="png", dpi=72, bbox_inches="tight")  # modest: the notebook stores it
            self.png = buf.getvalue()
            plt.close(fig)
            if self._handle is not None:
                self._handle.update(Image(data=self.png, format="png"))
            if status is not None:
                status.value = ""

        def __repr__(self) -> str:
            return note

        def _ipython_display_(self) -> None:
            display(self._repr_mimebundle_(), raw=True)  # the sliders
            self._handle = display(Image(data=self.png, format="png"), display_id=True)

    box = Explorer([controls])
    box.redraw()
    return box


def projection_explorer(
    z: np.ndarray,
    y: np.ndarray | None = None,
    method: str = "tsne",
    knobs: Mapping[str, Sequence[float]] | None = None,
    seed: int = 0,
    cache: dict | None = None,
    class_names: Sequence[str] | None = None,
    size: float = 4.0,
    options: Mapping[str, object] | None = None,
) -> object:
    """Sliders for a projection's knobs that redraw its picture (notebook 04); an ``ipywidgets.VBox``.

    t-SNE gets ``perplexity``, UMAP ``n_neighbors`` and ``min_dist``; ``knobs`` (``{knob:
    values}``) sets what they offer, ``options`` as in :func:`sweep_projection`. A picture is computed
    when a slider is released and kept in ``cache`` (see :func:`projection_key`), so going back is
    instant. Needs a live kernel to respond; it draws the default picture when built.
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    options = _check_method(method, options)
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
        values, default = list(values), KNOB_DEFAULTS[method][name]
        start = default if default in values else values[len(values) // 2]
        sliders[name] = widgets.SelectionSlider(options=values, value=start, description=name, continuous_update=False)
    label = {"tsne": "t-SNE", "umap": "UMAP"}[method]

    def draw() -> Figure:
        kwargs = {name: s.value for name, s in sliders.items()}
        emb = _cached_projection(z, method, seed, cache, {**kwargs, **options})
        fig, ax = plt.subplots(figsize=(size, size))
        plot_latent(emb, y, ax=ax, title=f"{label}: " + ", ".join(f"{k}={v}" for k, v in kwargs.items()),
                    class_names=class_names)
        if y is not None:
            ax.legend(fontsize=7, markerscale=2, loc="center left", bbox_to_anchor=(1, 0.5), frameon=False)
        return fig

    status = widgets.Label("")
    box = _explorer(widgets.HBox([*sliders.values(), status]), draw,
                    "[sliders: they need a live kernel (run this cell); the picture below is for their starting "
                    "values]")
    for s in sliders.values():
        s.observe(lambda _change: box.redraw(status), names="value")
    return box


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
    module = decoder if isinstance(decoder, torch.nn.Module) else None
    param = next(module.parameters(), None) if module is not None else None
    device = param.device if param is not None else torch.device("cpu")

    def run(z: np.ndarray) -> np.ndarray:
        was_training = module is not None and module.training
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


def decode_grid(decoder: object, extent: Sequence[float], image_shape: tuple[int, int], n: int = 10) -> np.ndarray:
    """Decode an n x n grid of 2-D latent points into one mosaic image (notebook 04).

    ``decoder``: a model with ``decode`` (an :class:`~aecourse.models.Autoencoder` with
    ``latent_dim=2``) or a callable from codes (B, 2) to images (B, H*W). ``extent =
    (z1_min, z1_max, z2_min, z2_max)``: the first and last grid points per axis. Tile (i, j)
    of the mosaic (n*H, n*W) is decoded at ``z1 = linspace(z1_min, z1_max, n)[j]``,
    ``z2 = linspace(z2_max, z2_min, n)[i]`` (z2 grows upwards, as in a plot).
    """
    z1_min, z1_max, z2_min, z2_max = _check_extent(extent)
    n = integer(n, "n", minimum=2)
    h, w = check_image_shape(image_shape)
    grid = np.stack(np.meshgrid(np.linspace(z1_min, z1_max, n), np.linspace(z2_max, z2_min, n)), axis=-1)
    images = _decode_fn(decoder)(grid.reshape(-1, 2))  # (n*n, 2) codes, row by row, top row first
    if images.shape != (n * n, h * w):
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
    """:func:`decode_grid`'s mosaic on latent axes: each tile sits at the code it decodes (notebook 04).

    Codes can be scattered on it with the same limits; ``gap`` blank pixels keep tiles apart.
    """
    import matplotlib.pyplot as plt

    z1_min, z1_max, z2_min, z2_max = _check_extent(extent)
    gap = integer(gap, "gap")
    h, w = check_image_shape(image_shape)
    tiles = decode_grid(decoder, extent, image_shape, n).reshape(n, h, n, w)
    padded = np.pad(tiles, ((0, 0), (gap, gap), (0, 0), (gap, gap)), constant_values=np.nan)
    mosaic = padded.reshape(n * (h + 2 * gap), n * (w + 2 * gap))
    cmap = plt.get_cmap("gray_r").with_extremes(bad="white")  # the gaps
    dz1, dz2 = (z1_max - z1_min) / (n - 1), (z2_max - z2_min) / (n - 1)  # tile size in latent units
    ax = ax if ax is not None else plt.subplots(figsize=(4.5, 4.5))[1]
    ax.imshow(mosaic, cmap=cmap, vmin=0, vmax=1, aspect="auto", interpolation="nearest",
              extent=(z1_min - dz1 / 2, z1_max + dz1 / 2, z2_min - dz2 / 2, z2_max + dz2 / 2))
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
    """Two sliders pick a 2-D latent point; it is shown among the codes and decoded (notebook 04).

    Left: the codes ``z`` (N, 2), if given, coloured by ``y``, the point marked; right: its
    image. ``decoder`` as in :func:`decode_grid`; ``extent``: the sliders' ranges, ``steps``
    their positions. Returns an ``ipywidgets.VBox``; needs a live kernel to respond.
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt
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

    def draw() -> Figure:
        point = np.array([[sliders[0].value, sliders[1].value]], dtype=np.float32)  # (1, 2)
        image = decode(point)
        if image.shape != (1, image_shape[0] * image_shape[1]):
            raise ValueError(f"decoder must return images of shape (B, H*W) for {image_shape}, got {image.shape}")
        fig, (ax_z, ax_x) = plt.subplots(1, 2, figsize=(6.5, 3.2))
        if z is not None:
            plot_latent(z, y, ax=ax_z, title="codes", class_names=class_names, s=4.0)
            if y is not None:
                ax_z.legend(fontsize=6, markerscale=2, loc="upper left", bbox_to_anchor=(1, 1), frameon=False)
        ax_z.scatter(point[:, 0], point[:, 1], marker="X", s=120, color="black", edgecolor="white")
        ax_z.set(aspect="auto", xlim=(z1_min, z1_max), ylim=(z2_min, z2_max))  # the sliders' ranges as limits
        ax_x.imshow(image[0].reshape(image_shape), cmap="gray_r", vmin=0, vmax=1)
        ax_x.set_title(f"decoded z = ({point[0, 0]:.2f}, {point[0, 1]:.2f})")
        ax_x.axis("off")
        fig.tight_layout()
        return fig

    box = _explorer(widgets.HBox(sliders), draw, "[sliders: they need a live kernel (run this cell); the "
                    "picture below is for the centre of the plane]")
    for s in sliders:
        s.observe(lambda _change: box.redraw(), names="value")
    return box
