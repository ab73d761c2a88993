"""How long a notebook takes a learner: reading, running and one exercise.

``python -m tools.reading_time NOTEBOOK...`` counts, per notebook, the words of prose,
the lines of code a learner reads (the course's rule: every line shown is read) and
the exercises, and turns them into minutes with rates stated here, so that the
"Time:" line of every notebook comes from one method:

- prose: 120 words a minute (technical text with formulas, read to be understood);
- code: 8 lines a minute (read, understood, run; solution cells excluded);
- one exercise: 10 minutes (the "Time" line covers one; the others are extra);
- running: the notebook's measured cold run, waited for once.

The rates are set so that the estimates match the expert reviewers' timings of
notebooks 01 and 03 worked through as a learner (60-90 and 90-120 minutes), and they
are applied unchanged to every notebook. ``--until HEADING`` stops counting at the
first markdown cell with a line starting with HEADING (to time a notebook's core part).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

WORDS_PER_MINUTE = 120
CODE_LINES_PER_MINUTE = 8
MINUTES_PER_EXERCISE = 10


@dataclass
class Estimate:
    """What a notebook asks of a learner, and the minutes it comes to."""

    name: str
    words: int
    code_lines: int
    exercises: int

    def minutes(self, run_seconds: float = 0.0) -> float:
        """Reading, running and one exercise, in minutes."""
        one_exercise = MINUTES_PER_EXERCISE if self.exercises else 0
        return (self.words / WORDS_PER_MINUTE + self.code_lines / CODE_LINES_PER_MINUTE
                + one_exercise + run_seconds / 60)


def estimate(nb: dict, until: str | None = None) -> Estimate:
    """Count the prose words, the code lines a learner reads and the exercises of ``nb``."""
    words = code = exercises = 0
    for cell in nb["cells"]:
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        tags = cell.get("metadata", {}).get("tags", [])
        if until and cell["cell_type"] == "markdown" and any(line.startswith(until) for line in source.splitlines()):
            break
        if cell["cell_type"] == "markdown":
            words += len(re.findall(r"[A-Za-z0-9]+(?:['.-][A-Za-z0-9]+)*", source))
        elif cell["cell_type"] == "code" and "solution" not in tags:
            code += sum(1 for line in source.splitlines() if line.strip())
            exercises += "check" in tags
    return Estimate("", words, code, exercises)


def main(argv: Sequence[str] | None = None) -> int:
    import nbformat

    parser = argparse.ArgumentParser(prog="python -m tools.reading_time", description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--until", help="stop counting at the first markdown cell starting with this")
    args = parser.parse_args(argv)
    print(f"{'notebook':40s} {'words':>6s} {'code':>5s} {'exercises':>9s}  minutes (reading, running, one exercise)")
    for path in args.notebooks:
        found = estimate(nbformat.read(path, as_version=4), args.until)
        print(f"{path.name:40s} {found.words:6d} {found.code_lines:5d} {found.exercises:9d}  {found.minutes():.0f}"
              f" (+{MINUTES_PER_EXERCISE} per further exercise)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
