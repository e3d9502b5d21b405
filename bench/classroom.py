"""A class on one server, measured with a real hub: JupyterHub with the repo's classroom config
(classroom/jupyterhub_config.py) on 127.0.0.1, N learner accounts made for the run (in a group
of their own, with a password), each logged in through the hub's login form (PAM), given a
server and a token of their own through the hub's REST API, all at once:

  - notebook 04's kernel trains a small model (the CLI's fast recipe, 1 epoch),
  - meanwhile notebook 06's kernel reads drawn digits as the pad does, each one timed,
  - then each learner tries to read another's home and to change the course: it must be refused.

Accounts, homes and every process the run started are removed at the end, also on Ctrl-C.
Needs Linux and root (it makes accounts). Prints a table, then one JSON line.

    sudo .venv/bin/python bench/classroom.py --learners 6
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import shutil
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from classroom_hub import (REPO, BenchError, Hub, Kernel, add_learner, copy_course, learner_python,  # noqa: E402
                           others_can_enter, remove_learner, temp_files)
from classroom_meter import Meter  # noqa: E402

SETUP_06 = """
import json, os, time, numpy as np, torch
from pathlib import Path
from digitlib import load_mnist
from digitlib.device import inference_threads
from digitlib.predict import Predictor
from digitlib.synthetic import restyled
test = load_mnist(False)
predictor = Predictor()
drawings = [restyled.on_pad(test.images[i, 0].numpy(), np.random.default_rng(i)) for i in range(20)]
print(json.dumps({"threads": torch.get_num_threads(), "omp": os.environ.get("OMP_NUM_THREADS"),
                  "digits_home": os.environ.get("DIGITS_HOME")}))
"""
# As the pad does: one thread, each drawing read as the pen lifts. Until notebook 04's training
# (another kernel of the same learner) says it finished, then `at_least` more.
PREDICT_06 = """
times, done, i, cpu = [], Path(os.environ["DIGITS_HOME"]) / "bench-trained", 0, time.process_time()
while (not done.exists() or i < {at_least}) and i < 2000:
    t = time.perf_counter()
    with inference_threads():
        predictor.predict(drawings[i % len(drawings)])
    times.append((time.perf_counter() - t) * 1000)
    i += 1
    time.sleep(0.05)
# CPU per reading, from the kernel's own CPU clock: what a reading costs whatever else runs
print(json.dumps({{"predict_ms": times, "predict_cpu_ms": (time.process_time() - cpu) * 1000 / max(i, 1)}}))
"""
TRAIN_04 = """
import json, os, time, torch
from digitlib.config import CHECKPOINTS, TrainConfig
from digitlib.device import lower_priority
from digitlib.train import fit
lower_priority()  # as notebook 04 does: the pad beside it goes first
cfg = TrainConfig().fast().but(epochs=1, train_subset={train_subset}, test_subset=500,
                               out=str(CHECKPOINTS / "bench.pth"))
t, cpu = time.perf_counter(), time.process_time()
fit(cfg, progress=False, verbose=False)
train_s, train_cpu_s = time.perf_counter() - t, time.process_time() - cpu
(CHECKPOINTS.parent / "bench-trained").touch()
print(json.dumps({{"train_s": train_s, "train_cpu_s": train_cpu_s, "threads": torch.get_num_threads(), "saved": os.path.isfile(cfg.out)}}))
"""
# Each refused attempt is True. Nothing here can damage the course if a check fails: files are
# opened for writing without being written, and a file it manages to create is removed.
ISOLATION = """
import errno
def refused(attempt):
    try:
        attempt()
    except PermissionError:
        return True
    except OSError as e:
        return e.errno in (errno.EACCES, errno.EPERM, errno.EROFS)
    return False
def create(path):
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    os.remove(path)
course, other = Path({course!r}), {other!r}
checks = {{"write shipped model": refused(lambda: open(course / "models" / "mnist_cnn_shipped.pth", "r+b").close()),
          "write course notebook": refused(lambda: open(course / "notebooks" / "06_draw_and_predict.ipynb", "a").close()),
          "create in library": refused(lambda: create(course / "digitlib" / "bench-{tag}.py")),
          "create in MNIST": refused(lambda: create(course / "data" / "MNIST" / "bench-{tag}"))}}
if other:
    checks["list other's home"] = refused(lambda: os.listdir(other))
    checks["read other's notebook"] = refused(lambda: open(other + "/digits-work/notebooks/04_training.ipynb").read())
