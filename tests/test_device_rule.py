"""One device rule: every model and batch goes to the course's device.

This machine has no GPU, so the tests use PyTorch's ``meta`` device: tensors with
shapes but no numbers. Mixing a meta tensor with a CPU tensor fails exactly as mixing
a CUDA tensor with a CPU one does. Reading numbers out of a meta tensor is impossible,
so ``fake_numbers`` lets ``.item()``, ``.cpu()`` and ``.numpy()`` return zeros: code
then runs end to end, its numbers are meaningless, and any device mix still fails.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator
from pathlib import Path

import matplotlib
import nbformat
import numpy as np
import pytest
import torch

import aecourse as ae
from aecourse import losses

matplotlib.use("Agg")
ROOT = Path(__file__).resolve().parents[1]
META = torch.device("meta")
MIXING = re.compile(r"(on the expected device|same device|Expected all tensors|device type|found at least two devices)")


@contextlib.contextmanager
def fake_numbers(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Meta tensors answer .item(), .cpu(), .numpy() and float() with zeros, bool() with True."""
    names = ("item", "cpu", "numpy", "tolist", "__float__", "__bool__")
    real = {name: getattr(torch.Tensor, name) for name in names}

    def patched(name: str):
        def method(self: torch.Tensor, *args: object, **kwargs: object) -> object:
            if self.is_meta:  # zeros, but truth tests pass (assert torch.isfinite(loss))
                fake = torch.ones(self.shape, dtype=self.dtype) if name == "__bool__" else torch.zeros(self.shape)
                return real[name](fake.to(self.dtype), *args, **kwargs)
            return real[name](self, *args, **kwargs)

        return method

    with monkeypatch.context() as m:
        for name in real:
            m.setattr(torch.Tensor, name, patched(name))
        yield


def _tiny_loaders() -> tuple:
    x = np.random.default_rng(0).random((40, 8)).astype(np.float32)
    y = np.arange(40) % 2
    return ae.make_loader(x, y, batch_size=16, shuffle=True), ae.make_loader(x, y, batch_size=16), x


def test_package_follows_the_model_to_its_device(monkeypatch: pytest.MonkeyPatch) -> None:
    """fit moves model and batches to the device; the helpers run on the model's device."""
    train, val, x = _tiny_loaders()
    with fake_numbers(monkeypatch):
        net = ae.BottleneckNet(8, 2, 2, hidden=(4,))
        history = ae.fit(net, losses.classification(), train, val, epochs=2, device="meta",
                         metrics={"accuracy": ae.train.accuracy})
        assert next(net.parameters()).is_meta and len(history["val_loss"]) == 2
        assert ae.evaluate(net, losses.classification(), val) == 0.0  # ran on meta: the fake zeros
        z, labels = ae.encode(net, val)
        assert z.shape == (40, 2) and labels.shape == (40,)
        auto = ae.Autoencoder(8, 2, hidden=(4,))
        ae.fit(auto, losses.denoising(0.1), ae.make_loader(x, batch_size=16), epochs=1, device="meta")
        assert ae.train.reconstruction_mse(auto, ae.make_loader(x, batch_size=16)) == 0.0


def test_fit_uses_the_course_device_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    train, _, _ = _tiny_loaders()
    monkeypatch.setenv("AECOURSE_DEVICE", "meta")
    with fake_numbers(monkeypatch):
        net = ae.BottleneckNet(8, 2, 2, hidden=(4,))
        ae.fit(net, losses.classification(), train, epochs=1)
    assert next(net.parameters()).is_meta


def test_mixing_devices_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check can fail: a model on the device fed CPU batches by hand raises."""
    train, _, _ = _tiny_loaders()
    with fake_numbers(monkeypatch):
        net = ae.BottleneckNet(8, 2, 2, hidden=(4,)).to(META)
        x, _ = next(iter(train))
        with pytest.raises(RuntimeError, match=MIXING):
            net(x)


def run_cells_on_meta(
    nb: nbformat.NotebookNode, monkeypatch: pytest.MonkeyPatch, until: str | None = None, first_mix: bool = False
) -> tuple[list, list]:
    """Run a notebook's code cells in order on the meta device; return (device errors, cells that ran).

    Stops after the cell whose source contains ``until``, or at the first device mix with ``first_mix``.
    """
    monkeypatch.setenv("AECOURSE_DEVICE", "meta")
    monkeypatch.setenv("AECOURSE_NO_PROGRESS", "1")
    nb = short_epochs(nb)
    namespace: dict = {"display": lambda *a, **k: None}
    mixing, clean = [], []
    with fake_numbers(monkeypatch):
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    exec(compile(cell.source, f"cell {index}", "exec"), namespace)
                clean.append(cell.source)
            except Exception as err:  # numbers are fake: asserts and checks fail; only mixing counts
                if MIXING.search(str(err)):
                    mixing.append((index, f"{type(err).__name__}: {str(err)[:160]}"))
            finally:
                matplotlib.pyplot.close("all")
            if (until is not None and until in cell.source) or (first_mix and mixing):
                break
    return mixing, clean


def short_epochs(nb: nbformat.NotebookNode, epochs: int = 2) -> nbformat.NotebookNode:
    """``nb`` with every ``*EPOCHS = ...`` line of its parameter cell set to ``epochs``.

    A device mix fails at the first batch; on meta the numbers are fake anyway, so more
    epochs would only add time (notebook 03 took minutes with its own).
    """
    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        if "parameters" in cell.metadata.get("tags", []):
            cell.source = re.sub(r"^(\w*EPOCHS) = .*$", rf"\1 = {epochs}", cell.source, flags=re.M)
    return nb


# Notebook 03 up to the end of section 8: the hand-written loop, evaluation, checkpoint
# and test report, ae.fit, and the autoencoder through the same recipe.
UNTIL_SECTION_9 = "ae_history = ae.fit("


def test_notebook_03_hand_written_code_keeps_to_the_device(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Notebook 03's hand-written loop, evaluation and test report on a non-CPU device."""
    monkeypatch.chdir(tmp_path)  # its checkpoints and .npy files land here
    nb = nbformat.read(ROOT / "notebooks" / "03_training_recipe.ipynb", as_version=4)
    mixing, clean = run_cells_on_meta(nb, monkeypatch, until=UNTIL_SECTION_9)
    assert not mixing, mixing
    ran = "\n".join(clean)  # the loop, the evaluation, the package's fit and the test report really ran:
    calls = ("hand, best_epoch, best_state = train_by_hand(", "test_report(model,", "history = ae.fit(",
             "ae_hand, ae_best")
    for call in calls:
        assert call in ran, call


def test_the_meta_run_finds_batches_left_on_the_cpu(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The same run fails when the hand-written evaluation forgets to move its batches."""
    monkeypatch.chdir(tmp_path)
    nb = nbformat.read(ROOT / "notebooks" / "03_training_recipe.ipynb", as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code" and "def evaluate_by_hand(" in c.source]
    assert len(cells) == 1 and "        batch = [t.to(device) for t in batch]\n" in cells[0].source
    cells[0].source = cells[0].source.replace("        batch = [t.to(device) for t in batch]\n", "", 1)
    mixing, _ = run_cells_on_meta(nb, monkeypatch, until=UNTIL_SECTION_9, first_mix=True)
    assert mixing and "on the expected device" in mixing[0][1]
