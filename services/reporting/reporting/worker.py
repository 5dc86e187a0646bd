"""Long work off the service's event loop: reports, verify and rebuild run in worker processes.

A report at 1,000,000 events takes from a tenth of a second to several (a PDF, a whole
history), a rebuild ten: inside the nameko process, which runs every request, the consumers'
heartbeats and ``/health`` on one eventlet hub, that time would freeze all of them. So the
reporting service hands them to a small pool of worker processes (``Workers``), each a
``python -m reporting.worker`` opened on the same store, and waits for the answer without
blocking the hub (under nameko, ``subprocess`` is eventlet's green one: reading the worker's
pipe yields to the other green threads).

The protocol is one JSON object a line. The service writes ``{"job": name, "args": {...}}``; the
worker answers with any number of ``{"progress": n}`` and then one ``{"result": ...}`` or
``{"error": "..."}``. A worker that dies mid-job (killed, out of memory) fails that job only;
the next job starts another. A worker whose service has gone (its pipe closed, or its parent
changed) exits.

Outside a nameko process (the CLI's local commands, the unit tests) the same jobs run in
process: ``Workers`` is only what the service's runtime gives its ``LongWork``."""
from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

ENV_VARIABLE = "FIELDWORK_REPORTING_WORKER_ENV"  # the store's settings, for the worker to open it


class WorkerFailed(RuntimeError):
    """A job the worker could not finish (it raised, or the process ended)."""


class _Worker:
    def __init__(self, environment: dict[str, str], lock_wait: float) -> None:
        env = {**os.environ, ENV_VARIABLE: json.dumps({"store": environment, "lock_wait": lock_wait})}
        here = Path(__file__).resolve().parent.parent  # services/reporting
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(here), *sys.path) if p)
        # A socket pair, not pipes: under nameko, eventlet's green sockets wait for a long
        # answer without holding the hub (its green pipes stalled on answers of a few MB).
        ours, theirs = socket.socketpair()
        os.set_blocking(theirs.fileno(), True)  # the worker's end as a plain process expects it
        try:
            self.process = subprocess.Popen([sys.executable, "-m", "reporting.worker"], stdin=theirs.fileno(),
                                            stdout=theirs.fileno(), env=env)
        finally:
            theirs.close()
        self.socket = ours
        self.stream = ours.makefile("rwb")

    def run(self, job: str, args: dict, progress: Callable[[int], None] | None) -> Any:
        try:
            self.stream.write(json.dumps({"job": job, "args": args}).encode() + b"\n")
            self.stream.flush()
        except OSError as error:
            raise WorkerFailed(f"the reporting worker could not be given the job: {error}") from error
        while True:
            try:
                line = self.stream.readline()
            except OSError:
                line = b""
            if not line:
                code = self.process.poll()
                raise WorkerFailed(f"the reporting worker ended during the job (exit code {code})")
            answer = json.loads(line)
            if "progress" in answer:
                if progress:
                    progress(int(answer["progress"]))
                continue
            if "error" in answer:
                raise WorkerFailed(answer["error"])
            return answer["result"]

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        for closing in (self.stream, self.socket):
            try:
                closing.close()
            except OSError:
                pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Workers:
    """At most ``size`` worker processes, started when a job needs one and kept for the next:
    a job waits for a free worker (a rebuild does not keep reports waiting while another is
    free). ``start`` opens one ahead, so that the first report does not pay for the start."""

    def __init__(self, environment: dict[str, str], size: int = 2, lock_wait: float = 1.0) -> None:
        self.environment = environment
        self.size = max(1, size)
        self.lock_wait = lock_wait
        self._idle: list[_Worker] = []
        self._started = 0
        self._free = threading.Semaphore(self.size)  # green under nameko (eventlet's patch)
        self._guard = threading.Lock()
        self._closed = False
        self.jobs = 0
        self.failures = 0

    def start(self) -> None:
        with self._guard:
            if not self._idle and self._started < self.size:
                self._idle.append(_Worker(self.environment, self.lock_wait))
                self._started += 1

    def run(self, job: str, args: dict | None = None, progress: Callable[[int], None] | None = None) -> Any:
        if self._closed:
            raise WorkerFailed("the reporting service is stopping")
        with self._free:
            with self._guard:
                worker = None
                while self._idle and worker is None:
                    candidate = self._idle.pop()
                    if candidate.alive:
                        worker = candidate
                    else:
                        self._started -= 1
                if worker is None:
                    self._started += 1
            if worker is None:
                try:
                    worker = _Worker(self.environment, self.lock_wait)
                except Exception:
                    with self._guard:
                        self._started -= 1
                    raise
            self.jobs += 1
            try:
                result = worker.run(job, args or {}, progress)
            except WorkerFailed:
                self.failures += 1
                if not worker.alive:  # ended: the next job starts another
                    with self._guard:
                        self._started -= 1
                    raise
                with self._guard:
                    self._idle.append(worker)
                raise
            except BaseException:  # the request went away mid-job: the worker's answer is lost
                with self._guard:
                    self._started -= 1
                worker.process.kill()
                raise
            with self._guard:
                self._idle.append(worker)
            return result

    def state(self) -> dict:
        return {"processes": self._started, "idle": len(self._idle), "jobs": self.jobs, "failed": self.failures}

    def close(self) -> None:
        self._closed = True
        with self._guard:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.close()


def _watch_parent() -> None:
    """End the worker when the service that started it has gone (killed with -9, say)."""
    parent = os.getppid()
    while True:
        time.sleep(1)
        if os.getppid() != parent:
            os._exit(0)


def main() -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s reporting-worker[%(process)d] %(levelname)s %(name)s: %(message)s")
    settings = json.loads(os.environ[ENV_VARIABLE])
    from shared.http import CLOSED_CONNECTION_RETRIES
    from shared.store import closed_connection, opened, wait_for_locks
    from reporting.long_work import run_job
    from reporting.application import ReportingApplication

    threading.Thread(target=_watch_parent, daemon=True).start()
    app = opened(lambda: ReportingApplication(env=settings["store"]))
    wait_for_locks(app, float(settings["lock_wait"]))
    out = sys.stdout.buffer

    def say(answer: dict) -> None:
        out.write(json.dumps(answer).encode() + b"\n")
        out.flush()

    for line in sys.stdin.buffer:
        request = json.loads(line)
        for attempt in range(1, CLOSED_CONNECTION_RETRIES + 1):
            try:
                result = run_job(app, request["job"], request.get("args") or {}, lambda n: say({"progress": n}))
            except Exception as error:  # noqa: BLE001 - told to the service, which answers 500 and logs it
                if attempt < CLOSED_CONNECTION_RETRIES and closed_connection(error):
                    # PostgreSQL restarted: the pool drops the dead connection; nothing was done on it
                    log.warning("job %s met a connection the database closed; trying again", request.get("job"))
                    continue
                log.exception("job %s failed", request.get("job"))
                say({"error": f"{request.get('job')}: {type(error).__name__}: {error}"})
                break
            say({"result": result})
            break
    return 0


if __name__ == "__main__":
    sys.exit(main())
