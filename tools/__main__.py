"""The course's command line, used by the Makefile.

    python -m tools execute NOTEBOOK...    re-run notebooks in place, fresh kernel
    python -m tools normalize NOTEBOOK...  give exercise cells their metadata, every cell its slide type
    python -m tools validate NOTEBOOK...   check the exercise format
    python -m tools student SRC DEST       write the student edition
    python -m tools bench [--quick] [--out DIR] [--readme README.md] [NOTEBOOK...]   timings report

and, each handing its arguments to that tool module's own ``main`` (so ``python -m tools
html SRC DEST`` is ``python -m tools.html_edition SRC DEST``, ``--help`` included):

    python -m tools html | slides | grading | mnist | reading-time | variant | workcopy ARGS...
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from .exercises import build_student_edition, normalize_notebook, validate_notebook
from .notebooks import run_notebook
from .slides import mark_notebooks, slide_metadata

# subcommand -> (module of tools/, what it does): the rest of the command line goes to its main
TOOLS = {
    "html": ("html_edition", "the course as static web pages (make html)"),
    "slides": ("slides", "slide types of the cells, or the slide decks (make slides)"),
    "grading": ("grading", "an nbgrader round trip, end to end (make grade-demo)"),
    "mnist": ("mnist", "real MNIST into the data cache (make data)"),
    "reading-time": ("reading_time", "how long each notebook takes a learner"),
    "variant": ("variant", "copies of notebooks with other parameters (make test-mnist)"),
    "workcopy": ("workcopy", "the learner's working copy of the notebooks (make lab)"),
}


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run one command; return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in TOOLS:  # before parsing: every argument, --help too, is the tool's
        return importlib.import_module(f"tools.{TOOLS[argv[0]][0]}").main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m tools", description="the course tooling")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("execute", "re-run notebooks in place in a fresh kernel (then give every cell its slide type)"),
        ("normalize", "set the metadata of exercise cells and every cell's slide type (tools/slides.py)"),
        ("validate", "check the exercise format"),
    ):
        sub.add_parser(name, help=text).add_argument("notebooks", nargs="+", type=Path)
    p = sub.add_parser("bench", help="time the notebooks, the training loop and the projections")
    p.add_argument("notebooks", nargs="*", type=Path)
    p.add_argument("--out", type=Path, default=Path("build/bench"))
    p.add_argument("--quick", action="store_true", help="fewer repeats, no notebooks (a smoke run)")
    p.add_argument("--readme", type=Path, help="also rewrite the README's table of notebook times")
    p = sub.add_parser("student", help="write the student edition")
    p.add_argument("src", type=Path)
    p.add_argument("dest", type=Path)
    for name, (module, text) in TOOLS.items():
        sub.add_parser(name, help=f"{text}; python -m tools.{module}", add_help=False)
    args = parser.parse_args(argv)

    if args.command == "execute":
        for path in args.notebooks:
            run = run_notebook(path)
            mark_notebooks([path])  # slide types again: the height budget reads the new outputs
            index, seconds, first = max(run.cell_seconds, key=lambda c: c[1], default=(0, 0.0, ""))
            print(f"executed {path} in {run.seconds:.1f} s; slowest cell {index} ({seconds:.1f} s): {first[:50]}")
        return 0
    if args.command == "bench":
        from .bench import run_all, write_report

        report = run_all(sorted(args.notebooks), quick=args.quick)
        for path in write_report(report, args.out):
            print(f"wrote {path}")
        if args.readme and report["notebooks"]:
            from .bench import write_readme_table

            write_readme_table(report, args.readme)
            print(f"wrote the table of notebook times into {args.readme}")
        return 0
    if args.command == "student":
        for path in build_student_edition(args.src, args.dest):
            print(f"wrote {path}")
        return 0

    import nbformat

    problems = []
    for path in args.notebooks:
        nb = nbformat.read(path, as_version=4)
        if args.command == "normalize":
            before = nbformat.writes(nb)
            normalize_notebook(nb, path.stem)
            slide_metadata(nb)  # after the exercise metadata: the slide rules read the tags
            if nbformat.writes(nb) != before:
                nbformat.write(nb, path)
                print(f"normalized {path}")
        problems += validate_notebook(nb, str(path))
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
