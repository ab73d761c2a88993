"""Copies of notebooks with other parameters (``make test-mnist``).

``python -m tools.variant NAME=VALUE DEST NOTEBOOK...`` writes each notebook into
``DEST`` with the line ``NAME = ...`` of its parameter cell (the cell tagged
``parameters``, papermill's convention) set to ``NAME = VALUE``, outputs cleared. A
notebook without that cell or that line is an error: the switch must be where the
README says it is.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

PARAMETERS_TAG = "parameters"


def with_parameter(nb: dict, name: str, value: str, where: str = "notebook") -> dict:
    """``nb`` with ``name = value`` in its parameter cell (a new dict; outputs cleared)."""
    import copy

    nb = copy.deepcopy(nb)
    cells = [c for c in nb["cells"] if PARAMETERS_TAG in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise ValueError(f"{where}: needs exactly one cell tagged '{PARAMETERS_TAG}', found {len(cells)}")
    source = cells[0]["source"] if isinstance(cells[0]["source"], str) else "".join(cells[0]["source"])
    line = re.compile(rf"^{re.escape(name)} = .*$", re.M)
    if len(line.findall(source)) != 1:
        raise ValueError(f"{where}: its parameter cell has no line '{name} = ...'")
    cells[0]["source"] = line.sub(lambda _: f"{name} = {value}  # set by tools.variant", source, count=1)
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    return nb


def main(argv: Sequence[str] | None = None) -> int:
    import nbformat

    parser = argparse.ArgumentParser(prog="python -m tools.variant", description=__doc__.splitlines()[0])
    parser.add_argument("assignment", help='NAME=VALUE, e.g. DATASET=\'"mnist"\'')
    parser.add_argument("dest", type=Path)
    parser.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    name, sep, value = args.assignment.partition("=")
    if not sep or not name.isidentifier():
        parser.error(f"assignment must be NAME=VALUE, got {args.assignment!r}")
    args.dest.mkdir(parents=True, exist_ok=True)
    for path in args.notebooks:
        nb = with_parameter(nbformat.read(path, as_version=4), name, value, str(path))
        nbformat.write(nbformat.from_dict(nb), args.dest / path.name)
        print(f"wrote {args.dest / path.name} ({name} = {value})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
