"""Runs the services as separate processes, the way they run in production, and keeps them up.

Crash-only: a service that dies is started again (RELIABILITY.md: nameko consumers exit on a
reset connection), and so is one that stops answering its health check: once it has answered
since it started, ``UNRESPONSIVE_AFTER`` checks in a row without any answer (``HEALTH_EVERY``
seconds apart, each waiting ``HEALTH_TIMEOUT``) and it is killed and started again. A service
that answers ``503`` is answering: it says what is wrong (a store that cannot be written) and a
restart would not mend it. Ctrl-C or SIGTERM stops them all cleanly: the supervisor sends each service
SIGTERM, all at once, and waits for them. The services ignore SIGINT: Ctrl-C in a terminal
reaches every process in its group, and nameko sent SIGINT and SIGTERM together stops twice
over and hangs until it is killed (seen every time when the two came within a millisecond).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from shared.services import manifests


STOP_SECONDS = 10.0  # how long the services have to stop before they are killed
HEALTH_EVERY = float(os.environ.get("FIELDWORK_HEALTH_EVERY", "10"))
HEALTH_TIMEOUT = float(os.environ.get("FIELDWORK_HEALTH_TIMEOUT", "5"))
UNRESPONSIVE_AFTER = int(os.environ.get("FIELDWORK_UNRESPONSIVE_AFTER", "6"))  # a minute or more



@dataclass
class ServiceProcess:
    name: str
    module: str
    health_url: str
    config: Path
    log_path: Path
    process: subprocess.Popen | None = None
    restarts: int = 0
    started_at: float = 0.0
    env: dict = field(default_factory=dict)
    answered: bool = False  # its health check answered since it started
    silent: int = 0  # health checks in a row without an answer
    checked_at: float = 0.0

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child
        self.process = subprocess.Popen(
            [sys.executable, "-m", "nameko", "run", "--config", str(self.config), self.module],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **self.env},
            cwd=os.getcwd(),
            preexec_fn=_ignore_interrupt,
        )
        log.close()
        self.started_at = time.monotonic()
        self.answered, self.silent = False, 0

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def healthy(self) -> bool:
        try:
            return requests.get(self.health_url, timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def unresponsive(self) -> bool:
        """One health check (at most every ``HEALTH_EVERY`` seconds): whether the service,
        which answered since it started, has now not answered ``UNRESPONSIVE_AFTER`` in a row."""
        now = time.monotonic()
        if now - self.checked_at < HEALTH_EVERY:
            return False
        self.checked_at = now
        try:
            requests.get(self.health_url, timeout=HEALTH_TIMEOUT)
        except requests.RequestException:
            self.silent += 1
        else:
            self.answered, self.silent = True, 0
        return self.answered and self.silent >= UNRESPONSIVE_AFTER


def _ignore_interrupt() -> None:
    """In a service's process, before it runs nameko: SIGINT ignored (Python then installs no
    KeyboardInterrupt handler), so that only the supervisor's SIGTERM stops it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def stop_all(procs: list[ServiceProcess], echo=print, timeout: float = STOP_SECONDS) -> None:
    """SIGTERM to every running service at once, then wait for them all; one still running
    after ``timeout`` seconds is killed, and said so."""
    running = [proc for proc in procs if proc.alive()]
    for proc in running:
        proc.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for proc in running:
        try:
            proc.process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            echo(f"{proc.name} did not stop within {timeout:.0f} s of SIGTERM: killed; see {proc.log_path}")
            proc.process.kill()
            proc.process.wait()


def services(data_dir: str, reporting_replicas: int = 1) -> list[ServiceProcess]:
    """The system's services, with their addresses from the environment. With
    ``reporting_replicas`` above 1, more processes of the reporting service on the same store,
    competing for its queue (its intake is one process on one core): replica k listens 10·(k-1)
    ports above the first (8013, 8023, ... by default) and logs to ``reporting-<k>.log``."""
    logs = Path(data_dir) / "logs"
    procs = []
    for service in manifests():  # each service, with its default HTTP address (<NAME>_HTTP_ADDRESS overrides)
        name = service.name
        address = os.environ.get(f"{name.upper()}_HTTP_ADDRESS", service.address)
        copies = reporting_replicas if name == "reporting" else 1
        for k in range(1, copies + 1):
            host, port = address.rsplit(":", 1)
            here = address if k == 1 else f"{host}:{int(port) + 10 * (k - 1)}"
            label = name if k == 1 else f"{name}-{k}"
            procs.append(ServiceProcess(
                name=label,
                module=service.module,
                health_url=f"http://{here}/health",
                config=service.config,
                log_path=logs / f"{label}.log",
                env={} if k == 1 else {f"{name.upper()}_HTTP_ADDRESS": here},
            ))
    return procs


def wait_healthy(service: ServiceProcess, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not service.alive():
            return False
        if service.healthy():
            return True
        time.sleep(0.3)
    return False


def supervise(procs: list[ServiceProcess], echo=print, poll: float = 1.0) -> int:
    """Start, wait for health, keep alive until interrupted. Returns an exit code."""
    stopping = False

    def _stop(signum, frame):  # noqa: ARG001
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    for proc in procs:
        proc.start()
    for proc in procs:
        if wait_healthy(proc):
            proc.answered = True
            echo(f"{proc.name:13} up   {proc.health_url.rsplit('/health', 1)[0]}   log: {proc.log_path}")
        else:
            echo(f"{proc.name:13} did not become healthy; see {proc.log_path}")
            stop_all(procs, echo)
            return 1
    echo("all services up; Ctrl-C stops them")
    backoff: dict[str, float] = {}
    try:
        while not stopping:
            time.sleep(poll)
            for proc in procs:
                if not stopping and proc.alive() and proc.unresponsive():
                    echo(f"{proc.name} has not answered its health check {proc.silent} times in a row "
                         f"({HEALTH_EVERY:.0f} s apart): killed, to be started again; see {proc.log_path}")
                    proc.process.kill()
                    proc.process.wait()
                if stopping or proc.alive():
                    continue
                code = proc.process.returncode if proc.process else None
                wait = backoff.get(proc.name, 1.0)
                echo(f"{proc.name} exited (code {code}); restarting in {wait:.0f}s; see {proc.log_path}")
                time.sleep(wait)
                backoff[proc.name] = min(wait * 2, 30.0) if time.monotonic() - proc.started_at < 60 else 1.0
                proc.restarts += 1
                proc.start()
    finally:
        echo("stopping services ...")
        stop_all(procs, echo)
        echo("stopped")
    return 0
