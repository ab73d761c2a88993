"""An instructor's round trip with nbgrader, end to end (``make grade-demo``).

``python -m tools.grading [--out build/grading] NOTEBOOK...`` makes an nbgrader course
folder from the course's notebooks and runs what an instructor runs:

1. ``source/demo/``: the instructor version of each notebook (solutions inside the
   answer cells, hidden tests in the check cells), then ``nbgrader generate_assignment``
   writes the release that students get (which must equal ``make student``'s edition);
2. three submissions: *alice* solves every exercise, *bob* hands in the release
   untouched, *carol* solves all but one, where she writes a plausible wrong answer;
3. ``nbgrader autograde`` runs each submission in a fresh kernel (nbgrader sets
   ``NBGRADER_EXECUTION``, under which a stub fails its check) and scores every check
   cell; ``nbgrader generate_feedback`` writes each student's HTML feedback;
4. the scores are read from the gradebook and checked: alice full marks, bob fewer,
   carol exactly the wrong exercise's points fewer.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from .exercises import exercises, instructor_notebook, solved_notebook, student_notebook

ASSIGNMENT = "demo"
# A plausible wrong answer per check, for the submission that gets one exercise wrong
WRONG = {
    "one_layer": "W_one = W1 @ W2  # the product in the wrong order\nb_one = W2 @ b1 + b2",
    "val_loss_16": "val_loss_16 = val_loss_2d  # the 2-number code's loss",
    "squared_error": "def squared_error(x_hat, x):\n    return ((x - x_hat) ** 2).mean(dim=1)",
}
CONFIG = '''c = get_config()  # noqa: F821 - nbgrader's config object
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = "autoencoders"
c.CourseDirectory.db_url = "sqlite:///{root}/gradebook.db"
c.ClearSolutions.code_stub = {{"python": {stub!r}}}
c.ExecutePreprocessor.timeout = 600
c.Execute.timeout = 600
'''


def _nbgrader(root: Path, *args: str) -> None:
    command = [str(Path(sys.executable).parent / "nbgrader"), *args, "--force", "--log-level=WARN"]
    print("$", " ".join(["nbgrader", *args]), flush=True)
    subprocess.run(command, cwd=root, check=True)


def round_trip(notebooks: Sequence[Path], root: Path) -> dict[str, dict]:
    """Run the whole round trip in ``root`` (emptied first); return each student's scores."""
    import nbformat
    from nbgrader.api import Gradebook

    from .exercises import STUDENT_STUB

    if root.exists():
        shutil.rmtree(root)
    (root / "source" / ASSIGNMENT).mkdir(parents=True)
    root = root.resolve()
    (root / "nbgrader_config.py").write_text(CONFIG.format(root=str(root), stub=STUDENT_STUB))
    sources = {}
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        sources[path.name] = nb
        nbformat.write(nbformat.from_dict(instructor_notebook(nb)), root / "source" / ASSIGNMENT / path.name)
    with Gradebook(f"sqlite:///{root}/gradebook.db") as gb:
        gb.update_or_create_assignment(ASSIGNMENT)
        for student in ("alice", "bob", "carol"):
            gb.update_or_create_student(student)
    _nbgrader(root, "generate_assignment", ASSIGNMENT)

    release = root / "release" / ASSIGNMENT
    for name, nb in sources.items():  # the release is the student edition, cell for cell
        released = [c.source for c in nbformat.read(release / name, as_version=4).cells]
        if released != [c["source"] for c in student_notebook(nb)["cells"]]:
            raise AssertionError(f"{name}: nbgrader's release differs from the student edition")

    wrong_name = next((ex.name for nb in sources.values() for ex in exercises(nb) if ex.name in WRONG), None)
    if wrong_name is None:
        raise ValueError(f"none of these notebooks has an exercise with a wrong answer on file ({sorted(WRONG)})")
    for student in ("alice", "bob", "carol"):
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        for name, nb in sources.items():
            if student == "bob":
                shutil.copy(release / name, folder / name)
                continue
            wrong = {wrong_name: WRONG[wrong_name]} if student == "carol" and any(
                ex.name == wrong_name for ex in exercises(nb)) else {}
            nbformat.write(nbformat.from_dict(solved_notebook(nb, wrong=wrong)), folder / name)
    _nbgrader(root, "autograde", ASSIGNMENT)
    _nbgrader(root, "generate_feedback", ASSIGNMENT)

    scores = {}
    with Gradebook(f"sqlite:///{root}/gradebook.db") as gb:
        for student in ("alice", "bob", "carol"):
            submission = gb.find_submission(ASSIGNMENT, student)
            cells = {}
            for name, nb in sources.items():
                for ex in exercises(nb):
                    grade_id = nb.cells[ex.check].metadata["nbgrader"]["grade_id"]
                    grade = gb.find_grade(grade_id, Path(name).stem, ASSIGNMENT, student)
                    cells[ex.name] = (grade.score, grade.max_score)
            scores[student] = {"score": submission.score, "max": submission.max_score, "cells": cells}
    return scores | {"wrong": wrong_name}


def check_scores(scores: dict) -> list[str]:
    """What an instructor expects of the three submissions; an empty list when all holds."""
    problems = []
    alice, bob, carol, wrong = scores["alice"], scores["bob"], scores["carol"], scores["wrong"]
    if not alice["max"] > 0 or alice["score"] != alice["max"]:
        problems.append(f"every solution: {alice['score']} of {alice['max']}, not full marks")
    if not bob["score"] < bob["max"]:
        problems.append(f"the untouched release: {bob['score']} of {bob['max']}, not fewer than full marks")
    lost = {name: s[1] - s[0] for name, s in carol["cells"].items() if s[0] != s[1]}
    if lost != {wrong: carol["cells"][wrong][1]}:
        problems.append(f"one wrong answer ({wrong}) should lose exactly its points; lost {lost}")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.grading", description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=Path("build/grading"))
    args = parser.parse_args(argv)
    missing = [str(p) for p in args.notebooks if not p.exists()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    os.environ.pop("NBGRADER_EXECUTION", None)  # nbgrader sets it for the kernels it starts
    # nbgrader runs its database migrations with the `alembic` command of its environment
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    scores = round_trip(args.notebooks, args.out)
    labels = {"alice": "every exercise solved", "bob": "the release, untouched",
              "carol": f"one wrong answer ({scores['wrong']})"}
    print(f"\n{'student':8s} {'submission':34s} score")
    for student, label in labels.items():
        s = scores[student]
        print(f"{student:8s} {label:34s} {s['score']:g} of {s['max']:g}")
    print(f"feedback: {args.out / 'feedback'}")
    problems = check_scores(scores)
    for problem in problems:
        print("PROBLEM:", problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
