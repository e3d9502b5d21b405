"""How long each notebook takes, and what it says: the course run top to bottom as Jupyter runs it
(nbclient), in fast or full mode, alone or with a training beside it (a classroom laptop where
notebook 04's training still runs while the next notebook is opened). For each notebook: its wall
time and the sentences it printed (its verdicts), so a teacher can plan the lesson and anyone can
check that each headline holds in both modes.

    python bench/notebook_times.py --mode fast [--beside] [--only 04,08]
    python bench/notebook_times.py --report      # markdown from every run saved so far

Each run works in a fresh DIGITS_HOME (nothing of yours is read or replaced) and writes
artifacts/notebook_times/<mode>-<quiet|beside>.json.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "artifacts" / "notebook_times"


def printed_sentences(nb) -> list[list]:
    """[cell index, line] for each printed line that reads as a sentence (four words or more)."""
    said = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stdout":
                said += [[i, line.strip()] for line in out["text"].splitlines() if len(line.split()) >= 4]
    return said


def run_notebook(path: Path, env: dict, timeout: int) -> dict:
    nb = nbformat.read(path, as_version=4)
    old = dict(os.environ)
    os.environ.update(env)  # the kernel inherits this process's environment
    began = time.perf_counter()
    error = None
    try:
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    except Exception as e:  # a failed cell is a result too: say which, keep timing the rest
        error = str(e).strip().splitlines()[0][:300] if str(e).strip() else type(e).__name__
    finally:
        os.environ.clear()
        os.environ.update(old)
    return {"seconds": round(time.perf_counter() - began, 1), "error": error, "said": printed_sentences(nb)}


def start_training_beside(home: Path) -> subprocess.Popen:
    """A full reference training, as notebook 04 runs it, over and over until stopped."""
    loop = ("import itertools\nfrom digitlib.config import RECIPES\nfrom digitlib.train import fit\n"
            "for k in itertools.count():\n"
            f"    fit(RECIPES['reference'].but(out={str(home / 'beside.pth')!r}, seed=k), progress=False, verbose=False)\n")
    env = {**os.environ, "DIGITS_HOME": str(home), "DIGITS_FAST": "0"}
    return subprocess.Popen([sys.executable, "-c", loop], env=env, cwd=ROOT)


def measure(mode: str, beside: bool, only: list[str] | None, timeout: int, save) -> dict:
    notebooks = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    if only:
        notebooks = [p for p in notebooks if any(p.name.startswith(o) for o in only)]
    result = {"mode": mode, "beside": beside, "machine": f"{platform.processor() or platform.machine()}, "
              f"{os.cpu_count()} cores", "started": time.strftime("%Y-%m-%d %H:%M"), "notebooks": {}}
    with tempfile.TemporaryDirectory() as home, tempfile.TemporaryDirectory() as other:
        trainer = start_training_beside(Path(other)) if beside else None
        try:
            env = {"DIGITS_HOME": home, "DIGITS_FAST": "1" if mode == "fast" else "0"}
            for path in notebooks:
                row = run_notebook(path, env, timeout)
                result["notebooks"][path.stem] = row
                save(result)  # after each notebook: a run stopped halfway keeps what it measured
                print(f"{path.stem:<32} {row['seconds']:>7.1f} s  {row['error'] or ''}", flush=True)
        finally:
            if trainer is not None:
                trainer.kill()
                trainer.wait()
    return result


def report() -> str:
    runs = {p.stem: json.loads(p.read_text()) for p in sorted(OUT.glob("*.json"))}
    if not runs:
        raise SystemExit(f"no runs in {OUT}: run with --mode first")
    order = [k for k in ("fast-quiet", "fast-beside", "full-quiet", "full-beside") if k in runs]
    names = sorted({n for r in runs.values() for n in r["notebooks"]})
    lines = ["| notebook | " + " | ".join(order) + " |", "|---|" + "---:|" * len(order)]
    for n in names:
        cells = []
        for k in order:
            row = runs[k]["notebooks"].get(n)
            cells.append("–" if row is None else f"{row['seconds']:.0f} s" + (" (failed)" if row["error"] else ""))
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    lines += ["", "Runs: " + "; ".join(f"{k}: {runs[k]['started']}, {runs[k]['machine']}" for k in order), ""]
    for n in names:  # what each notebook said, run beside run: a verdict should not change with the machine
        said = {k: runs[k]["notebooks"].get(n, {}).get("said", []) for k in order}
        lines += [f"### {n}", "", "| cell | " + " | ".join(order) + " |", "|---:|" + "---|" * len(order)]
        for c in sorted({c for k in order for c, _ in said[k]}):
            row = ["<br>".join(s for i, s in said[k] if i == c).replace("|", "/") or "–" for k in order]
            lines.append(f"| {c} | " + " | ".join(row) + " |")
        lines.append("")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["fast", "full"])
    ap.add_argument("--beside", action="store_true", help="with a full reference training running beside")
    ap.add_argument("--only", help="comma-separated notebook number prefixes, e.g. 01,04b")
    ap.add_argument("--timeout", type=int, default=3600, help="seconds one cell may take")
    ap.add_argument("--report", action="store_true")
    args = ap.parse_args()
    if args.report:
        print(report())
        return
    if not args.mode:
        ap.error("--mode fast or --mode full (or --report)")
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{args.mode}-{'beside' if args.beside else 'quiet'}.json"
    before = json.loads(path.read_text())["notebooks"] if args.only and path.exists() else {}

    def save(result):  # a partial run (--only) updates the notebooks it ran
        path.write_text(json.dumps({**result, "notebooks": {**before, **result["notebooks"]}},
                                   indent=1, ensure_ascii=False))

    measure(args.mode, args.beside, args.only.split(",") if args.only else None, args.timeout, save)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
