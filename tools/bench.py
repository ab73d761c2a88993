"""Benchmarks: how long the course takes to run, and what the training loop costs.

``python -m tools bench`` (``make bench``) writes ``build/bench/report.json`` and
``report.md``. Not part of ``make test``: timings are reported, never asserted.

1. Cold execution time of every notebook (fresh kernel, as ``make execute`` runs it),
   with each notebook's slowest cells.
2. ``aecourse.fit`` against a bare hand-written loop doing the same work, timed in
   one process, interleaved, repeated; the median ratio is the loop's overhead.
   Samples per second for the digits autoencoder and for 784-D (MNIST-sized) inputs.
3. PCA, t-SNE and UMAP on codes of the notebooks' sizes; UMAP's first-call compile
   time (cold numba cache, in a new process) apart from its warm run time.
4. The same loop figures on a GPU, with the data kept on the device, when one exists.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn

from aecourse import data, losses, models, runtime, train

from .notebooks import run_notebook

__all__ = ["bench_fixed_costs", "bench_notebooks", "bench_loop", "bench_projections", "machine", "readme_table",
           "run_all", "write_readme_table", "write_report"]


def _cpu_name() -> str:
    """The CPU's model name (Linux: /proc/cpuinfo), else what platform knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, object]:
    """What the figures were measured on."""
    return {
        "platform": platform.platform(),
        "processor": _cpu_name(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "versions": runtime.versions(),
    }


CELL_SLOW_S = 1.0  # cells reported by name
CELL_BAR_S, SETUP_BAR_S, NOTEBOOK_BAR_S = 3.0, 4.0, 25.0  # the bars of issue 19, this machine


def bench_notebooks(paths: list[Path], over_s: float = CELL_SLOW_S) -> list[dict[str, object]]:
    """Cold execution time of each notebook (fresh kernel, outputs not written), every cell over ``over_s``."""
    rows = []
    for path in paths:
        run = run_notebook(path, write=False)
        setup = run.cell_seconds[0] if run.cell_seconds else (0, 0.0, "")  # the first code cell
        rows.append({
            "notebook": path.name,
            "seconds": round(run.seconds, 2),
            "setup_cell": {"cell": setup[0], "seconds": round(setup[1], 2)},
            "slow_cells": [{"cell": i, "seconds": round(s, 2), "first_line": first[:60]}
                           for i, s, first in run.cell_seconds if s > over_s],
        })
    return rows


_FIXED_SNIPPET = """
import time
t0 = time.perf_counter(); import torch
t1 = time.perf_counter(); import matplotlib.pyplot
t2 = time.perf_counter(); import aecourse
t3 = time.perf_counter(); torch.optim.Adam(torch.nn.Linear(2, 2).parameters())
t4 = time.perf_counter(); import sklearn.decomposition
t5 = time.perf_counter()
print(*(round(b - a, 2) for a, b in ((t0, t1), (t1, t2), (t2, t3), (t3, t4), (t4, t5))))
"""
FIXED_COSTS = ("import_torch_s", "import_matplotlib_s", "import_aecourse_s", "first_optimizer_s", "import_sklearn_s")


def bench_fixed_costs(repeats: int = 3) -> dict[str, float]:
    """What every kernel pays once, in a new process each time (the median of ``repeats``).

    ``import torch``; ``matplotlib.pyplot``; ``aecourse`` on top of both; the first
    optimizer a kernel builds (torch imports its compiler stack, torch._dynamo, then);
    scikit-learn, on first use.
    """
    runs = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", _FIXED_SNIPPET], capture_output=True, text=True, check=True)
        runs.append([float(v) for v in out.stdout.split()])
    return {name: round(statistics.median(r[k] for r in runs), 2) for k, name in enumerate(FIXED_COSTS)}


def _bare_loop(model: nn.Module, loader, val_loader, epochs: int, lr: float, device: torch.device) -> list[float]:
    """The loop fit runs, with nothing around it: no history, checks, best weights or bar."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.MSELoss()
    out = []
    for _ in range(epochs):
        model.train()
        total, count = 0.0, 0
        for (x,) in loader:
            x = x.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(x), x)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(x)
            count += len(x)
        out.append(total / count)
        if val_loader is not None:
            model.eval()
            with torch.no_grad():
                vt, vc = 0.0, 0
                for (x,) in val_loader:
                    x = x.to(device)
                    vt += loss_fn(model(x), x).item() * len(x)
                    vc += len(x)
            out.append(vt / vc)
    return out


def _device_loader(x: torch.Tensor, batch_size: int, shuffle: bool, seed: int):
    """Batches sliced from a tensor that already lives on the device (no DataLoader copies)."""
    generator = torch.Generator().manual_seed(seed)

    class _Loader:
        def __iter__(self):
            order = torch.randperm(len(x), generator=generator).to(x.device) if shuffle else None
            for i in range(0, len(x), batch_size):
                idx = order[i : i + batch_size] if order is not None else slice(i, i + batch_size)
                yield (x[idx],)

        def __len__(self) -> int:
            return (len(x) + batch_size - 1) // batch_size

    return _Loader()


def bench_loop(
    name: str,
    x: np.ndarray,
    hidden: tuple[int, ...],
    latent_dim: int,
    epochs: int = 5,
    batch_size: int = 64,
    repeats: int = 5,
    validation: bool = True,
    device: torch.device | None = None,
) -> dict[str, object]:
    """Time ``fit`` and the bare loop on the same model, data and seed, interleaved.

    On the CPU, times are the process's CPU time (``time.process_time``): on a shared
    or virtual machine, wall-clock time of sub-second runs swings by +-10% with
    whatever else runs, which would drown the few per cent this benchmark is about.
    On a GPU they are wall-clock time, after synchronizing.
    """
    device = device or torch.device("cpu")
    n_val = len(x) // 10
    x_train, x_val = x[n_val:], x[:n_val]
    on_gpu = device.type != "cpu"
    clock = time.perf_counter if on_gpu else time.process_time  # GPU work is not CPU time

    def loaders():
        if on_gpu:  # data kept on the device
            xt = torch.from_numpy(x_train).to(device)
            xv = torch.from_numpy(x_val).to(device)
            return _device_loader(xt, batch_size, True, 0), _device_loader(xv, 256, False, 0)
        return (data.make_loader(x_train, batch_size=batch_size, shuffle=True, seed=0),
                data.make_loader(x_val, batch_size=256))

    def build() -> nn.Module:
        runtime.set_seed(0)
        return models.Autoencoder(x.shape[1], latent_dim, hidden=hidden, output_activation=None).to(device)

    def run_fit() -> float:
        model, (tl, vl) = build(), loaders()
        start = clock()
        train.fit(model, losses.reconstruction("mse"), tl, vl if validation else None,
                  epochs=epochs, lr=1e-3, device=device, progress=False)
        _sync(device)
        return clock() - start

    def run_bare() -> float:
        model, (tl, vl) = build(), loaders()
        start = clock()
        _bare_loop(model, tl, vl if validation else None, epochs, 1e-3, device)
        _sync(device)
        return clock() - start

    run_fit(), run_bare()  # warm-up: allocator, first-call costs
    fit_times, bare_times = [], []
    for i in range(repeats):  # alternate which loop goes first, so order effects cancel
        if i % 2 == 0:
            bare_times.append(run_bare())
            fit_times.append(run_fit())
        else:
            fit_times.append(run_fit())
            bare_times.append(run_bare())
    ratios = [f / b for f, b in zip(fit_times, bare_times, strict=True)]
    samples = len(x_train) * epochs
    return {
        "name": name,
        "device": str(device),
        "n_train": len(x_train),
        "input_dim": int(x.shape[1]),
        "sizes": [int(x.shape[1]), *hidden, latent_dim],
        "epochs": epochs,
        "batch_size": batch_size,
        "validation": validation,
        "repeats": repeats,
        "fit_median_s": round(statistics.median(fit_times), 4),
        "bare_median_s": round(statistics.median(bare_times), 4),
        "ratio_median": round(statistics.median(ratios), 3),
        "ratio_of_minimums": round(min(fit_times) / min(bare_times), 3),
        "fit_samples_per_s": round(samples / statistics.median(fit_times)),
        "bare_samples_per_s": round(samples / statistics.median(bare_times)),
    }


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return round(time.perf_counter() - start, 2)


_UMAP_SNIPPET = """
import time, numpy as np
t0 = time.perf_counter(); from aecourse.runtime import prepare_umap; umap = prepare_umap(warm_up=False)
t1 = time.perf_counter()
z = np.random.default_rng(0).normal(size=({n}, {d})).astype(np.float32)
umap.UMAP(n_components=2, random_state=0, n_jobs=1).fit_transform(z); t2 = time.perf_counter()
umap.UMAP(n_components=2, random_state=0, n_jobs=1).fit_transform(z); t3 = time.perf_counter()
print(round(t1 - t0, 2), round(t2 - t1, 2), round(t3 - t2, 2))
"""


def bench_projections(n: int = 1797, d: int = 16) -> dict[str, object]:
    """PCA, t-SNE and UMAP on (n, d) codes; UMAP in new processes, cold and warm cache.

    UMAP is imported as the course does (:func:`aecourse.runtime.prepare_umap`): the
    "import" figure includes torch and the package, the first fit includes compiling
    umap's functions unless the numba cache already holds them.
    """
    from aecourse.viz import project_2d

    z = np.random.default_rng(0).normal(size=(n, d)).astype(np.float32)
    result: dict[str, object] = {"n": n, "d": d}
    result["pca_s"] = _timed(lambda: project_2d(z, "pca"))
    result["tsne_s"] = _timed(lambda: project_2d(z, "tsne"))
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        for label in ("cold", "warm"):  # the second process finds the first one's cache
            out = subprocess.run([sys.executable, "-c", _UMAP_SNIPPET.format(n=n, d=d)],
                                 env=env, capture_output=True, text=True, check=True)
            import_s, first_fit_s, second_fit_s = map(float, out.stdout.split())
            result[f"umap_{label}"] = {"import_s": import_s, "first_fit_s": first_fit_s, "second_fit_s": second_fit_s}
    return result


def run_all(notebooks: list[Path], quick: bool = False) -> dict[str, object]:
    """Every benchmark; ``quick`` shrinks repeats and skips the notebooks (for tests)."""
    repeats = 2 if quick else 11
    report: dict[str, object] = {"machine": machine(), "date": time.strftime("%Y-%m-%d")}
    report["fixed_costs"] = bench_fixed_costs(repeats=1 if quick else 3)
    report["notebooks"] = [] if quick else bench_notebooks(notebooks)
    digits = data.load_digits().x
    mnist_like = np.random.default_rng(0).random((1000 if quick else 6000, 784), dtype=np.float32)
    loops = []
    epochs = 2 if quick else 20  # long enough that timer noise is small against the run
    for validation in (False, True):
        loops.append(bench_loop("digits AE 64-32-2", digits, (32,), 2, epochs=epochs, repeats=repeats,
                                validation=validation))
    loops.append(bench_loop("784-D AE 784-128-32", mnist_like, (128,), 32, epochs=2, repeats=repeats))
    if torch.cuda.is_available():
        gpu = torch.device("cuda")
        loops.append(bench_loop("digits AE 64-32-2", digits, (32,), 2, epochs=epochs, repeats=repeats, device=gpu))
        loops.append(bench_loop("784-D AE 784-128-32", mnist_like, (128,), 32, epochs=2, repeats=repeats, device=gpu))
    report["loop"] = loops
    report["projections"] = bench_projections(n=300 if quick else 1797)
    return report


def over_the_bars(row: dict[str, object]) -> list[str]:
    """What of one notebook's row exceeds the bars (empty when it is within them)."""
    out = []
    if row["seconds"] > NOTEBOOK_BAR_S:
        out.append(f"{row['seconds']:.1f} s in all")
    setup = row["setup_cell"]
    if setup["seconds"] > SETUP_BAR_S:
        out.append(f"setup cell {setup['seconds']} s")
    out += [f"cell {c['cell']} {c['seconds']} s" for c in row["slow_cells"]
            if c["seconds"] > CELL_BAR_S and c["cell"] != setup["cell"]]
    return out


def readme_table(report: dict[str, object]) -> list[str]:
    """The README's table of notebook times, from a report (``--readme`` writes it in)."""
    m = report["machine"]
    lines = [f"Measured by `make bench` on {m['processor']}, {m['cpu_count']} CPUs, torch threads "
             f"{m['torch_threads']}, on {report.get('date', 'the date of the run')}: each notebook cold in a "
             "fresh kernel, one at a time.", "",
             "| notebook | seconds | slowest cell (s) |", "| --- | ---: | ---: |"]
    for r in report["notebooks"]:
        slowest = max((c["seconds"] for c in r["slow_cells"]), default=0.0)
        lines.append(f"| {r['notebook'].removesuffix('.ipynb')} | {r['seconds']:.1f} | "
                     f"{slowest if slowest else 'under 1'} |")
    total = sum(r["seconds"] for r in report["notebooks"])
    lines.append(f"| all {len(report['notebooks'])} | {total:.1f} | |")
    return lines


README_START, README_END = "<!-- bench:start -->", "<!-- bench:end -->"


def write_readme_table(report: dict[str, object], readme: Path) -> None:
    """Replace the block between the bench markers of ``readme`` with :func:`readme_table`."""
    text = readme.read_text()
    if text.count(README_START) != 1 or text.count(README_END) != 1:
        raise ValueError(f"{readme}: needs one '{README_START}' line and one '{README_END}' line")
    head, rest = text.split(README_START)
    _, tail = rest.split(README_END)
    readme.write_text(head + README_START + "\n" + "\n".join(readme_table(report)) + "\n" + README_END + tail)


def write_report(report: dict[str, object], folder: Path) -> tuple[Path, Path]:
    """Write ``report.json`` and a readable ``report.md`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    json_path, md_path = folder / "report.json", folder / "report.md"
    json_path.write_text(json.dumps(report, indent=2) + "\n")
    m = report["machine"]
    lines = ["# aecourse benchmark report", "",
             f"Machine: {m['platform']}, {m['cpu_count']} CPUs, torch threads {m['torch_threads']}, "
             f"GPU: {m['gpu'] or 'none'}.", ""]
    f = report.get("fixed_costs")
    if f:
        lines += ["## What every kernel pays once (new process, median)", "",
                  f"- `import torch` {f['import_torch_s']} s, `import matplotlib.pyplot` {f['import_matplotlib_s']} s, "
                  f"`import aecourse` on top of both {f['import_aecourse_s']} s (the setup cell)",
                  f"- the first optimizer of a kernel {f['first_optimizer_s']} s (torch imports torch._dynamo), "
                  f"scikit-learn on first use {f['import_sklearn_s']} s", ""]
    if report["notebooks"]:
        lines += ["## Notebooks: cold execution (fresh kernel)", "",
                  f"Bars: each notebook under {NOTEBOOK_BAR_S:.0f} s, every cell under {CELL_BAR_S:.0f} s, "
                  f"the setup cell under {SETUP_BAR_S:.0f} s.", "",
                  f"| notebook | seconds | setup cell | cells over {CELL_SLOW_S:.0f} s (cell: seconds) "
                  "| within the bars |",
                  "| --- | ---: | ---: | --- | --- |"]
        for r in report["notebooks"]:
            cells = "; ".join(f"{c['cell']}: {c['seconds']} s `{c['first_line']}`" for c in r["slow_cells"])
            lines.append(f"| {r['notebook']} | {r['seconds']:.1f} | {r['setup_cell']['seconds']} | {cells} | "
                         f"{'yes' if not over_the_bars(r) else 'no: ' + ', '.join(over_the_bars(r))} |")
        total = sum(r["seconds"] for r in report["notebooks"])
        lines += [f"| **total** | **{total:.1f}** | | | |", ""]
        lines += ["## The README's table", "", *readme_table(report), ""]
    lines += ["## Training loop: aecourse.fit vs a bare loop (median of interleaved repeats)", "",
              "| model | device | validation | fit CPU s | bare CPU s | ratio (median) | ratio of minimums "
              "| fit samples/s |",
              "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for r in report["loop"]:
        lines.append(f"| {r['name']} ({r['n_train']} x {r['epochs']} epochs) | {r['device']} | "
                     f"{'yes' if r['validation'] else 'no'} | {r['fit_median_s']} | {r['bare_median_s']} | "
                     f"{r['ratio_median']} | {r['ratio_of_minimums']} | {r['fit_samples_per_s']} |")
    p = report["projections"]
    lines += ["", "Target: ratio at most 1.05. The median ratio pairs each fit run with the bare run "
              "next to it (which goes first alternates); the ratio of minimums compares each loop's fastest run, "
              "the least disturbed "
              "by anything else on the machine.", "",
              f"## 2-D projections of ({p['n']}, {p['d']}) codes", "",
              f"- PCA: {p['pca_s']} s; t-SNE: {p['tsne_s']} s",
              "- UMAP in a new process, cold numba cache: import {import_s} s, first fit {first_fit_s} s "
              "(compiles), second fit {second_fit_s} s".format(**p["umap_cold"]),
              "- UMAP in a new process, warm numba cache: import {import_s} s, first fit {first_fit_s} s, "
              "second fit {second_fit_s} s".format(**p["umap_warm"]), ""]
    md_path.write_text("\n".join(lines))
    return json_path, md_path
