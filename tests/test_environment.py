"""The pinned environment, and the notebooks as they are stored.

constraints.txt is the lock: the exact version of every package of the course
environment, transitive ones included, the versions the stored outputs that nbval
compares were made with. environment.yml (conda) must list the same pins;
pyproject.toml's lower bounds must admit them; everything the package and its extras
need must be in the lock. Every notebook must be stored executed, in order, without
errors, and small.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import nbformat
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
MAX_NOTEBOOK_BYTES = 1_000_000
PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;,#]+)\s*(#.*)?$")


def parse_pins(lines: list[str], where: str) -> dict[str, str]:
    """``name==version`` lines (comments and blank lines skipped) as {normalized name: version}."""
    pins: dict[str, str] = {}
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = PIN.match(line)
        assert match, f"{where}: {line.strip()!r} is not an exact pin 'name==version'"
        name = canonicalize_name(match.group(1))
        assert name not in pins, f"{where}: {name} is listed twice"
        pins[name] = match.group(2)
    return pins


def constraint_pins(text: str | None = None) -> dict[str, str]:
    text = text if text is not None else (ROOT / "constraints.txt").read_text()
    return parse_pins(text.splitlines(), "constraints.txt")


def environment_pins(text: str | None = None) -> tuple[dict[str, str], str]:
    """environment.yml's pip pins, and its Python version; conda may give Python and pip only."""
    env = yaml.safe_load(text if text is not None else (ROOT / "environment.yml").read_text())
    pip_lines, python = [], ""
    for entry in env["dependencies"]:
        if isinstance(entry, dict):
            assert set(entry) == {"pip"}, f"environment.yml: unexpected entry {entry!r}"
            pip_lines += entry["pip"]
        elif entry.startswith("python="):
            python = entry.split("=", 1)[1]
        else:
            assert entry == "pip", f"environment.yml: {entry!r}: packages come from pip, pinned as in constraints.txt"
    return parse_pins(pip_lines, "environment.yml pip section"), python


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def declared_requirements() -> list[Requirement]:
    """The package's dependencies and every extra's (the self-referencing ``dev`` extra left out)."""
    table = project()
    specs = list(table["dependencies"])
    for group in table.get("optional-dependencies", {}).values():
        specs += [s for s in group if not s.startswith(table["name"])]
    return [Requirement(s) for s in specs]


def test_environment_yml_lists_the_pins_of_constraints_txt() -> None:
    lock, (conda, python) = constraint_pins(), environment_pins()
    assert "torch" in lock and "scipy" in lock and len(lock) > 50  # the parser read the real lock
    assert sorted(set(lock) - set(conda)) == [], "in constraints.txt but not in environment.yml"
    assert sorted(set(conda) - set(lock)) == [], "in environment.yml but not in constraints.txt"
    differing = {name: (lock[name], conda[name]) for name in lock if lock[name] != conda[name]}
    assert differing == {}, "pins differ (constraints.txt, environment.yml)"
    minimum = tuple(int(p) for p in project()["requires-python"].removeprefix(">=").split("."))
    assert tuple(int(p) for p in python.split(".")[:2]) >= minimum


def test_pyproject_bounds_admit_the_pins() -> None:
    lock = constraint_pins()
    for req in declared_requirements():
        name = canonicalize_name(req.name)
        assert name in lock, f"pyproject.toml needs {req}, but constraints.txt does not pin it"
        assert req.specifier.contains(lock[name], prereleases=True), f"{req} excludes the pinned {lock[name]}"
        assert not any(s.operator == "==" for s in req.specifier), f"{req}: exact pins go in constraints.txt"


def test_everything_the_course_needs_is_pinned() -> None:
    """The lock holds the whole installed tree of the package and its extras (scipy, numba, ...)."""
    lock = constraint_pins()
    for name in ("scipy", "numba", "llvmlite", "pynndescent", "joblib", "threadpoolctl", "pyyaml", "nbgrader"):
        assert name in lock, name
    assert lock["torch"] == "2.13.0"
    todo, seen, unpinned = [r for r in declared_requirements() if r.marker is None or r.marker.evaluate()], set(), []
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        if name in seen:
            continue
        seen.add(name)
        if name not in lock:
            unpinned.append(name)
        try:
            requires = metadata.requires(req.name) or []
        except metadata.PackageNotFoundError:
            continue  # not installed here (a minimal install): test_installed_versions_match_the_pins says so
        for spec in requires:
            sub = Requirement(spec)
            extras = req.extras or {""}
            if sub.marker is None or any(sub.marker.evaluate({"extra": e}) for e in extras):
                todo.append(sub)
    assert sorted(unpinned) == [], "needed but not pinned in constraints.txt"
    assert len(seen) > 100


def test_the_pin_parsers_catch_differences() -> None:
    """The comparisons above can fail: a loose, doubled or different pin is caught."""
    with pytest.raises(AssertionError, match="not an exact pin"):
        parse_pins(["numpy>=2.0"], "x")
    with pytest.raises(AssertionError, match="listed twice"):
        parse_pins(["numpy==2.0", "NumPy==2.0"], "x")
    assert parse_pins(["scikit_learn==1.9.1  # why", "# note", ""], "x") == {"scikit-learn": "1.9.1"}
    text = (ROOT / "environment.yml").read_text()
    numpy = constraint_pins()["numpy"]
    assert environment_pins(text)[0]["numpy"] == numpy
    changed = environment_pins(text.replace(f"numpy=={numpy}", "numpy==0.0.1"))[0]
    assert changed["numpy"] == "0.0.1" and changed != constraint_pins()
    with pytest.raises(AssertionError, match="packages come from pip"):
        environment_pins("dependencies:\n  - python=3.11\n  - numpy=2.4.6\n")
    assert environment_pins("dependencies:\n  - python=3.11\n  - pip\n  - pip:\n      - torch==1.0\n") == (
        {"torch": "1.0"}, "3.11")


def test_installed_versions_match_the_pins() -> None:
    """Stored outputs are only reproducible with the pinned versions installed."""
    wrong, missing = {}, []
    for name, version in constraint_pins().items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            missing.append(name)
            continue
        if installed.split("+")[0] != version:  # torch's local tag (+cpu) does not matter
            wrong[name] = (version, installed)
    assert wrong == {}, "pinned vs installed"
    assert "torch" not in missing and "numpy" not in missing and "scipy" not in missing


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_executed_and_small(path: Path) -> None:
    assert path.stat().st_size < MAX_NOTEBOOK_BYTES, f"{path.name} is {path.stat().st_size:,} bytes"
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, f"{path.name} has no code cells"
    counts = [c.execution_count for c in code]
    unexecuted = sum(c is None for c in counts)
    assert counts == list(range(1, len(code) + 1)), (
        f"{path.name}: code cells must have execution counts 1..{len(code)} in order "
        f"({unexecuted} unexecuted; first counts {counts[:8]}): run make execute NB=notebooks/{path.name}"
    )
    errors = [i for i, c in enumerate(nb.cells) if any(o.output_type == "error" for o in c.get("outputs", []))]
    assert errors == [], f"{path.name}: error outputs in cells {errors}"


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS and NOTEBOOKS[0].name == "00_course_tour.ipynb"
