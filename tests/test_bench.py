"""The benchmark's pieces work (timings are reported by `make bench`, never asserted)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from tools import bench


def test_device_loader_yields_every_sample_once_in_a_seeded_order() -> None:
    x = torch.arange(20, dtype=torch.float32).reshape(10, 2)
    first = [b[0] for b in bench._device_loader(x, 4, shuffle=True, seed=0)]
    again = [b[0] for b in bench._device_loader(x, 4, shuffle=True, seed=0)]
    assert [len(b) for b in first] == [4, 4, 2]
    assert all(torch.equal(a, b) for a, b in zip(first, again, strict=True))
    rows = sorted(tuple(r.tolist()) for b in first for r in b)
    assert rows == [tuple(r.tolist()) for r in x]
    ordered = torch.cat([b[0] for b in bench._device_loader(x, 3, shuffle=False, seed=0)])
    assert torch.equal(ordered, x)


def test_bench_loop_and_report(tmp_path: Path) -> None:
    x = np.random.default_rng(0).random((80, 8), dtype=np.float32)
    row = bench.bench_loop("tiny", x, (4,), 2, epochs=1, batch_size=16, repeats=1)
    assert row["n_train"] == 72 and row["sizes"] == [8, 4, 2]
    assert row["fit_median_s"] > 0 and row["bare_median_s"] > 0 and row["ratio_median"] > 0
    report = {
        "machine": bench.machine(),
        "date": "2026-12-01",
        "fixed_costs": dict.fromkeys(bench.FIXED_COSTS, 0.5),
        "notebooks": [{"notebook": "a.ipynb", "seconds": 1.0, "setup_cell": {"cell": 2, "seconds": 0.5},
                       "slow_cells": [{"cell": 2, "seconds": 0.5, "first_line": "import x"}]}],
        "loop": [row],
        "projections": {"n": 10, "d": 3, "pca_s": 0.1, "tsne_s": 0.2,
                        "umap_cold": {"import_s": 1, "first_fit_s": 2, "second_fit_s": 3},
                        "umap_warm": {"import_s": 1, "first_fit_s": 1, "second_fit_s": 1}},
    }
    json_path, md_path = bench.write_report(report, tmp_path)
    assert json.loads(json_path.read_text())["loop"][0]["name"] == "tiny"
    text = md_path.read_text()
    for heading in ("What every kernel pays once", "Notebooks: cold execution", "Training loop", "2-D projections",
                    "The README's table"):
        assert heading in text
    assert "| a.ipynb | 1.0 |" in text and "| tiny (72 x 1 epochs) | cpu |" in text


def test_over_the_bars_names_what_is_too_slow() -> None:
    row = {"notebook": "b.ipynb", "seconds": 30.0, "setup_cell": {"cell": 1, "seconds": 3.5},
           "slow_cells": [{"cell": 1, "seconds": 3.5, "first_line": "import"},
                          {"cell": 7, "seconds": 2.9, "first_line": "fit"},
                          {"cell": 9, "seconds": 3.2, "first_line": "fit"}]}
    assert bench.over_the_bars(row) == ["30.0 s in all", "cell 9 3.2 s"]  # the setup cell's bar is 4 s
    row["setup_cell"]["seconds"], row["seconds"] = 4.2, 20.0
    assert bench.over_the_bars(row) == ["setup cell 4.2 s", "cell 9 3.2 s"]


def test_readme_table_is_written_between_the_markers(tmp_path: Path) -> None:
    report = {"machine": {"processor": "x86_64", "cpu_count": 2, "torch_threads": 1}, "date": "2026-12-01",
              "notebooks": [{"notebook": "00_a.ipynb", "seconds": 12.34, "setup_cell": {"cell": 1, "seconds": 2.0},
                             "slow_cells": [{"cell": 5, "seconds": 2.5, "first_line": "fit"}]},
                            {"notebook": "01_b.ipynb", "seconds": 8.0, "setup_cell": {"cell": 1, "seconds": 0.5},
                             "slow_cells": []}]}
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{bench.README_START}\nold table\n{bench.README_END}\noutro\n")
    bench.write_readme_table(report, readme)
    text = readme.read_text()
    assert "old table" not in text and text.startswith("intro\n") and text.endswith("outro\n")
    assert "| 00_a | 12.3 | 2.5 |" in text and "| 01_b | 8.0 | under 1 |" in text and "| all 2 | 20.3 | |" in text
    assert "x86_64, 2 CPUs" in text and "2026-12-01" in text
    readme.write_text("no markers\n")
    with pytest.raises(ValueError, match="bench:start"):
        bench.write_readme_table(report, readme)
