"""The pinned environment, and the notebooks as they are stored.

environment.yml (conda) and pyproject.toml (pip) must pin the same packages to the same
versions: the stored outputs that nbval compares were made with those versions. Every
notebook must be stored executed, in order, without errors, and small.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import nbformat
import pytest
import yaml

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # Python 3.10, which pyproject.toml allows: a small parser below
    tomllib = None

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
MAX_NOTEBOOK_BYTES = 1_000_000

# conda-forge names that differ from the PyPI names (none of the current pins; kept for new ones)
CONDA_TO_PIP = {"pytorch": "torch", "pyyaml": "pyyaml"}
NOT_PACKAGES = {"python", "pip"}  # the interpreter and the installer, not pinned dependencies
PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(==?)\s*([^\s;,#]+)\s*$")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _parse_pin(spec: str, operator: str, where: str) -> tuple[str, str]:
    match = PIN.match(spec)
    assert match, f"{where}: {spec!r} is not an exact pin 'name{operator}version'"
    name, op, version = match.groups()
    assert op == operator, f"{where}: {spec!r} must use {operator!r}"
    return _norm(name), version


def _project_table(text: str) -> dict:
    """pyproject.toml's [project] dependencies, extras and requires-python."""
    if tomllib is not None:
        return tomllib.loads(text)["project"]
    return _project_table_by_hand(text)


def _project_table_by_hand(text: str) -> dict:
    """Just enough TOML for the [project] keys used here (arrays of quoted strings)."""
    text = re.sub(r"#[^\n\"]*$", "", text, flags=re.M)  # comments (none inside the strings we read)
    sections = dict(re.findall(r"^\[([^\]]+)\]\n(.*?)(?=^\[|\Z)", text, flags=re.M | re.S))

    def arrays(body: str) -> dict[str, list[str]]:
        found = re.findall(r"^([\w-]+)\s*=\s*\[(.*?)\]", body, flags=re.M | re.S)
        return {key: re.findall(r'"([^"]*)"', items) for key, items in found}

    project = sections["project"]
    table: dict = {"dependencies": arrays(project)["dependencies"]}
    table["requires-python"] = re.search(r'^requires-python\s*=\s*"([^"]*)"', project, flags=re.M).group(1)
    table["optional-dependencies"] = arrays(sections.get("project.optional-dependencies", ""))
    return table


def pyproject_pins() -> dict[str, str]:
    project = _project_table((ROOT / "pyproject.toml").read_text())
    specs = list(project["dependencies"])
    for group in project.get("optional-dependencies", {}).values():
        specs += group
    pins = [_parse_pin(s, "==", "pyproject.toml") for s in specs]
    assert len({n for n, _ in pins}) == len(pins), "a package is listed twice in pyproject.toml"
    return dict(pins)


def environment_pins(text: str | None = None) -> tuple[dict[str, str], str]:
    env = yaml.safe_load(text if text is not None else (ROOT / "environment.yml").read_text())
    pins, python = [], ""
    for entry in env["dependencies"]:
        if isinstance(entry, dict):
            assert set(entry) == {"pip"}, f"environment.yml: unexpected entry {entry!r}"
            pins += [_parse_pin(s, "==", "environment.yml pip section") for s in entry["pip"]]
            continue
        name = re.split(r"[=<> ]", entry, maxsplit=1)[0]
        if name == "python":
            python = entry.split("=", 1)[1]
        if name in NOT_PACKAGES:
            continue
        name, version = _parse_pin(entry, "=", "environment.yml")
        pins.append((_norm(CONDA_TO_PIP.get(name, name)), version))
    assert len({n for n, _ in pins}) == len(pins), "a package is listed twice in environment.yml"
    return dict(pins), python


def test_environment_and_pyproject_pin_the_same_versions() -> None:
    pip, (conda, python) = pyproject_pins(), environment_pins()
    assert "torch" in pip and "numpy" in pip  # the parsers found the real lists
    assert sorted(set(pip) - set(conda)) == [], "in pyproject.toml but not in environment.yml"
    assert sorted(set(conda) - set(pip)) == [], "in environment.yml but not in pyproject.toml"
    differing = {name: (pip[name], conda[name]) for name in pip if pip[name] != conda[name]}
    assert differing == {}, "pins differ (pyproject, environment.yml)"
    requires = _project_table((ROOT / "pyproject.toml").read_text())["requires-python"]
    minimum = tuple(int(p) for p in requires.removeprefix(">=").split("."))
    assert tuple(int(p) for p in python.split(".")[:2]) >= minimum


def test_the_pin_parsers_catch_differences() -> None:
    """The comparison above can fail: a loose or different pin is caught."""
    with pytest.raises(AssertionError, match="not an exact pin"):
        _parse_pin("numpy>=2.0", "==", "x")
    with pytest.raises(AssertionError, match="must use '='"):
        _parse_pin("numpy==2.4.6", "=", "environment.yml")
    assert _parse_pin("scikit_learn==1.9.1", "==", "x") == ("scikit-learn", "1.9.1")
    text = (ROOT / "environment.yml").read_text()
    numpy = pyproject_pins()["numpy"]
    assert environment_pins(text)[0]["numpy"] == numpy
    changed = environment_pins(text.replace(f"numpy={numpy}", "numpy=0.0.1"))[0]
    assert changed["numpy"] == "0.0.1" and changed != pyproject_pins()
    with pytest.raises(AssertionError, match="not an exact pin"):
        environment_pins(text.replace(f"numpy={numpy}", "numpy>=2"))
    pip_only = environment_pins("dependencies:\n  - python=3.11\n  - pip\n  - pip:\n      - torch==1.0  # why\n")
    assert pip_only == ({"torch": "1.0"}, "3.11")


def test_toml_fallback_reads_what_tomllib_reads() -> None:
    text = (ROOT / "pyproject.toml").read_text()
    by_hand = _project_table_by_hand(text)
    assert len(by_hand["dependencies"]) >= 10 and by_hand["optional-dependencies"]["dev"]
    if tomllib is not None:
        real = tomllib.loads(text)["project"]
        assert by_hand == {key: real[key] for key in by_hand}


def test_installed_versions_match_the_pins() -> None:
    """Stored outputs are only reproducible with the pinned versions installed."""
    wrong = {}
    for name, version in pyproject_pins().items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue  # e.g. the dev extra in a minimal install
        if installed.split("+")[0] != version:  # torch's local tag (+cpu) does not matter
            wrong[name] = (version, installed)
    assert wrong == {}, "pinned vs installed"


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
