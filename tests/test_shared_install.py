"""The README's commands as a learner on a shared class server (JupyterHub): the course folder
(library, shipped models, MNIST's .gz files) is read-only to them, and everything they make must
land in their own home, said where, with the course folder left exactly as it was.

Tests run as root, for whom a read-only mode changes nothing, so the commands run as another
user: `nobody`, which every Linux has and which owns nothing (no user to create or delete),
through subprocess's user= and group= (no runuser or setpriv needed).
"""
import os
import pwd
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest

from .conftest import ROOT, missing_system_tool

LEARNER = "nobody"
PICTURE = "samples/writers/eve/7/eve-000.png"


def _learner():
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        missing_system_tool("running commands as another user needs Linux and root")
    try:
        return pwd.getpwnam(LEARNER)
    except KeyError:
        missing_system_tool(f"there is no user {LEARNER!r} to run the commands as")


def _snapshot(folder: Path) -> dict:
    """Every file and folder with its mode, size and modification time: any write shows."""
    return {str(p.relative_to(folder)): (p.stat().st_mode, p.stat().st_size, p.stat().st_mtime_ns)
            for p in [folder, *folder.rglob("*")]}


@pytest.fixture
def classroom():
    """(course, home): a copy of the course, owned by root and read-only to everyone else, MNIST
    only as the shipped .gz files (so nothing is unpacked yet); and a fresh, empty home for the
    learner. Made outside pytest's tmp_path, which other users cannot enter."""
    user = _learner()
    course = Path(tempfile.mkdtemp(prefix="digits-course-")).resolve()
    home = Path(tempfile.mkdtemp(prefix="digits-home-")).resolve()
    try:
        course.chmod(0o755)
        for part in ("digitlib", "models", "data", "samples"):
            shutil.copytree(ROOT / part, course / part,
                            ignore=shutil.ignore_patterns("__pycache__", "*-ubyte", "*.tmp", ".*.lock"))
        os.chown(home, user.pw_uid, user.pw_gid)
        yield course, home
    finally:
        shutil.rmtree(course, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)


def _run_as_learner(args, course, env, timeout=600):
    user = pwd.getpwnam(LEARNER)
    return subprocess.run(args, cwd=course, env=env, user=user.pw_uid, group=user.pw_gid, extra_groups=[],
                          capture_output=True, text=True, timeout=timeout)


def _learners_python(course: Path, home: Path) -> tuple[str, dict]:
    """(a Python the learner can run with this venv's packages, the environment to run it in).

    The venv's own interpreter where they may run it. A venv's base interpreter may sit in a
    private home (pyenv under /root); then the system's Python of the same version, with the
    venv's site-packages on its path: the same packages, as a shared install offers them."""
    packages = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([str(course), *packages])}
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    tried = []
    found = [os.path.join(d, version) for d in env["PATH"].split(os.pathsep) + ["/usr/local/bin", "/usr/bin"]]
    for python in dict.fromkeys([sys.executable, *filter(os.path.isfile, found)]):
        try:
            probe = _run_as_learner([python, "-c", "import torch, torchvision, filelock, digitlib; "
                                     "print(digitlib.__file__)"], course, env, timeout=300)
        except OSError as e:  # the learner may not even open the interpreter
            tried.append(f"{python}: {e.strerror}")
            continue
        if probe.returncode == 0 and probe.stdout.strip().startswith(str(course)):
            return python, env
        tried.append(f"{python}: {(probe.stderr.strip().splitlines() or [probe.stdout.strip()])[-1]}")
    missing_system_tool(f"user {LEARNER} can run no Python with this venv's packages ({'; '.join(tried)})")


def test_the_readme_commands_write_only_into_the_learners_home(classroom):
    course, home = classroom
    python, env = _learners_python(course, home)
    mine = home / "digits-work"
    before = _snapshot(course)

    def learner(*args, **extra_env):
        r = _run_as_learner([python, "-m", "digitlib", *args], course, {**env, **extra_env})
        assert r.returncode == 0, (args, r.stderr[-2000:])
        return r.stdout + r.stderr

    said = learner("train", "--fast", "--epochs", "1")
    assert f"the course folder {course} is read-only; your models and digits go to {mine}" in said
    assert f"saved {mine / 'checkpoints' / 'mnist_cnn_best.pth'}" in said
    # the learner's own model is found where training wrote it, and named
    for args in (["evaluate", "--subset", "200"], ["predict", PICTURE]):
        said = learner(*args)
        assert f"using your trained model: {mine / 'checkpoints' / 'mnist_cnn_best.pth'}" in said, said
    assert f"{PICTURE}: " in said  # a digit read (which one, a 1-epoch model may get wrong)
    said = learner("finetune", "samples/writers/eve", "--fast")
    assert f"saved {mine / 'checkpoints' / 'mnist_cnn_finetuned.pth'}" in said

    assert _snapshot(course) == before  # nothing written, created or touched in the course folder
    assert {"mnist_cnn_best.pth", "mnist_cnn_finetuned.pth"} <= {p.name for p in (mine / "checkpoints").iterdir()}
    unpacked = {p.name for p in (mine / "data" / "MNIST" / "raw").iterdir()}  # from the course's .gz files
    assert unpacked == {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                        "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}
    assert all(p.stat().st_uid == pwd.getpwnam(LEARNER).pw_uid for p in mine.rglob("*"))

    # DIGITS_HOME chooses the learner's folder instead: the shipped model is used there (nothing
    # trained in it yet), and MNIST is unpacked into it
    elsewhere = home / "elsewhere"
    said = learner("evaluate", "--subset", "200", DIGITS_HOME=str(elsewhere))
    assert f"DIGITS_HOME is set; your models and digits go to {elsewhere}" in said
    assert "using the model shipped with the course" in said
    assert (elsewhere / "data" / "MNIST" / "raw" / "t10k-images-idx3-ubyte").is_file()

    # a teacher who unpacked MNIST in the course folder: learners read it there, read-only
    from digitlib.data import prepare_mnist

    prepare_mnist(course / "data")  # as root, i.e. the teacher
    shutil.rmtree(mine / "data")
    before = _snapshot(course)
    said = learner("evaluate", "--subset", "200")
    assert not (mine / "data").exists() and _snapshot(course) == before
