"""Tests of notebook 04's aecourse.explore (sweeps, small multiples, widgets, decoded grids) and UMAP set-up.

Headless: matplotlib's Agg backend, and ipywidgets built and driven without a kernel
(setting a slider's value runs its callback as a live kernel would).
"""

from __future__ import annotations

import os
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import aecourse as ae  # noqa: E402
from aecourse import explore, runtime, viz  # noqa: E402
from aecourse.models import Autoencoder  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def codes() -> tuple[np.ndarray, np.ndarray]:
    """60 codes in 5-D: three well separated groups of 20."""
    rng = np.random.default_rng(0)
    z = np.concatenate([rng.normal(c, 0.3, size=(20, 5)) for c in (0.0, 4.0, 8.0)]).astype(np.float32)
    return z, np.repeat(np.arange(3), 20)


def fake_projection(calls: list):
    """A stand-in for project_2d that records its calls and returns a picture that depends on them."""

    def project(z, method="pca", seed=0, **kwargs):
        calls.append((method, seed, dict(kwargs)))
        shift = sum(float(v) for v in kwargs.values())
        return np.asarray(z)[:, :2] + shift

    return project


# ---- neighbour_overlap ------------------------------------------------------------


def test_neighbour_overlap_oracles(codes) -> None:
    z, _ = codes
    assert explore.neighbour_overlap(z, z, k=5) == pytest.approx(1.0)
    # a rotation and scaling keeps every neighbourhood
    q, _ = np.linalg.qr(np.random.default_rng(1).normal(size=(5, 5)))
    assert explore.neighbour_overlap(z, 3.0 * z @ q, k=5) == pytest.approx(1.0)
    # a random picture keeps about k / N of each neighbourhood
    rng = np.random.default_rng(2)
    big = rng.normal(size=(400, 5))
    assert explore.neighbour_overlap(big, rng.normal(size=(400, 2)), k=10) < 0.08


def test_neighbour_overlap_by_hand() -> None:
    # 1-D line 0,1,2,10: nearest of 0 is 1, of 1 is 0 or 2 (tie broken by order), ...
    z = np.array([[0.0], [1.0], [3.0], [10.0]])
    emb = np.array([[0.0], [10.0], [3.0], [1.0]])  # point 1 and point 3 swapped
    # k=1: true nearest: 0->1, 1->0, 2->1, 3->2 ; picture nearest: 0->3, 1->2, 2->3, 3->0
    assert explore.neighbour_overlap(z, emb, k=1) == pytest.approx(0.0)
    assert explore.neighbour_overlap(z, z, k=3) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("z", "emb", "k", "match"),
    [
        (np.zeros((5, 2)), np.zeros((4, 2)), 2, "same number of rows"),
        (np.zeros(5), np.zeros((5, 2)), 2, "2-D"),
        (np.zeros((5, 2)), np.zeros((5, 2)), 5, r"k must be an int in \[1, 4\]"),
        (np.zeros((5, 2)), np.zeros((5, 2)), 0, "k must be"),
    ],
)
def test_neighbour_overlap_errors(z, emb, k, match) -> None:
    with pytest.raises(ValueError, match=match):
        explore.neighbour_overlap(z, emb, k=k)


# ---- projection_key and sweep_projection -------------------------------------------


def test_projection_key_fills_defaults() -> None:
    assert explore.projection_key("tsne") == explore.projection_key("tsne", perplexity=30)
    assert explore.projection_key("umap", min_dist=0.1) == explore.projection_key("umap", n_neighbors=15)
    assert explore.projection_key("umap") != explore.projection_key("umap", seed=1)
    assert explore.projection_key("tsne") != explore.projection_key("umap")
    with pytest.raises(ValueError, match="method must be one of"):
        explore.projection_key("mds")


def test_sweep_projection_uses_and_fills_the_cache(codes, monkeypatch) -> None:
    z, _ = codes
    calls: list = []
    monkeypatch.setattr(explore, "project_2d", fake_projection(calls))
    known = np.full((len(z), 2), 7.0)
    cache = {explore.projection_key("umap", n_neighbors=15, min_dist=0.1): known}
    sweep = explore.sweep_projection(z, "umap", "n_neighbors", (5, 15, 30), cache=cache, min_dist=0.1)
    assert list(sweep) == [5, 15, 30]
    assert sweep[15] is known  # taken from the cache, not recomputed
    assert [c[2] for c in calls] == [{"min_dist": 0.1, "n_neighbors": 5}, {"min_dist": 0.1, "n_neighbors": 30}]
    assert len(cache) == 3
    explore.sweep_projection(z, "umap", "n_neighbors", (5, 30), cache=cache, min_dist=0.1)
    assert len(calls) == 2  # everything was cached the second time


