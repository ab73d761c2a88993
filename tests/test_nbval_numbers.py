"""tools/nbval_numbers.py: stored numbers compared within a tolerance, everything else exact.

Both directions are proven: last-digit differences of the kind another CPU produces
pass, and real changes (a doubled learning rate, a model one layer shorter) still
fail nbval on a copy of a course notebook.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tools.nbval_numbers import LEVELS, align_text, numbers_agree

ROOT = Path(__file__).resolve().parents[1]
DEFAULT, LOOSE, EXACT = LEVELS["default"], LEVELS["loose"], LEVELS["exact"]


@pytest.mark.parametrize(
    ("stored", "fresh"),
    [
        ("validation MSE: best 0.0532 (epoch 30)", "validation MSE: best 0.0533 (epoch 30)"),  # last digit
        ("0.0238 vs 0.0374", "0.0240 vs 0.0373"),  # 0.8 % apart: another CPU's rounding after training
        ("loss 1.5e-08", "loss 0.0e+00"),  # both below the printed resolution of 1e-8
        ("gap 16.35", "gap 16.43"),
        ("nan", "nan"),
    ],
)
def test_differences_of_another_cpu_pass(stored: str, fresh: str) -> None:
    assert align_text(stored, fresh, DEFAULT) == stored


@pytest.mark.parametrize(
    ("stored", "fresh"),
    [
        ("validation MSE 0.0532", "validation MSE 0.0600"),  # 13 %: a real change
        ("best epoch 10", "best epoch 11"),  # integers (counts, epochs) must match
        ("70 of 100 units dead", "71 of 100 units dead"),
        ("val MSE 0.0532", "val RMSE 0.0532"),  # a word changed
        ("0.05 0.06", "0.05"),  # a number went missing
        ("loss 0.10", "loss nan"),
        ("accuracy 0.98", "accuracy -0.98"),
    ],
)
def test_real_changes_fail(stored: str, fresh: str) -> None:
    assert align_text(stored, fresh, DEFAULT) == fresh


def test_levels() -> None:
    assert numbers_agree("0.369", "0.466", LOOSE)  # a UMAP layout on another CPU
    assert not numbers_agree("0.369", "0.466", DEFAULT)
    assert numbers_agree("10", "11", LOOSE) and not numbers_agree("10", "11", DEFAULT)
    assert not numbers_agree("0.369", "0.900", LOOSE)
    assert numbers_agree("0.0532", "0.0533", DEFAULT) and not numbers_agree("0.0532", "0.0533", EXACT)
    assert numbers_agree("1e-3", "1.0e-3", EXACT)  # the same number, printed two ways


def test_numbers_inside_words_are_words() -> None:
    # "z1", "conv2d" and "x_1" are names: a change in them is a change of text
    assert align_text("z1 = 0.50", "z2 = 0.50", DEFAULT) == "z2 = 0.50"
    assert align_text("conv2d: 0.50", "conv3d: 0.50", DEFAULT) == "conv3d: 0.50"


def _mutated_copy(src: Path, dest: Path, old: str, new: str, until: str = "baseline_mse =") -> Path:
    """``src`` with ``old`` replaced by ``new`` in its one code cell, cut after the cell holding ``until``."""
    nb = nbformat.read(src, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code" and old in c.source]
    assert len(cells) == 1, f"{old!r} must appear in exactly one code cell of {src.name}"
    cells[0].source = cells[0].source.replace(old, new)  # the stored outputs stay as they were
    last = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and until in c.source)
    nb.cells = nb.cells[: last + 1]  # the training and what it prints: the rest would only add time
    nbformat.write(nb, dest)
    return dest


def test_nbval_catches_changes_that_matter(tmp_path: Path) -> None:
    """A doubled learning rate and a model one layer shorter fail nbval; the unchanged notebook passes."""
    tour = ROOT / "notebooks" / "00_course_tour.ipynb"
    fit_call = ('history = ae.fit(model, ae.losses.reconstruction("mse"), loaders["train"], loaders["val"], '
                'epochs=15, optimizer=optimizer')
    rate = "optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)"  # built in the cell before the fit
    copies = [
        _mutated_copy(tour, tmp_path / "unchanged.ipynb", fit_call, fit_call),
        _mutated_copy(tour, tmp_path / "lr_doubled.ipynb", rate, rate.replace("1e-2", "2e-2")),
        _mutated_copy(tour, tmp_path / "one_layer_shorter.ipynb", "latent_dim=2, hidden=(32,))", "latent_dim=2)"),
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "AECOURSE_DEVICE": "cpu", "AECOURSE_NO_PROGRESS": "1"}
    env.pop("AECOURSE_SEED_OFFSET", None)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval", "--nbval-current-env", "-p", "tools.nbval_numbers",
         "--nbval-sanitize-with", str(ROOT / "tests" / "sanitize.cfg"), "-p", "no:cacheprovider",
         "--rootdir", str(tmp_path), "-q", "-rf", *map(str, copies)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    failed = set(re.findall(r"FAILED (?:\S*/)?(\w+)\.ipynb::Cell (\d+)", result.stdout))
    assert {name for name, _ in failed} == {"lr_doubled", "one_layer_shorter"}, result.stdout[-3000:]
    code_cells = [c.source for c in nbformat.read(tour, as_version=4).cells if c.cell_type == "code"]
    fit_cell = next(i for i, source in enumerate(code_cells) if fit_call in source)  # nbval counts code cells
    assert ("lr_doubled", str(fit_cell)) in failed  # the loss it prints after training
