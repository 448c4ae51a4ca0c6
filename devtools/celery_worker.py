"""A real Celery worker as a child process, for the tests and benchmarks that kill one mid-run (stdlib only)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class Worker:
    """`celery -A atelier worker -c 2` (prefork) in its own process group, logging to `log_path`."""

    def __init__(self, env: dict, log_path, name: str = "worker"):
        self.env, self.log_path, self.name, self.process = env, log_path, name, None

    def start(self) -> "Worker":
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "atelier", "worker", "-c", "2", "--pool=prefork", "-l", "info",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"{self.name}-{time.time()}@%h"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        return self

    def ready(self) -> bool:
        return b" ready." in Path(self.log_path).read_bytes()

    def owns(self, pid: int) -> bool:
        """Whether `pid` is this worker or one of its pool processes (they share its process group)."""
        try:
            return self.process is not None and self.process.poll() is None and os.getpgid(pid) == self.process.pid
        except ProcessLookupError:
            return False

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes, as a crashed machine would."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