def test_sweep_projection_real_tsne_is_reproducible(codes) -> None:
    z, _ = codes
    first = explore.sweep_projection(z, "tsne", "perplexity", (5, 10), seed=0)
    again = explore.sweep_projection(z, "tsne", "perplexity", (5,), seed=0)
    assert first[5].shape == (len(z), 2)
    np.testing.assert_array_equal(first[5], again[5])
    assert not np.allclose(first[5], first[10])


@pytest.mark.parametrize(
    ("method", "knob", "values", "fixed", "match"),
    [
        ("pca", "perplexity", (5,), {}, "PCA has no knobs"),
        ("tsne", "n_neighbors", (5,), {}, "knob must be one of"),
        ("umap", "n_neighbors", (), {}, "values must hold"),
        ("umap", "n_neighbors", (5,), {"perplexity": 3}, "fixed knobs"),
        ("umap", "n_neighbors", (5,), {"n_neighbors": 3}, "fixed knobs"),
    ],
)
def test_sweep_projection_errors(codes, method, knob, values, fixed, match) -> None:
    with pytest.raises(ValueError, match=match):
        explore.sweep_projection(codes[0], method, knob, values, **fixed)


def test_sweep_projection_and_explorer_pass_options_and_key_them(codes, monkeypatch) -> None:
    z, y = codes
    calls: list = []
    monkeypatch.setattr(explore, "project_2d", fake_projection(calls))
    cache = {explore.projection_key("tsne"): np.zeros((len(z), 2))}  # the default settings' picture
    sweep = explore.sweep_projection(z, "tsne", "perplexity", (30,), cache=cache, options={"max_iter": 500})
    assert calls == [("tsne", 0, {"perplexity": 30, "max_iter": 500})]  # not the cached default picture
    assert explore.projection_key("tsne", max_iter=500) in cache and len(cache) == 2
    box = explore.projection_explorer(z, y, "tsne", knobs={"perplexity": (10, 30)}, cache=cache,
                                      options={"max_iter": 500})
    assert len(calls) == 1 and box.png.startswith(b"\x89PNG")  # its starting picture: the sweep's
    (slider, _status) = box.children[0].children
    slider.value = 10
    assert calls[-1] == ("tsne", 0, {"perplexity": 10, "max_iter": 500})
    assert sweep[30] is cache[explore.projection_key("tsne", max_iter=500)]


@pytest.mark.parametrize("options", [{"perplexity": 5}, {"random_state": 1}, {"n_components": 3}])
def test_options_must_not_set_knobs_or_fixed_settings(codes, options) -> None:
    with pytest.raises(ValueError, match="options must not set"):
        explore.sweep_projection(codes[0], "tsne", "perplexity", (5,), options=options)
    with pytest.raises(ValueError, match="options must not set"):
        explore.projection_explorer(codes[0], codes[1], "tsne", knobs={"perplexity": (5,)}, options=options)


# ---- plot_projections ---------------------------------------------------------------


def test_plot_projections_panels_and_legend(codes) -> None:
    z, y = codes
    fig = viz.plot_projections({"a": z[:, :2], "b": z[:, 2:4], "c": z[:, 3:], "d": -z[:, :2]}, y, ncols=3)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[:4] == ["a", "b", "c", "d"]
    assert len(fig.axes) == 6 and not fig.axes[5].axison  # 2 rows of 3, two unused panels hidden
    assert len(fig.legends) == 1 and len(fig.legends[0].get_texts()) == 3


def test_plot_projections_errors(codes) -> None:
    z, y = codes
    with pytest.raises(ValueError, match="at least one"):
        viz.plot_projections({}, y)
    with pytest.raises(ValueError, match=r"embeddings\['a'\] must have shape \(N, 2\)"):
        viz.plot_projections({"a": z}, y)
    with pytest.raises(ValueError, match="ncols must be a positive int"):
        viz.plot_projections({"a": z[:, :2]}, y, ncols=0)


