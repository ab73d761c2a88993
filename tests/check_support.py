"""Helpers for the tests of exercise checks: feed a check an answer as a learner would."""

from __future__ import annotations

import re

import pytest

from aecourse.exercises import ExerciseError


def rejected(check, *args, says: str = "", **kwargs) -> str:
    """The answer is wrong: one message with the value, the expectation and a hint."""
    with pytest.raises(ExerciseError) as info:
        check(*args, **kwargs)
    message = str(info.value)
    assert message.startswith(f"{check.name}: not right yet. Your answer: "), message
    assert "; expected: " in message and "\nHint: " in message, message
    assert info.value.__context__ is None and info.value.__cause__ is None  # no chained traceback
    assert re.search(says, message), (says, message)
    return message


def accepted(capsys: pytest.CaptureFixture[str], check, *args, **kwargs) -> None:
    check(*args, **kwargs)
    assert capsys.readouterr().out == f"{check.name}: correct, well done.\n"
    check.reference(*args, **kwargs)  # the silent, strict mode of a solution cell
    assert capsys.readouterr().out == ""


def not_attempted(capsys: pytest.CaptureFixture[str], check, *args, **kwargs) -> None:
    check(*args, **kwargs)
    assert capsys.readouterr().out.startswith(f"{check.name}: not attempted yet.")
    with pytest.raises(ExerciseError, match="not attempted"):
        check.reference(*args, **kwargs)
