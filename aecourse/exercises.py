"""How an exercise check behaves; the checks themselves are in :mod:`aecourse.checks`.

Every exercise in the course (see notebook 00, section 4) is a prompt, a cell where
you write your answer (it starts as a stub: ``None`` or a function returning
nothing), a check cell ``ae.checks.<name>(your_answer, ...)``, and a collapsed
solution. A check

- says "not attempted yet" while your answer is still the stub;
- prints "correct" for a right answer;
- raises :class:`ExerciseError` for a wrong one: one short message with your value,
  what was expected and a hint, shown without a traceback through this package (an
  error inside your own function keeps its traceback: it points at your code).

The solution cell runs its code inside a function, so running it (Run All) leaves
your names alone, and passes the result to ``check.reference(...)``: silent when the
solution is right, an error when it is not (that is how the course's tests keep the
solutions right). Under nbgrader's autograder (``NBGRADER_EXECUTION`` set) a stub is
not "not attempted" but a failed test: it scores no points.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["ExerciseError", "exercise", "grading", "is_stub", "describe", "Wrong", "NotAttempted", "call"]


class ExerciseError(AssertionError):
    """A wrong answer; the message says what is wrong and gives a hint.

    In a notebook it shows as its message alone, not as a traceback through this
    package: the learner's own code is not at fault.
    """

    def _render_traceback_(self) -> list[str]:  # IPython's hook for how an error is shown
        return [f"{type(self).__name__}: {self}"]


class NotAttempted(Exception):
    """Raised inside a check when the answer is still the stub."""


class Wrong(Exception):
    """Raised inside a check: ``Wrong(got, expected, hint)``, each a short phrase."""

    def __init__(self, got: str, expected: str, hint: str = "") -> None:
        super().__init__(got)
        self.got, self.expected, self.hint = got, expected, hint


class _LearnerCodeFailed(Exception):
    def __init__(self, error: BaseException) -> None:
        super().__init__(repr(error))
        self.error = error


def grading() -> bool:
    """True under nbgrader's autograder or validator, where a stub must fail."""
    return os.environ.get("NBGRADER_EXECUTION", "") in ("autograde", "validate")


def is_stub(value: object) -> bool:
    """The values an exercise cell starts with: ``None`` and ``...``."""
    return value is None or value is Ellipsis


def call(fn: Callable[..., Any], *args: Any) -> Any:
    """Call the learner's function; an error inside it keeps its own traceback."""
    if not callable(fn):
        raise Wrong(f"{describe(fn)}, not a function", "a function")
    try:
        result = fn(*args)
    except NotImplementedError:
        raise NotAttempted from None
    except Exception as err:  # the learner's code failed: show their traceback, not ours
        raise _LearnerCodeFailed(err) from None
    if is_stub(result):
        raise NotAttempted
    return result


def describe(value: Any) -> str:
    """A short description of a value for a message: the number, or the type and shape."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.4g}"
    shape = getattr(value, "shape", None)
    if shape is not None:
        return f"a {type(value).__name__} of shape {tuple(shape)}"
    text = repr(value)
    return f"a {type(value).__name__} {text[:60] + '...' if len(text) > 60 else text}"


def _message(name: str, problem: str, hint: str) -> str:
    return f"{name}: {problem}" + (f"\nHint: {hint}" if hint else "")


class _Check:
    """A check function with the course's behaviour around it (see the module docstring)."""

    def __init__(self, fn: Callable[..., None], name: str, hint: str) -> None:
        self._fn, self.name, self.hint = fn, name, hint
        functools.update_wrapper(self, fn)

    def __repr__(self) -> str:
        return f"<exercise check {self.name}>"

    def __call__(self, answer: Any, *context: Any, **kwargs: Any) -> None:
        """Check the learner's answer: print the verdict, or raise :class:`ExerciseError`."""
        if self._run(answer, context, kwargs, strict=grading()):
            print(f"{self.name}: correct, well done.")

    def reference(self, answer: Any, *context: Any, **kwargs: Any) -> None:
        """Check a reference solution: print nothing when it passes, raise when it does not."""
        self._run(answer, context, kwargs, strict=True)

    def _run(self, answer: Any, context: tuple, kwargs: dict, strict: bool) -> bool:
        error, learner_error = None, None
        try:
            if is_stub(answer):
                raise NotAttempted
            self._fn(answer, *context, **kwargs)
            return True
        except NotAttempted:
            if strict:
                error = ExerciseError(_message(self.name, "not attempted (the answer is still the stub)", ""))
            else:
                print(f"{self.name}: not attempted yet. Write your answer in the cell above, run it, "
                      "then run this cell again.")
                return False
        except Wrong as wrong:
            problem = f"not right yet. Your answer: {wrong.got}; expected: {wrong.expected}."
            error = ExerciseError(_message(self.name, problem, wrong.hint or self.hint))
        except _LearnerCodeFailed as failed:
            learner_error = failed.error
        except Exception as err:  # a wrong type or shape the check could not handle
            problem = f"could not be checked ({type(err).__name__}: {err}). Your answer: {describe(answer)}."
            error = ExerciseError(_message(self.name, problem, self.hint))
        if error is None:
            raise learner_error  # the learner's own error, with its own traceback
        raise error  # outside the except blocks: one message, no chained traceback


def exercise(name: str, hint: str = "") -> Callable[[Callable[..., None]], _Check]:
    """Make ``fn(answer, *context)`` a check: it returns when right, raises :class:`Wrong` or
    :class:`NotAttempted` otherwise. ``hint`` is the default hint of a wrong answer."""

    def wrap(fn: Callable[..., None]) -> _Check:
        return _Check(fn, name, hint)

    return wrap