print(json.dumps({{"isolation": checks}}))
"""
# The learner edits one of their notebooks and deletes another: at the next start of their
# server the edit must stay and the deleted one come back (the hub copies only what is missing).
EDIT = """
mine = Path(os.environ["DIGITS_HOME"]) / "notebooks"
(mine / "06_draw_and_predict.ipynb").write_text("my edit")
(mine / "01_the_data.ipynb").unlink()
"""


PASSWORD = secrets.token_urlsafe(12)  # the learners' (their accounts live only as long as the run)


def learner_work(hub: Hub, name: str, other_home: str, course: Path, args) -> dict:
    row = {"learner": name, "ok": False}
    # the config's authenticator (PAM): the right password lets them in, a wrong one does not
    row["login"] = hub.login(name, PASSWORD) and not hub.login(name, PASSWORD + "x")
    t = time.perf_counter()
    token = hub.start_server(name)
    row["start_s"] = time.perf_counter() - t
    k06, k04 = Kernel(hub, name, token), Kernel(hub, name, token)
    try:
        setup = json.loads(k06.run(SETUP_06).splitlines()[-1])
        k04.send(TRAIN_04.format(train_subset=args.train_subset))
        read = json.loads(k06.run(PREDICT_06.format(at_least=args.predictions)).splitlines()[-1])
        row["predict_ms"], row["predict_cpu_ms"] = read["predict_ms"], read["predict_cpu_ms"]
        trained = json.loads(k04.result().splitlines()[-1])
        checks = json.loads(k06.run(ISOLATION.format(course=str(course), other=other_home,
                                                     tag=secrets.token_hex(3))).splitlines()[-1])["isolation"]
        k06.run(EDIT)
    finally:
        k06.close()
        k04.close()
    hub.stop_server(name)
    hub.start_server(name)
    mine = Path(setup["digits_home"]) / "notebooks"
    row["edits_kept"] = ((mine / "06_draw_and_predict.ipynb").read_text() == "my edit"
                         and (mine / "01_the_data.ipynb").read_bytes() == (course / "notebooks" / "01_the_data.ipynb").read_bytes())
    row.update(train_s=trained["train_s"], train_cpu_s=trained["train_cpu_s"],
               threads=[setup["threads"], trained["threads"]], isolation=checks)
    row["isolated"] = all(checks.values())
    threads_ok = setup["threads"] == trained["threads"] == args.threads and setup["omp"] == str(args.threads)
    own_folder = setup["digits_home"] == os.path.join(os.path.expanduser(f"~{name}"), "digits-work")
    row["ok"] = bool(trained["saved"] and threads_ok and own_folder and row["predict_ms"] and row["edits_kept"]
                     and row["login"])
    return row


def _interrupt(*_):
    raise KeyboardInterrupt


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--learners", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1, help="threads per learner (DIGITS_HUB_THREADS)")
    ap.add_argument("--train-subset", type=int, default=6000, help="training digits (notebook 04, 1 epoch)")
    ap.add_argument("--predictions", type=int, default=20, help="pad readings at least, per learner")
    ap.add_argument("--fast", action="store_true", help="1000 training digits, 10 readings: for tests")
    ap.add_argument("--copy-course", action="store_true",
                    help="run on a copy of the course in /tmp (automatic when learners cannot enter the repo)")
    args = ap.parse_args(argv)
    if args.fast:
        args.train_subset, args.predictions = 1000, 10
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        print("error: the classroom bench makes user accounts: it needs Linux and root (sudo)", file=sys.stderr)
        return 2
    args.load_before = [round(x, 2) for x in os.getloadavg()]
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` cleans up as Ctrl-C does
    signal.signal(signal.SIGINT, signal.default_int_handler)  # also when started in the background
    tag = secrets.token_hex(3)
    names = [f"digits-l{i + 1}-{tag}" for i in range(args.learners)]
    group = f"digits-g-{tag}"  # the config lets in the members of DIGITS_HUB_GROUP: this one
    course, hub, rows, made, uids, setup, wall, made_group = None, None, [], [], {}, 0.0, 0.0, False
    t0 = time.perf_counter()
    try:
        subprocess.run(["groupadd", group], check=True, capture_output=True)
        made_group = True
        blocked = others_can_enter(REPO)
        if blocked and not args.copy_course:
            print(f"learners cannot enter {blocked}: running on a copy of the course", file=sys.stderr)
        course = copy_course() if args.copy_course or blocked else REPO
        from digitlib.data import prepare_mnist

        prepare_mnist(course / "data")  # as the teacher: learners then read MNIST in place
        for name in names:
            uids[name] = add_learner(name, PASSWORD, group).pw_uid
            made.append(name)  # (only accounts this run made are ever removed)
        python, pythonpath = learner_python(course, names[0])
        hub = Hub(course, python, pythonpath, args.threads, group)
        hub.wait_ready()
        homes = [os.path.expanduser(f"~{n}") for n in names]
        meter = Meter(uids)
        meter.start()
        t = time.perf_counter()
        # not `with`: on Ctrl-C it would wait for every learner's work; stopping the hub ends it
        pool = ThreadPoolExecutor(len(names))
        futures = [pool.submit(learner_work, hub, n, homes[(i + 1) % len(names)] if len(names) > 1 else "",
                               course, args) for i, n in enumerate(names)]
        for name, f in zip(names, futures):
            try:
                rows.append(f.result())
            except Exception as e:  # noqa: BLE001 (one learner's failure is a row, not the end)
                rows.append({"learner": name, "ok": False, "error": str(e)[:400]})
        pool.shutdown()
        wall, setup = time.perf_counter() - t, t - t0
        meter.stop.set()
        meter.sample()
    except BenchError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        t = time.perf_counter()
        if hub:
            hub.stop()
        for name in made:
            remove_learner(name)
        if made_group:
            subprocess.run(["groupdel", group], capture_output=True)
        if course and course != REPO:
            shutil.rmtree(course, ignore_errors=True)
        args.phases = {"setup_s": round(setup, 1) if hub else None, "wall_s": round(wall, 1) if hub else None,
                       "teardown_s": round(time.perf_counter() - t, 1)}
    return report(rows, meter, args, left_behind(uids, hub, group))  # (reached only when the hub ran)


def left_behind(uids: dict[str, int], hub: Hub, group: str) -> list[str]:
    """Anything of the run still there: accounts, their group, homes, processes of theirs or the hub's."""
    left = [f"account {n}" for n in uids if _exists_user(n)]
    left += [f"group {group}"] if subprocess.run(["getent", "group", group], capture_output=True).returncode == 0 else []
    left += [f"file {p}" for uid in uids.values() for p in temp_files(uid)]
    left += [f"home /home/{n}" for n in uids if os.path.exists(f"/home/{n}")]
    for p in psutil.process_iter():
        try:
            if p.uids().real in uids.values() or p.pid in hub.started | {hub.proc.pid}:
                if p.status() != psutil.STATUS_ZOMBIE:
                    left.append(f"process {p.pid} ({p.name()})")
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return left


