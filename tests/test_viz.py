"""aecourse.viz beyond its argument errors (tests/test_bad_inputs.py): what plot_history draws."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

import aecourse as ae


def test_plot_history_draws_each_curve_and_the_best_epoch() -> None:
    history = ae.History()
    for train_loss, val_loss in ((1.0, 1.2), (0.6, 0.9), (0.4, 1.0)):
        history.append(train_loss=train_loss, val_loss=val_loss)
    history.best_epoch, history.best_value = 2, 0.9
    ax = ae.plot_history(history, title="demo")
    try:
        assert len(ax.figure.axes) == 1 and ax.get_title() == "demo" and ax.get_xlabel() == "epoch"
        curves = {line.get_label(): line for line in ax.get_lines()}
        assert set(curves) == {"train_loss", "val_loss", "best epoch (2)"}
        for key in ("train_loss", "val_loss"):
            np.testing.assert_array_equal(curves[key].get_xdata(), [1, 2, 3])
            np.testing.assert_array_equal(curves[key].get_ydata(), history[key])
        np.testing.assert_array_equal(curves["best epoch (2)"].get_xdata(), [2, 2])  # a vertical line
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train_loss", "val_loss", "best epoch (2)"]
        fig, other = plt.subplots()
        assert ae.plot_history(history, keys=["val_loss"], ax=other) is other  # draws into the axes given
        assert [line.get_label() for line in other.get_lines()] == ["val_loss", "best epoch (2)"]
    finally:
        plt.close("all")


def test_plot_image_rows_strip_draws_the_same_images_in_one_axes_per_row() -> None:
    x = np.random.default_rng(0).random((3, 6))  # three 2x3 images
    fig = ae.plot_image_rows({"a": x, "b": x[:2]}, (2, 3), n=3, strip=True)
    try:
        assert len(fig.axes) == 2
        first, second = (ax.get_images()[0].get_array() for ax in fig.axes)
        for i in range(3):
            np.testing.assert_allclose(first[:, 3 * i : 3 * i + 3], x[i].reshape(2, 3))
        np.testing.assert_allclose(second[:, :6], first[:, :6])
        assert not second[:, 6:].any()  # the missing third image is blank
        assert fig.axes[0].get_ylabel() == "a"
        tiles = ae.plot_image_rows({"a": x}, (2, 3), n=3)
        assert len(tiles.axes) == 3  # the default: one axes per image, as before
        assert tiles.axes[0].get_images()[0].get_cmap().name == "gray_r"
        signed = ae.plot_image_rows({"w": x - 0.5}, (2, 3), n=3, strip=True, cmap="RdBu_r", vmin=-1, vmax=1)
        image = signed.axes[0].get_images()[0]
        assert image.get_cmap().name == "RdBu_r" and image.get_clim() == (-1, 1)
    finally:
        plt.close("all")


def test_plot_latent_names_each_class_at_its_median_and_keeps_2d_codes_to_scale() -> None:
    z = np.array([[0.0, 0.0], [2.0, 0.0], [4.0, 0.0], [10.0, 10.0], [12.0, 14.0]])
    y = np.array([0, 0, 0, 1, 1])
    ax = ae.plot_latent(z, y, class_names=["zero", "one"])
    try:
        names = {t.get_text(): t.get_position() for t in ax.texts}
        assert names == {"zero": (2.0, 0.0), "one": (11.0, 12.0)}  # readable without telling colours apart
        assert [c.get_label() for c in ax.collections] == ["zero", "one"]
        assert ax.get_aspect() == 1.0 and (ax.get_xlabel(), ax.get_ylabel()) == ("z1", "z2")
        wide = ae.plot_latent(np.random.default_rng(0).normal(size=(20, 5)), np.arange(20) % 3)
        assert wide.get_xticks().size == 0 and wide.get_aspect() == "auto"  # a projection: no scale to keep
        assert sorted(t.get_text() for t in wide.texts) == ["0", "1", "2"]
    finally:
        plt.close("all")