# ---- projection_explorer ------------------------------------------------------------


def test_projection_explorer_sliders_redraw_from_cache(codes, monkeypatch) -> None:
    import ipywidgets as widgets

    z, y = codes
    calls: list = []
    monkeypatch.setattr(explore, "project_2d", fake_projection(calls))
    cache = {explore.projection_key("umap"): z[:, :2]}
    box = explore.projection_explorer(z, y, "umap", cache=cache)
    assert isinstance(box, widgets.VBox)
    *sliders, status = box.children[0].children
    assert [s.description for s in sliders] == ["n_neighbors", "min_dist"]
    assert isinstance(status, widgets.Label) and status.value == ""  # "computing..." only while drawing
    assert "need a live kernel" in repr(box)  # what a notebook opened without a kernel shows
    assert box.png.startswith(b"\x89PNG")  # the starting picture, shown under the sliders as a plain figure
    assert (sliders[0].value, sliders[1].value) == (15, 0.1)  # starts at UMAP's defaults
    assert calls == []  # the first picture came from the cache
    sliders[1].value = 0.5  # what a kernel does when the slider is released
    assert calls == [("umap", 0, {"n_neighbors": 15, "min_dist": 0.5})]
    assert explore.projection_key("umap", min_dist=0.5) in cache
    sliders[1].value = 0.1
    sliders[1].value = 0.5
    assert len(calls) == 1  # both pictures were remembered


def test_projection_explorer_custom_knobs(codes, monkeypatch) -> None:
    z, y = codes
    calls: list = []
    monkeypatch.setattr(explore, "project_2d", fake_projection(calls))
    box = explore.projection_explorer(z, y, "tsne", knobs={"perplexity": (5, 10, 20)})
    slider, _status = box.children[0].children
    assert slider.options == (5, 10, 20) and slider.value == 10  # 30 is not offered: the middle
    assert calls == [("tsne", 0, {"perplexity": 10})]


@pytest.mark.parametrize(
    ("method", "knobs", "match"),
    [
        ("pca", None, "PCA has no knobs"),
        ("tsne", {"min_dist": (0.1,)}, "knobs must be among"),
        ("umap", {"n_neighbors": ()}, "must hold at least one value"),
        ("tsne", {"perplexity": (5, 60)}, "below the number of codes"),
        ("umap", {"n_neighbors": (1, 5)}, r"must lie in \[2, 59\]"),
        ("umap", {}, "at least one knob"),
    ],
)
def test_projection_explorer_errors(codes, method, knobs, match) -> None:
    with pytest.raises(ValueError, match=match):
        explore.projection_explorer(codes[0], codes[1], method, knobs=knobs)


# ---- decode_grid, plot_decoded_grid, decoder_explorer ---------------------------------


def code_painter(z: torch.Tensor) -> torch.Tensor:
    """A 'decoder' for 1x2 images whose two pixels are the code itself: tiles can be read back."""
    return z.clone()


def test_decode_grid_places_tiles_like_a_plot() -> None:
    mosaic = explore.decode_grid(code_painter, (0.0, 1.0, 10.0, 20.0), image_shape=(1, 2), n=3)
    assert mosaic.shape == (3, 6)
    tiles = mosaic.reshape(3, 3, 2)  # (row, column, pixel)
    np.testing.assert_allclose(tiles[:, :, 0], [[0.0, 0.5, 1.0]] * 3)  # z1 grows to the right
    np.testing.assert_allclose(tiles[:, :, 1], [[20.0] * 3, [15.0] * 3, [10.0] * 3])  # z2 grows upwards


def test_decode_grid_with_a_model_matches_its_decoder() -> None:
    torch.manual_seed(0)
    model = Autoencoder(input_dim=6, latent_dim=2, hidden=(4,))
    mosaic = explore.decode_grid(model, (-1, 1, -2, 2), image_shape=(2, 3), n=4)
    assert mosaic.shape == (8, 12)
    with torch.no_grad():
        top_left = model.decode(torch.tensor([[-1.0, 2.0]])).numpy().reshape(2, 3)
        bottom_right = model.decode(torch.tensor([[1.0, -2.0]])).numpy().reshape(2, 3)
    np.testing.assert_allclose(mosaic[:2, :3], top_left, atol=1e-6)
    np.testing.assert_allclose(mosaic[-2:, -3:], bottom_right, atol=1e-6)


