"""The learner's working copy of the notebooks (``make lab`` makes it on first start).

``python -m tools.workcopy SRC DEST`` copies every notebook of ``SRC`` that ``DEST``
does not have yet, and never overwrites one: the learner's answers live in ``DEST``
(git-ignored), so updating the course (``git pull``) never conflicts with them. When a
notebook of ``SRC`` has changed since the learner's copy was made, it says so, and
leaves the copy alone: the learner can open the new version next to theirs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

RECORD = ".copied-from.json"  # the hash of each source notebook when it was copied


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def update(src: str | Path, dest: str | Path) -> tuple[list[Path], list[Path]]:
    """Copy the notebooks ``dest`` lacks; return (copied, changed since copied)."""
    src, dest = Path(src), Path(dest)
    notebooks = sorted(src.glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"src {src} holds no notebooks")
    dest.mkdir(parents=True, exist_ok=True)
    record_path = dest / RECORD
    try:
        record = json.loads(record_path.read_text()) if record_path.exists() else {}
    except json.JSONDecodeError:
        record = {}  # a damaged record only costs the "changed" notices
    copied, changed = [], []
    for path in notebooks:
        target = dest / path.name
        if not target.exists():
            shutil.copyfile(path, target)
            record[path.name] = _digest(path)
            copied.append(target)
        elif record.get(path.name) not in (None, _digest(path)):
            changed.append(path)
    record_path.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    return copied, changed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.workcopy", description=__doc__.splitlines()[0])
    parser.add_argument("src", type=Path)
    parser.add_argument("dest", type=Path)
    args = parser.parse_args(argv)
    copied, changed = update(args.src, args.dest)
    if copied:
        print(f"Your working copy is {args.dest}/: copied {len(copied)} notebook(s) there; your edits stay there.")
    for path in changed:
        print(f"{path} is newer than your copy {args.dest / path.name}: open it to see what changed "
              f"(yours is untouched; delete yours to get the new one on the next start).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