def _exists_user(name: str) -> bool:
    import pwd
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def report(rows: list[dict], meter: Meter, args, left: list[str]) -> int:
    print(f"{'learner':<22}{'start s':>8}{'reads':>6}{'p50 ms':>8}{'p95 ms':>8}{'train s':>8}"
          f"{'RSS MB':>8}{'PSS MB':>8}{'CPU s':>7}{'threads':>8}  login  isolated  edits kept  ok")
    for r in rows:
        if "error" in r:
            print(f"{r['learner']:<22} failed: {r['error']}")
            continue
        ms = sorted(r["predict_ms"])
        print(f"{r['learner']:<22}{r['start_s']:>8.1f}{len(ms):>6}{statistics.median(ms):>8.1f}"
              f"{ms[int(0.95 * (len(ms) - 1))]:>8.1f}{r['train_s']:>8.1f}{meter.rss[r['learner']]:>8.0f}"
              f"{meter.pss[r['learner']]:>8.0f}{meter.cpu_s(r['learner']):>7.1f}{str(r['threads']):>8}"
              f"  {str(r['login']):<5}  {str(r['isolated']):<8}  {str(r['edits_kept']):<10}  {r['ok']}")
        if not r["isolated"]:
            print("   not refused:", ", ".join(k for k, v in r["isolation"].items() if not v))
    done = [r for r in rows if "error" not in r]
    ms = sorted(m for r in done for m in r["predict_ms"])
    if left:
        print("left behind:", "; ".join(left))
    load = os.getloadavg()
    result = {
        "learners": len(rows), "ok": sum(r["ok"] and r["isolated"] for r in rows),
        "isolated": bool(done) and len(done) == len(rows) and all(r["isolated"] for r in done),
        "logged_in": bool(done) and len(done) == len(rows) and all(r["login"] for r in done),
        "edits_kept": bool(done) and len(done) == len(rows) and all(r["edits_kept"] for r in done),
        "mb_per_learner": round(statistics.mean(meter.rss.values()), 1),
        "pss_mb_per_learner": round(statistics.mean(meter.pss.values()), 1),
        "cpu_s_per_learner": round(statistics.mean(meter.cpu_s(n) for n in meter.rss), 1),
        "server_mb": round(max((mb for role, mb in meter.peak.values() if role == "server"), default=0), 1),
        "kernel_mb": [f(round(mb) for role, mb in meter.peak.values() if role == "kernel") for f in (min, max)],
        "train_cpu_s": round(statistics.mean(r["train_cpu_s"] for r in done), 2) if done else None,
        "predict_cpu_ms": round(statistics.mean(r["predict_cpu_ms"] for r in done), 2) if done else None,
        "p95_predict_ms": round(ms[int(0.95 * (len(ms) - 1))], 2) if ms else None,
        "p50_predict_ms": round(statistics.median(ms), 2) if ms else None,
        "train_s": round(statistics.mean(r["train_s"] for r in done), 2) if done else None,
        "train_s_max": round(max(r["train_s"] for r in done), 2) if done else None,
        **args.phases, "threads": args.threads, "train_subset": args.train_subset,
        "cleaned": not left, "accounts": meter.uids, "cpus": os.cpu_count(), "load_before": getattr(args, "load_before", None),
        "load_after": [round(x, 2) for x in load],
    }
    print(json.dumps(result))
    return 0 if result["ok"] == len(rows) and result["isolated"] and not left else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted: the accounts, the hub and its processes are removed", file=sys.stderr)
        os._exit(130)  # not waiting for learners' threads, whose kernels are gone