@pytest.mark.parametrize(
    ("decoder", "extent", "image_shape", "n", "error", "match"),
    [
        (code_painter, (0, 1, 0), (1, 2), 3, ValueError, "extent must be"),
        (code_painter, (1, 0, 0, 1), (1, 2), 3, ValueError, "z1_min < z1_max"),
        (code_painter, (0, 1, 0, 1), (1, 2), 1, ValueError, "n must be an int >= 2"),
        (code_painter, (0, 1, 0, 1), (2, 2), 3, ValueError, r"decoder must return images of shape \(B, 4\)"),
        (42, (0, 1, 0, 1), (1, 2), 3, TypeError, "decoder must have a decode method or be callable"),
    ],
)
def test_decode_grid_errors(decoder, extent, image_shape, n, error, match) -> None:
    with pytest.raises(error, match=match):
        explore.decode_grid(decoder, extent, image_shape, n)


def test_plot_decoded_grid_uses_latent_axes() -> None:
    ax = explore.plot_decoded_grid(code_painter, (0.0, 1.0, 10.0, 20.0), image_shape=(1, 2), n=3, gap=1)
    (image,) = ax.get_images()
    # tiles are centred on the grid points: half a step of padding on each side
    np.testing.assert_allclose(image.get_extent(), (-0.25, 1.25, 7.5, 22.5))
    assert ax.get_xlabel() == "z1" and ax.get_ylabel() == "z2"
    shown = np.asarray(image.get_array().filled(np.nan))
    assert shown.shape == (3 * 3, 3 * 4)  # each 1x2 tile with a 1-pixel border
    np.testing.assert_allclose(shown[1, [1, 2]], [0.0, 20.0])  # top-left tile: z = (0, 20)
    np.testing.assert_allclose(shown[7, [9, 10]], [1.0, 10.0])  # bottom-right tile: z = (1, 10)
    assert np.isnan(shown[0]).all() and np.isnan(shown[:, 3]).all()  # borders are blank
    with pytest.raises(ValueError, match="gap must be a non-negative int"):
        explore.plot_decoded_grid(code_painter, (0, 1, 0, 1), (1, 2), gap=-1)


def test_decoder_explorer_decodes_the_slider_point(codes) -> None:
    import ipywidgets as widgets

    seen: list = []

    def decoder(z: torch.Tensor) -> torch.Tensor:
        seen.append(z.numpy().copy())
        return torch.zeros(len(z), 4)

    z, y = codes
    box = explore.decoder_explorer(decoder, (-2.0, 2.0, 0.0, 8.0), (2, 2), z=z[:, :2], y=y, steps=8)
    assert isinstance(box, widgets.VBox)
    s1, s2 = box.children[0].children
    assert (s1.value, s2.value) == (0.0, 4.0) and s1.step == 0.5
    np.testing.assert_allclose(seen[-1], [[0.0, 4.0]])  # drawn once when built
    s1.value = 1.5
    s2.value = 6.0
    np.testing.assert_allclose(seen[-1], [[1.5, 6.0]])
    assert len(seen) == 3
    assert box.png.startswith(b"\x89PNG") and "need a live kernel" in repr(box)


def test_decoder_explorer_codes_panel_keeps_the_slider_ranges(codes, monkeypatch, caplog) -> None:
    """The codes panel's limits are the sliders' ranges (an equal aspect used to override them, with a warning)."""
    import matplotlib.pyplot as plt

    drawn: list = []
    close = plt.close
    monkeypatch.setattr(plt, "close", lambda fig=None: (drawn.append(fig), close(fig)))
    z, y = codes
    with caplog.at_level("WARNING"):
        explore.decoder_explorer(lambda c: torch.zeros(len(c), 4), (-2.0, 2.0, 0.0, 8.0), (2, 2), z=z[:, :2], y=y)
    ax_z = drawn[-1].axes[0]
    ax_z.figure.canvas.draw()  # apply the aspect as a shown figure would
    assert ax_z.get_xlim() == (-2.0, 2.0) and ax_z.get_ylim() == (0.0, 8.0)
    assert not [r for r in caplog.records if "Ignoring fixed" in r.getMessage()]


