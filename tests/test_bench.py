"""The benchmark's pieces work (timings are reported by `make bench`, never asserted)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
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
        "notebooks": [{"notebook": "a.ipynb", "seconds": 1.0,
                       "slowest_cells": [{"cell": 2, "seconds": 0.5, "first_line": "import x"}]}],
        "loop": [row],
        "projections": {"n": 10, "d": 3, "pca_s": 0.1, "tsne_s": 0.2,
                        "umap_cold": {"import_s": 1, "first_fit_s": 2, "second_fit_s": 3},
                        "umap_warm": {"import_s": 1, "first_fit_s": 1, "second_fit_s": 1}},
    }
    json_path, md_path = bench.write_report(report, tmp_path)
    assert json.loads(json_path.read_text())["loop"][0]["name"] == "tiny"
    text = md_path.read_text()
    for heading in ("Notebooks: cold execution", "Training loop", "2-D projections"):
        assert heading in text
    assert "| a.ipynb | 1.0 |" in text and "| tiny (72 x 1 epochs) | cpu |" in text
