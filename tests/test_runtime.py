"""aecourse.runtime: seeding, device choice, versions."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest
import torch

import aecourse as ae
from aecourse import runtime


def _draws() -> tuple[float, float, float]:
    return random.random(), float(np.random.rand()), float(torch.rand(1))


def test_set_seed_makes_every_generator_repeat() -> None:
    ae.set_seed(123)
    first = _draws()
    ae.set_seed(123)
    assert _draws() == first
    ae.set_seed(124)
    assert _draws() != first


@pytest.mark.parametrize("seed", [-1, 1.5, "0", None, True])
def test_set_seed_rejects_bad_seeds(seed: object) -> None:
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        ae.set_seed(seed)  # type: ignore[arg-type]


def test_get_device_cpu_and_auto(monkeypatch: pytest.MonkeyPatch) -> None:
    assert ae.get_device("cpu") == torch.device("cpu")
    monkeypatch.setenv("AECOURSE_DEVICE", "cpu")
    assert ae.get_device() == torch.device("cpu")
    # "auto" without the override: CUDA, then MPS, then CPU
    monkeypatch.delenv("AECOURSE_DEVICE")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert ae.get_device("auto") == torch.device("cpu")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert ae.get_device("auto") == torch.device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert ae.get_device("auto") == torch.device("cuda")


def test_get_device_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="prefer must be one of"):
        ae.get_device("gpu")
    monkeypatch.setenv("AECOURSE_DEVICE", "tpu")
    with pytest.raises(ValueError, match="AECOURSE_DEVICE must be one of"):
        ae.get_device()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="no CUDA device"):
        ae.get_device("cuda")
    with pytest.raises(RuntimeError, match="MPS is not available"):
        ae.get_device("mps")


def test_versions_and_print_versions(capsys: pytest.CaptureFixture[str]) -> None:
    found = runtime.versions()
    assert list(found)[:2] == ["python", "torch"]
    assert found["torch"] == torch.__version__
    assert found["numpy"] == np.__version__
    assert all(re.match(r"\d+\.\d+", v) for v in found.values()), found
    ae.print_versions()
    out = capsys.readouterr().out.strip()
    assert out == ", ".join(f"{k} {v}" for k, v in found.items())
    assert "\n" not in out


def test_versions_reports_missing_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    real = runtime.metadata.version

    def fake(name: str) -> str:
        if name == "umap-learn":
            raise runtime.metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(runtime.metadata, "version", fake)
    assert runtime.versions()["umap-learn"] == "missing"

