# JupyterHub for a class on one server the teacher owns: `sudo make classroom` (docs/classroom.md).
#
# One system account per learner; each learner's Jupyter server and kernels run as that account
# (LocalProcessSpawner), so the operating system, not Jupyter, keeps learners apart: homes are
# made mode 700, and the course folder (library, venv, MNIST, shipped models) is owned by the
# teacher and only readable to learners. Every knob is an environment variable, so the bench
# (bench/classroom.py) runs this very file, only on another port.
import os
import pwd
import subprocess
import sys
from pathlib import Path

c = get_config()  # noqa: F821 (JupyterHub provides it)

COURSE = Path(os.environ.get("DIGITS_COURSE") or Path(__file__).resolve().parent.parent)
STATE = Path(os.environ.get("DIGITS_HUB_STATE") or COURSE / ".hub")  # database, cookie secret (teacher only)
# The Python learners' servers run: the course venv's. It must be runnable by them (a venv made
# from a Python under /root is not: make it from /usr/bin/python3).
PYTHON = os.environ.get("DIGITS_HUB_PYTHON") or str(COURSE / ".venv" / "bin" / "python")
# digitlib from the course folder, whether or not the venv has it installed
PYTHONPATH = os.pathsep.join(filter(None, [str(COURSE), os.environ.get("DIGITS_HUB_PYTHONPATH", "")]))
# Threads per learner. PyTorch starts one per core in every kernel: 30 learners training on a
# 16-core server would run 480 threads fighting for 16 cores. 1 keeps each learner to one core.
THREADS = os.environ.get("DIGITS_HUB_THREADS", "1")
LEARNERS_GROUP = os.environ.get("DIGITS_HUB_GROUP", "digits")  # who may log in: members of this group
TEACHER = os.environ.get("DIGITS_HUB_TEACHER") or os.environ.get("SUDO_USER") or ""
WORK = "digits-work"  # the learner's own folder in their home (DIGITS_HOME): notebooks, models, digits

STATE.mkdir(mode=0o700, parents=True, exist_ok=True)
c.JupyterHub.bind_url = os.environ.get("DIGITS_HUB_URL", "http://:8000")  # put TLS (a proxy, or ssl_cert) in front
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")
c.ConfigurableHTTPProxy.pid_file = str(STATE / "proxy.pid")
proxy = COURSE / ".hub" / "node_modules" / ".bin" / "configurable-http-proxy"  # where `make classroom` puts it
if proxy.exists():
    c.ConfigurableHTTPProxy.command = [str(proxy)]

# Log in with the learner's system account and password (PAM): nothing more to run or manage.
c.JupyterHub.authenticator_class = "pam"
c.PAMAuthenticator.allowed_groups = {LEARNERS_GROUP}
if TEACHER:
    c.Authenticator.admin_users = {TEACHER}  # sees every learner's server in the admin page, can stop them

c.JupyterHub.spawner_class = "localprocess"  # or systemd, below
c.Spawner.cmd = [PYTHON, "-m", "jupyterhub.singleuser"]
c.Spawner.notebook_dir = "~"
c.Spawner.default_url = f"/lab/tree/{WORK}/notebooks"
c.Spawner.start_timeout = 120  # a busy 2-core server needs a while to import Jupyter for many learners
c.Spawner.http_timeout = 120


def _home(spawner) -> str:
    return pwd.getpwnam(spawner.user.name).pw_dir


c.Spawner.environment = {
    # The same limit for every library that starts threads: PyTorch's OpenMP, MKL, OpenBLAS (numpy).
    # torch.get_num_threads() starts at OMP_NUM_THREADS in each kernel.
    **{name: THREADS for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")},
    "DIGITS_HOME": lambda spawner: os.path.join(_home(spawner), WORK),  # digitlib writes only there
    "PYTHONPATH": PYTHONPATH,
}

# Copy the course's notebooks into the learner's folder, only those missing there: a learner's
# edits are never overwritten, and a notebook they delete comes back fresh at the next start.
# Run as the learner (never as root in their home, where a symlink could point anywhere).
# samples/ is linked beside the notebooks because notebook 07 reads ../samples/writers.
_COPY = """set -e
mkdir -p "$2/notebooks"
for f in "$1"/notebooks/*.ipynb; do
  [ -e "$2/notebooks/${f##*/}" ] || cp "$f" "$2/notebooks/"
done
[ -e "$2/samples" ] || ln -s "$1/samples" "$2/samples"
"""


def prepare_home(spawner):
    user = pwd.getpwnam(spawner.user.name)
    # Debian and Ubuntu create homes mode 755: any learner could read every other's work.
    os.chmod(user.pw_dir, 0o700)
    subprocess.run(["/bin/sh", "-c", _COPY, "copy", str(COURSE), os.path.join(user.pw_dir, WORK)],
                   user=user.pw_uid, group=user.pw_gid, extra_groups=[], env={"PATH": "/usr/bin:/bin"},
                   cwd=user.pw_dir, check=True, timeout=60, capture_output=True)


c.Spawner.pre_spawn_hook = prepare_home

# Memory: LocalProcessSpawner cannot enforce a limit (mem_limit is only passed on as MEM_LIMIT).
# On a server with systemd, `pip install jupyterhub-systemdspawner` and set DIGITS_HUB_MEM_LIMIT=2G:
# each learner's server and kernels then run in a systemd unit that the kernel caps.
if os.environ.get("DIGITS_HUB_MEM_LIMIT"):
    c.JupyterHub.spawner_class = "systemdspawner.SystemdSpawner"
    c.SystemdSpawner.mem_limit = os.environ["DIGITS_HUB_MEM_LIMIT"]
    c.SystemdSpawner.cpu_limit = float(THREADS)
    c.SystemdSpawner.isolate_tmp = True
    c.SystemdSpawner.unit_extra_properties = {"LimitNPROC": "200"}

if not os.access(PYTHON, os.X_OK):
    sys.exit(f"error: no Python at {PYTHON} for learners' servers (make venv, or set DIGITS_HUB_PYTHON)")
