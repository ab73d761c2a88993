"""Run the course's notebooks in a fresh kernel: the only way stored outputs are made.

``python -m tools execute notebooks/*.ipynb`` (``make execute``)
re-executes each notebook top to bottom in a new kernel, in its own folder, and
writes it back with its outputs. ``run_notebook`` also reports how long each cell
took, which the benchmarks use.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["NotebookRun", "run_notebook"]


@dataclass
class NotebookRun:
    """Timings of one cold run: the whole notebook and each code cell (seconds)."""

    path: Path
    seconds: float
    cell_seconds: list[tuple[int, float, str]] = field(default_factory=list)  # (index, s, first line)


def run_notebook(path: str | Path, write: bool = True, timeout: int = 600) -> NotebookRun:
    """Execute ``path`` in a fresh ``python3`` kernel; write outputs back if ``write``."""
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"path {path} does not exist")
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,  # keep volatile timestamps out of the stored notebook
    )
    run = NotebookRun(path, 0.0)
    starts: dict[int, float] = {}

    def before(cell, cell_index, **_):  # nbclient's hook signature
        starts[cell_index] = time.perf_counter()

    def after(cell, cell_index, **_):
        first = cell.source.splitlines()[0] if cell.source else ""
        run.cell_seconds.append((cell_index, time.perf_counter() - starts[cell_index], first))

    client.on_cell_execute = before
    client.on_cell_executed = after
    start = time.perf_counter()
    client.execute()
    run.seconds = time.perf_counter() - start
    _merge_streams(nb)
    if write:
        nbformat.write(nb, path)
    return run


def _merge_streams(nb) -> None:  # an nbformat NotebookNode
    """Join consecutive stdout (or stderr) outputs of a cell into one (nbconvert's preprocessor).

    How a kernel's prints are cut into messages depends on timing; merged, the stored
    notebook is the same on every run (nbval merges them the same way when comparing).
    """
    from nbconvert.preprocessors import CoalesceStreamsPreprocessor

    CoalesceStreamsPreprocessor().preprocess(nb, {})
