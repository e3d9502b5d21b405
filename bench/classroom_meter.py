"""Memory and CPU of each learner in bench/classroom.py, sampled from outside their processes."""
from __future__ import annotations

import threading

import psutil


class Meter(threading.Thread):
    """Every second: each learner's processes (their server and kernels), their summed RSS and
    PSS (shared libraries counted once, shared out) and CPU seconds; keeps the peaks."""

    def __init__(self, uids: dict[str, int]):
        super().__init__(daemon=True)
        self.uids, self.stop = uids, threading.Event()
        self.rss = dict.fromkeys(uids, 0.0)
        self.pss = dict.fromkeys(uids, 0.0)
        self.cpu: dict[int, float] = {}  # pid -> its CPU seconds, last seen (processes come and go)
        self.owner: dict[int, str] = {}
        self.peak: dict[int, tuple[str, float]] = {}  # pid -> (server or kernel, its largest RSS in MB)

    def sample(self):
        rss, pss = dict.fromkeys(self.uids, 0.0), dict.fromkeys(self.uids, 0.0)
        by_uid = {uid: name for name, uid in self.uids.items()}
        for p in psutil.process_iter():
            try:
                name = by_uid.get(p.uids().real)
                if name is None:
                    continue
                m = p.memory_full_info()
                rss[name] += m.rss / 2**20
                pss[name] += m.pss / 2**20
                t = p.cpu_times()
                self.cpu[p.pid], self.owner[p.pid] = t.user + t.system, name
                cmd = " ".join(p.cmdline())
                role = "server" if "jupyterhub.singleuser" in cmd else "kernel" if "ipykernel" in cmd else "other"
                self.peak[p.pid] = (role, max(self.peak.get(p.pid, ("", 0.0))[1], m.rss / 2**20))
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                pass
        for name in self.uids:
            self.rss[name] = max(self.rss[name], rss[name])
            self.pss[name] = max(self.pss[name], pss[name])

    def run(self):
        while not self.stop.wait(1.0):
            self.sample()

    def cpu_s(self, name: str) -> float:
        return sum(s for pid, s in self.cpu.items() if self.owner[pid] == name)
