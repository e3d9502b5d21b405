"""The machinery behind bench/classroom.py: a hub on 127.0.0.1, learner accounts, a kernel
driven over its websocket as a browser would, and clean-up of all of it."""
from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
import uuid
from pathlib import Path

import psutil
import requests
import websocket

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / "classroom" / "jupyterhub_config.py"
COURSE_PARTS = ("digitlib", "models", "data", "samples", "notebooks")


class BenchError(Exception):
    """Something the bench needs is missing: said in one line."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_proxy() -> str:
    local = REPO / ".hub" / "node_modules" / ".bin" / "configurable-http-proxy"
    found = str(local) if local.exists() else shutil.which("configurable-http-proxy")
    if not found:
        raise BenchError("configurable-http-proxy is missing: make classroom-deps (or npm install "
                         "--prefix .hub configurable-http-proxy)")
    return found


def others_can_enter(folder: Path) -> str:
    """'' when every user can reach and read folder; else the first folder on the way that stops them."""
    for p in [*reversed(folder.parents), folder]:
        if not p.stat().st_mode & 0o005 == 0o005:
            return str(p)
    return ""


def copy_course() -> Path:
    """A copy of the course owned by root, readable by all, writable by none but root (as on a
    class server), with MNIST unpacked once by the 'teacher' so learners read it in place."""
    course = Path(tempfile.mkdtemp(prefix="digits-course-")).resolve()
    course.chmod(0o755)
    for part in COURSE_PARTS:
        shutil.copytree(REPO / part, course / part, symlinks=True,
                        ignore=shutil.ignore_patterns("__pycache__", "*.tmp", ".*.lock", "mydigits"))
    return course


def learner_python(course: Path, as_user: str) -> tuple[str, str]:
    """(a Python as_user can run, extra PYTHONPATH) that imports jupyterhub, torch and the course's
    digitlib: this venv's interpreter if they may run it, else the system's Python of the same
    version with the venv's site-packages (a venv made from a Python under /root)."""
    packages = os.pathsep.join(dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]))
    user = pwd.getpwnam(as_user)
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    tried = []
    for python in dict.fromkeys([sys.executable, f"/usr/bin/{version}", f"/usr/local/bin/{version}"]):
        for extra in ("", packages):
            env = {"PATH": "/usr/bin:/bin", "HOME": "/", "PYTHONPATH": os.pathsep.join(filter(None, [str(course), extra]))}
            try:
                # (found, not imported: importing torch and Jupyter as another user takes seconds)
                r = subprocess.run([python, "-c", "import importlib.util as u; print(*(u.find_spec(m).origin "
                                    "for m in ('digitlib', 'torch', 'jupyterhub', 'jupyter_server', 'ipykernel')))"],
                                   env=env, user=user.pw_uid, group=user.pw_gid, extra_groups=[], cwd="/",
                                   capture_output=True, text=True, timeout=300)
            except OSError as e:
                tried.append(f"{python}: {e.strerror}")
                break
            if r.returncode == 0 and r.stdout.strip().startswith(str(course)):
                return python, extra
            tried.append(f"{python}: {(r.stderr.strip().splitlines() or ['?'])[-1]}")
    raise BenchError(f"learners can run no Python with jupyterhub, torch and digitlib ({'; '.join(tried)})")


def add_learner(name: str, password: str, group: str) -> pwd.struct_passwd:
    subprocess.run(["useradd", "--create-home", "--shell", "/usr/sbin/nologin", "--groups", group, name],
                   check=True, capture_output=True, text=True)
    subprocess.run(["chpasswd"], input=f"{name}:{password}\n", check=True, capture_output=True, text=True)
    return pwd.getpwnam(name)


def remove_learner(name: str) -> None:
    try:
        user = pwd.getpwnam(name)
    except KeyError:
        return
    kill_processes(lambda p: p.uids().real == user.pw_uid)
    subprocess.run(["userdel", "--remove", name], capture_output=True)
    shutil.rmtree(user.pw_dir, ignore_errors=True)  # userdel -r leaves it when a mail spool is missing
    for path in temp_files(user.pw_uid):  # e.g. /tmp/torchinductor_<name>, which PyTorch makes
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() and not path.is_symlink() else path.unlink()


def temp_files(uid: int) -> list[Path]:
    """What uid left at the top of the shared temporary folders."""
    found = []
    for folder in ("/tmp", "/var/tmp", "/dev/shm"):
        try:
            found += [p for p in Path(folder).iterdir() if p.lstat().st_uid == uid]
        except OSError:
            pass
    return found


def kill_processes(which) -> None:
    """SIGTERM, then SIGKILL after 5 s, every process `which(p)` picks, by its pid."""
    def chosen():
        out = []
        for p in psutil.process_iter():
            try:
                if p.pid != os.getpid() and which(p):
                    out.append(p)
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                pass
        return out
    procs = chosen()
    for p in procs:
        try:
            p.terminate()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(procs, timeout=5)
    for p in alive:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass


class Hub:
    """JupyterHub run with the repo's config (plus a bench service allowed to manage users) on
    127.0.0.1, in a temporary state folder; stop() ends it and every process it started."""

    def __init__(self, course: Path, python: str, pythonpath: str, threads: int, group: str):
        self.state = Path(tempfile.mkdtemp(prefix="digits-hub-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = secrets.token_hex(32)
        bench_config = self.state / "bench_config.py"
        bench_config.write_text(f"""# the repo's classroom config, on 127.0.0.1 for the bench
load_subconfig({str(CONFIG)!r})
c.JupyterHub.bind_url = {self.url!r}
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{free_port()}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{free_port()}"
c.ConfigurableHTTPProxy.command = [{find_proxy()!r}]
c.JupyterHub.services = [{{"name": "classroom-bench", "api_token": {self.token!r}}}]
c.JupyterHub.load_roles = [{{"name": "classroom-bench", "services": ["classroom-bench"],
                            "scopes": ["admin:users", "admin:servers", "tokens"]}}]
""")
        env = {**os.environ, "DIGITS_COURSE": str(course), "DIGITS_HUB_STATE": str(self.state),
               "DIGITS_HUB_PYTHON": python, "DIGITS_HUB_PYTHONPATH": pythonpath, "DIGITS_HUB_THREADS": str(threads),
               "DIGITS_HUB_GROUP": group}
        self.log = open(self.state / "hub.log", "w")
        # its own session: the proxy is in it, and a Ctrl-C on the bench's terminal reaches only the bench
        self.proc = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(bench_config)], cwd=self.state,
                                     env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.started: set[int] = set()
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"token {self.token}"

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while True:
            self._remember_children()
            try:
                if self.session.get(f"{self.url}/hub/api/", timeout=5).ok:
                    return
            except requests.ConnectionError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise BenchError(f"the hub did not start: {self.log_tail()}")
            time.sleep(0.3)

    def _remember_children(self):
        try:
            self.started |= {p.pid for p in psutil.Process(self.proc.pid).children(recursive=True)}
        except psutil.NoSuchProcess:
            pass

    def log_tail(self, n: int = 1500) -> str:
        self.log.flush()
        return (self.state / "hub.log").read_text()[-n:].replace("\n", " | ")

    def api(self, method: str, path: str, **kw) -> requests.Response:
        r = self.session.request(method, f"{self.url}/hub/api{path}", timeout=60, **kw)
        if not r.ok:
            raise BenchError(f"{method} /hub/api{path}: {r.status_code} {r.text[:300]}")
        return r

    def start_server(self, name: str, timeout: float = 300) -> str:
        """Create the hub user, start their server and wait for it; returns a token of theirs."""
        if self.session.get(f"{self.url}/hub/api/users/{name}", timeout=60).status_code == 404:
            self.api("POST", f"/users/{name}")  # (logging in made it already)
        self.api("POST", f"/users/{name}/server")
        deadline = time.monotonic() + timeout
        while not self.api("GET", f"/users/{name}").json()["servers"].get("", {}).get("ready"):
            if time.monotonic() > deadline:
                raise BenchError(f"{name}'s server did not start in {timeout:.0f} s: {self.log_tail()}")
            time.sleep(0.5)
        self._remember_children()
        return self.api("POST", f"/users/{name}/tokens", json={"note": "classroom bench"}).json()["token"]

    def login(self, name: str, password: str) -> bool:
        """Log in through the hub's login form, as a browser does (PAM checks the password)."""
        browser = requests.Session()
        browser.get(f"{self.url}/hub/login", timeout=60)
        r = browser.post(f"{self.url}/hub/login", allow_redirects=False, timeout=60,
                         data={"username": name, "password": password, "_xsrf": browser.cookies.get("_xsrf", "")})
        return r.status_code == 302 and "jupyterhub-hub-login" in browser.cookies

    def stop_server(self, name: str, timeout: float = 120) -> None:
        self.api("DELETE", f"/users/{name}/server")
        deadline = time.monotonic() + timeout
        while self.api("GET", f"/users/{name}").json()["servers"]:
            if time.monotonic() > deadline:
                raise BenchError(f"{name}'s server did not stop in {timeout:.0f} s")
            time.sleep(0.3)

    def stop(self):
        self._remember_children()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # the hub stops the servers and the proxy it started
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        kill_processes(lambda p: p.pid in self.started)
        self.log.close()
        shutil.rmtree(self.state, ignore_errors=True)


class Kernel:
    """A kernel in a learner's Jupyter server, driven through the proxy over the server's REST
    and websocket API, as JupyterLab in a browser drives it."""

    def __init__(self, hub: Hub, user: str, token: str):
        self.base = f"{hub.url}/user/{user}/api/kernels"
        self.headers = {"Authorization": f"token {token}"}
        r = requests.post(self.base, headers=self.headers, json={"name": "python3"}, timeout=120)
        if not r.ok:
            raise BenchError(f"{user}: no kernel: {r.status_code} {r.text[:300]}")
        self.id = r.json()["id"]
        ws_url = self.base.replace("http://", "ws://") + f"/{self.id}/channels"
        self.ws = websocket.create_connection(ws_url, header=[f"Authorization: token {token}"], timeout=600)
        self.pending = None

    def send(self, code: str) -> None:
        """Start running a cell; result() waits for what it printed."""
        self.pending = uuid.uuid4().hex
        self.ws.send(json.dumps({
            "header": {"msg_id": self.pending, "msg_type": "execute_request", "username": "", "session": self.id,
                       "version": "5.3", "date": ""},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                        "allow_stdin": False, "stop_on_error": True}}))

    def result(self) -> str:
        out, error, idle = [], None, False
        while not idle:
            msg = json.loads(self.ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != self.pending:
                continue
            kind = msg["msg_type"]
            if kind == "stream":
                out.append(msg["content"]["text"])
            elif kind == "error":
                error = f"{msg['content']['ename']}: {msg['content']['evalue']}"
            elif kind == "status" and msg["content"]["execution_state"] == "idle":
                idle = True
        if error:
            raise BenchError(f"the cell failed: {error}; it printed: {''.join(out)[-500:]}")
        return "".join(out)

    def run(self, code: str) -> str:
        self.send(code)
        return self.result()

    def close(self):
        try:
            self.ws.close()
            requests.delete(f"{self.base}/{self.id}", headers=self.headers, timeout=30)
        except (OSError, requests.RequestException, websocket.WebSocketException):
            pass