def test_explorer_shows_a_stored_picture_that_redraws_replace(codes, monkeypatch) -> None:
    """Displayed, an explorer leaves the sliders and then an ordinary PNG output, updated in place."""
    from IPython.core.interactiveshell import InteractiveShell

    shown: list = []

    class Publisher:
        def publish(self, data, metadata=None, transient=None, update=False, **_kw) -> None:
            shown.append((sorted(data), (transient or {}).get("display_id"), update))

    shell = InteractiveShell.instance()
    monkeypatch.setattr(shell, "display_pub", Publisher())
    z, y = codes
    monkeypatch.setattr(explore, "project_2d", fake_projection([]))
    box = explore.projection_explorer(z, y, "tsne", knobs={"perplexity": (5, 10, 20)})
    from IPython.display import display

    display(box)
    (widget_keys, _, _), (image_keys, display_id, update) = shown
    assert "application/vnd.jupyter.widget-view+json" in widget_keys and "text/plain" in widget_keys
    assert "image/png" in image_keys and display_id is not None and not update
    box.children[0].children[0].value = 5
    assert shown[-1] == (image_keys, display_id, True)  # the same output, replaced


def test_decoder_explorer_errors(codes) -> None:
    with pytest.raises(ValueError, match="steps must be an int >= 2"):
        explore.decoder_explorer(code_painter, (0, 1, 0, 1), (1, 2), steps=1)
    with pytest.raises(ValueError, match=r"z must have shape \(N, 2\)"):
        explore.decoder_explorer(code_painter, (0, 1, 0, 1), (1, 2), z=codes[0])
    with pytest.raises(ValueError, match="extent must have"):
        explore.decoder_explorer(code_painter, (0, 0, 0, 1), (1, 2))
    with pytest.raises(ValueError, match=r"decoder must return images of shape \(B, H\*W\)"):
        explore.decoder_explorer(code_painter, (0, 1, 0, 1), (3, 3))


# ---- prepare_umap -------------------------------------------------------------------


def test_prepare_umap_in_a_fresh_process() -> None:
    """In a new interpreter: numba kept to one thread, umap's functions cached and compiled."""
    script = (
        "import os, aecourse as ae\n"
        "umap = ae.viz.prepare_umap()\n"
        "import numba, umap.umap_ as u\n"
        "assert type(u.smooth_knn_dist._cache).__name__ == 'FunctionCache'\n"
        "assert u.smooth_knn_dist.signatures, 'the warm-up compiled it'\n"
        "print(numba.config.NUMBA_NUM_THREADS, os.environ['NUMBA_CACHE_DIR'])\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_NUM_THREADS"}
    cache_dir = env.get("NUMBA_CACHE_DIR", os.path.expanduser("~/.cache/aecourse/numba"))
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", cache_dir]
    assert done.stderr == ""  # no warnings: notebooks compare stderr


def test_notebook_names_reach_explore_through_viz() -> None:
    """Notebook 04 writes ae.viz.sweep_projection etc.: the same objects as in aecourse.explore."""
    for name in explore.__all__:
        assert getattr(ae.viz, name) is getattr(explore, name)
        assert name in dir(ae.viz)
    assert ae.viz.prepare_umap is runtime.prepare_umap
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        ae.viz.nothing  # noqa: B018


def test_a_umap_projection_changes_no_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only prepare_umap sets numba's variables; project_2d(z, "umap") imports umap as it is."""
    seen = {}

    class FakeUMAP:
        def __init__(self, **kwargs: object) -> None:
            seen.update(kwargs)

        def fit_transform(self, z: np.ndarray) -> np.ndarray:
            return z[:, :2]

    monkeypatch.setitem(sys.modules, "umap", type(sys)("umap"))
    sys.modules["umap"].UMAP = FakeUMAP
    before = dict(os.environ)
    z = np.random.default_rng(0).random((12, 4), dtype=np.float32)
    assert viz.project_2d(z, "umap", seed=3, n_neighbors=5).shape == (12, 2)
    assert dict(os.environ) == before
    assert seen == {"n_components": 2, "random_state": ae.seed(3), "n_jobs": 1, "n_neighbors": 5}
