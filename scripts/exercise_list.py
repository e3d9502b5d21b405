"""Write docs/exercises.md: every notebook's exercises on one printable page.

The exercises are read from the notebooks themselves (the markdown cell headed "## Exercises" or
"## Exercise: ..."), so the list cannot drift from the course: run this after changing one.

    python scripts/exercise_list.py           # writes docs/exercises.md
    python scripts/exercise_list.py --check   # exit 1 if docs/exercises.md is out of date
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
OUT = ROOT / "docs" / "exercises.md"
# the closing line about where the answers are: said once, at the top of the page
WHERE_ANSWERS = re.compile(r"\s*(Worked solutions|These exercises need)")


def exercises(notebook: Path) -> tuple[str, str]:
    """(the notebook's title, its exercises as markdown without their heading)."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    title, found = notebook.stem, None
    for cell in cells:
        if cell["cell_type"] != "markdown":
            continue
        text = "".join(cell["source"])
        heading = re.search(r"^# (.+)$", text, re.M)
        if heading and title == notebook.stem:
            title = heading.group(1).strip()
        at = re.search(r"^## Exercises?\b.*$", text, re.M)
        if at:
            found = text[at.end():]
    if found is None:
        return title, ""
    kept = []
    for line in found.strip("\n").splitlines():
        if WHERE_ANSWERS.search(line):
            # keep what the line says before the pointer to the answers (e.g. how to check one)
            before = line[:WHERE_ANSWERS.search(line).start()].strip()
            if before:
                kept.append(before)
            continue
        kept.append(line)
    return title, "\n".join(kept).strip()


def render() -> str:
    parts = ["# Exercises of the course",
             "",
             "Every notebook's exercises, in course order, as the notebooks state them (this page is",
             "written from them by `python scripts/exercise_list.py`; do not edit it by hand).",
             "Answers, for teachers: `solutions/` (notebooks that run, and `solutions/README.md`).",
             "Where an exercise can be checked without seeing the answer, the notebook names its",
             "`check(...)` call.", ""]
    for notebook in sorted(NOTEBOOKS.glob("*.ipynb")):
        title, text = exercises(notebook)
        if not text:
            continue
        parts += [f"## {title}", "", f"Notebook: `notebooks/{notebook.name}`", "", text, ""]
    return "\n".join(parts).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that docs/exercises.md is up to date")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not OUT.is_file() or OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT.relative_to(ROOT)} is out of date: run python scripts/exercise_list.py", file=sys.stderr)
            return 1
        print(f"{OUT.relative_to(ROOT)} is up to date")
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
