"""Test support: real parts, isolated per test (a vhost of its own, a data folder of its own,
a PostgreSQL schema of its own), cleaned up afterwards."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import kombu
import requests

from shared.messaging.topology import PROJECT_ROOT, definitions_for_vhost, delete_vhost, load_definitions

AMQP_BASE = os.environ.get("FIELDWORK_TEST_AMQP", "amqp://guest:guest@127.0.0.1:5672")
POSTGRES = {
    "host": os.environ.get("FIELDWORK_TEST_POSTGRES_HOST", "127.0.0.1"),
    "port": int(os.environ.get("FIELDWORK_TEST_POSTGRES_PORT", "5432")),
    "dbname": os.environ.get("FIELDWORK_TEST_POSTGRES_DB", "test"),
    "user": os.environ.get("FIELDWORK_TEST_POSTGRES_USER", "postgres"),
    "password": os.environ.get("FIELDWORK_TEST_POSTGRES_PASSWORD", ""),
}


class IsolatedBroker:
    """A vhost of its own on the real RabbitMQ, with the system's definitions loaded."""

    def __init__(self) -> None:
        self.vhost = f"fieldwork-test-{uuid.uuid4().hex[:12]}"
        self.uri = f"{AMQP_BASE}/{self.vhost}"

    def __enter__(self) -> IsolatedBroker:
        load_definitions(self.uri)
        return self

    def __exit__(self, *exc) -> None:
        delete_vhost(self.vhost)

    def tap(self, exchange: str = "visits.events") -> EventTap:
        return EventTap(self.uri, exchange)


class EventTap:
    """A private queue bound to every routing key of an exchange, to see what was published."""

    def __init__(self, uri: str, exchange: str) -> None:
        self.connection = kombu.Connection(uri)
        self.channel = self.connection.channel()
        self.queue = kombu.Queue(
            f"tap.{uuid.uuid4().hex[:8]}", exclusive=True, durable=False, channel=self.channel
        )
        self.queue.declare()
        self.queue.bind_to(exchange=exchange, routing_key="#")

    def messages(self, expected: int, timeout: float = 15.0, settle: float = 0.5) -> list[kombu.Message]:
        """Everything that arrives until ``expected`` messages came and nothing more arrives
        for ``settle`` seconds (so that an extra message would be seen), or ``timeout``."""
        got: list = []
        deadline = time.monotonic() + timeout
        quiet_since = None
        while time.monotonic() < deadline:
            message = self.queue.get(no_ack=True)
            if message is not None:
                got.append(message)
                quiet_since = None
                continue
            if len(got) >= expected:
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since >= settle:
                    break
            time.sleep(0.02)
        return got

    def envelopes(self, expected: int, **kwargs) -> list[dict]:
        return [json.loads(m.body) for m in self.messages(expected, **kwargs)]

    def close(self) -> None:
        self.connection.release()


def until_all_up(up: subprocess.Popen, lines: list[str] | None = None, timeout: float = 180) -> list[str]:
    """The lines ``fieldwork up`` printed (appended to ``lines``) until it said every service
    is up; fails if it ended or took longer than ``timeout`` seconds."""
    lines = [] if lines is None else lines
    deadline = time.monotonic() + timeout
    while not any("all services up" in line for line in lines):
        line = up.stdout.readline()
        assert line and time.monotonic() < deadline, "fieldwork up did not start:\n" + "".join(lines)
        lines.append(line)
    return lines


def opened_together(open_store, replicas: int = 4) -> tuple[list, list[str]]:
    """``open_store()`` in ``replicas`` threads at once (``shared.store.opened`` around it), as
    replicas of a service started together open one store: what opened, and the errors."""
    from shared.store import opened

    apps: list = []
    errors: list[str] = []

    def open_one() -> None:
        try:
            apps.append(opened(open_store))
        except Exception as error:  # noqa: BLE001 - returned to the test
            errors.append(f"{type(error).__name__}: {error}")

    threads = [threading.Thread(target=open_one) for _ in range(replicas)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return apps, errors


def group_body(name: str, committee: str = "1540", days_ago: int = 30) -> dict:
    """``POST /groups``: a working group of a test's own (the others' stay as they are),
    established ``days_ago`` days ago, so that its meetings may be dated from then on."""
    return {"name": name, "committee": committee, "mandate_area": "assistance",
            "occurred_at": (datetime.now(timezone.utc) - timedelta(days=days_ago)).isoformat()}


def meeting_body(group_id: str, title: str, starts: datetime, hours: float = 2, **more) -> dict:
    """``POST /meetings``: a working-group meeting of ``group_id`` from ``starts``."""
    return {"group_id": group_id, "meeting_kind": "working_group", "title": title, "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=hours)).isoformat(), **more}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServiceProcess:
    """One service run as a user runs it: ``nameko run`` in its own process."""

    def __init__(self, service: str, amqp_uri: str, data_dir: Path, extra_env: dict | None = None,
                 port: int | None = None) -> None:
        self.service = service
        self._tokens: dict[tuple, str] = {}  # (user, role, options) -> token issued for this service
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(data_dir) / f"{service}.log"
        self.env = {
            **os.environ,
            "AMQP_URI": amqp_uri,
            f"{service.upper()}_HTTP_ADDRESS": f"127.0.0.1:{self.port}",
            "FIELDWORK_DATA_DIR": str(data_dir),
            **(extra_env or {}),
        }
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> ServiceProcess:
        log = open(self.log_path, "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "nameko", "run", "--config",
             str(PROJECT_ROOT / f"services/{self.service}/config.yml"), f"{self.service}.service"],
            stdout=log, stderr=subprocess.STDOUT, env=self.env, cwd=PROJECT_ROOT,
        )
        log.close()
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.service} exited at start:\n{self.log()}")
            try:
                health = requests.get(f"{self.url}/health", timeout=1)
                if health.status_code == 200:
                    return self
                last = f"{health.status_code} {health.text[:1500]}"
            except requests.RequestException as error:
                last = f"no answer ({type(error).__name__})"
            time.sleep(0.2)
        raise RuntimeError(f"{self.service} not healthy within {timeout}s; its last /health: {last}\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:] if self.log_path.exists() else ""

    def kill(self) -> None:
        """kill -9: no clean-up, no goodbye."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    # -- HTTP helpers: each call signed in, by default as the service's usual user --

    DEFAULT_ACTOR = {"visits": ("ana", "visit_coordinator"), "meetings": ("sam", "secretariat"),
                     "reporting": ("rita", "reporting_staff"), "notifications": ("sam", "secretariat")}

    def token(self, user: str, role: str, **kwargs) -> str:
        """A token for ``user`` as ``role`` in the registry the service reads (its data folder)."""
        from shared.auth import TokenRegistry
        from shared.store import settings_from_environ

        key = (user, role, tuple(sorted(kwargs.items())))
        if key not in self._tokens:
            registry = TokenRegistry(settings_from_environ(self.env))  # the store the service reads
            self._tokens[key] = registry.issue(user, role, **kwargs)[1]
        return self._tokens[key]

    def _headers(self, as_: tuple[str, ...] | None, headers: dict | None) -> dict:
        """``as_``: (user, role), or (user, role, committee) for a token limited to one Committee."""
        user, role, *committee = as_ or self.DEFAULT_ACTOR[self.service]
        token = self.token(user, role, **({"committee": committee[0]} if committee else {}))
        return {"Authorization": f"Bearer {token}", **(headers or {})}

    def post(self, path: str, body: dict | None = None, *, as_: tuple[str, ...] | None = None,
             headers: dict | None = None, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 10)
        return requests.post(f"{self.url}{path}", json=body if body is not None else {},
                             headers=self._headers(as_, headers), **kwargs)

    def get(self, path: str, *, as_: tuple[str, ...] | None = None, headers: dict | None = None,
            **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 10)
        return requests.get(f"{self.url}{path}", headers=self._headers(as_, headers), **kwargs)


class PrivateRabbitNode:
    """A RabbitMQ node of the test's own: its own node name, AMQP and distribution ports, data
    and log folders (a temporary folder), no plugins unless ``plugins`` names them (the management
    plugin listens on 127.0.0.1, at ``management_url``), the system's definitions loaded into one
    vhost. For faults that would hurt anyone else on the shared
    broker (``stop_app``/``start_app``). Stopped (``rabbitmqctl stop``, else ``kill -9``) and
    its folder deleted on exit.

    The node runs as the current user with ``HOME`` in its folder, so it has an Erlang cookie of
    its own; it registers with the machine's ``epmd`` (started by Erlang if none runs)."""

    BIN_DIRS = ("/usr/lib/rabbitmq/bin",)  # Debian: the real scripts (not the su wrappers on PATH)

    def __init__(self, vhost: str = "fieldwork", plugins: tuple[str, ...] = ()) -> None:
        self.plugins = plugins
        self.management_port = free_port() if "rabbitmq_management" in plugins else None
        self.management_url = f"http://127.0.0.1:{self.management_port}" if self.management_port else None
        self.folder = Path(tempfile.mkdtemp(prefix="fw-rabbit-"))
        self.name = f"fieldwork-fault-{os.getpid()}-{uuid.uuid4().hex[:6]}@localhost"
        self.port, self.dist_port = free_port(), free_port()
        self.vhost = vhost
        self.uri = f"amqp://guest:guest@127.0.0.1:{self.port}/{vhost}"
        self.env = {
            **os.environ,
            "HOME": str(self.folder),
            "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.folder / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.folder / "log"),
            "RABBITMQ_PID_FILE": str(self.folder / "node.pid"),
            "RABBITMQ_CONFIG_FILE": str(self.folder / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.folder / "enabled_plugins"),
            "RABBITMQ_CONF_ENV_FILE": str(self.folder / "rabbitmq-env.conf"),  # not /etc's NODENAME
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        }

    @classmethod
    def tool(cls, name: str) -> str | None:
        for folder in cls.BIN_DIRS:
            if os.access(Path(folder) / name, os.X_OK):
                return str(Path(folder) / name)
        return shutil.which(name)

    def ctl(self, *args: str, timeout: float = 120) -> str:
        result = subprocess.run([self.tool("rabbitmqctl"), "-q", "-n", self.name, *args], env=self.env,
                                capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)} on {self.name} failed: "
                               f"{result.stderr.strip() or result.stdout.strip()}\n{self.log()}")
        return result.stdout

    def log(self) -> str:
        logs = sorted((self.folder / "log").glob("*.log"))
        return logs[0].read_text(errors="replace")[-3000:] if logs else ""

    def __enter__(self) -> PrivateRabbitNode:
        management = (f"management.tcp.ip = 127.0.0.1\nmanagement.tcp.port = {self.management_port}\n"
                      if self.management_port else "")
        (self.folder / "rabbitmq.conf").write_text(
            f"listeners.tcp.local = 127.0.0.1:{self.port}\nlog.file.level = warning\n{management}")
        (self.folder / "enabled_plugins").write_text(f"[{','.join(self.plugins)}].\n")
        (self.folder / "rabbitmq-env.conf").write_text("")
        try:
            subprocess.run([self.tool("rabbitmq-server"), "-detached"], env=self.env, check=True,
                           capture_output=True, timeout=60)
            self.ctl("wait", str(self.folder / "node.pid"), "--timeout", "90", timeout=120)
            definitions = self.folder / "definitions.json"
            definitions.write_text(json.dumps(definitions_for_vhost(self.vhost, "guest")))
            self.ctl("import_definitions", str(definitions))
        except BaseException:
            self.__exit__()
            raise
        return self

    def stop_app(self) -> None:
        self.ctl("stop_app")

    def start_app(self) -> None:
        self.ctl("start_app")
        self.ctl("await_startup", "--timeout", "90")

    def __exit__(self, *exc) -> None:
        pid_file = self.folder / "node.pid"
        try:
            pid = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            pid = None
        try:
            self.ctl("stop", *([str(pid_file)] if pid else []), timeout=60)  # with the pid file: waits for the OS process
        except (RuntimeError, subprocess.TimeoutExpired):
            pass
        try:  # the node did not stop: no leftover process (only if that pid is still this node)
            if pid and self.name in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
                os.kill(pid, signal.SIGKILL)
        except (OSError, ProcessLookupError):
            pass
        shutil.rmtree(self.folder, ignore_errors=True)


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own (initdb in a temporary folder, its own port), for
    the cases that restart the server: never the machine's shared one. Run as the ``postgres``
    user when the tests run as root (initdb refuses root)."""

    OPTIONS = STANDBY_OPTIONS = "-c fsync=off"

    def __init__(self) -> None:
        versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        self.bin = versions[-1].parent if versions else None
        self.port = free_port()
        self.folder: Path | None = None

    def _run(self, *args: str, timeout: float = 60) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if done.returncode:
            raise RuntimeError(f"{' '.join(command)}: {done.stdout}{done.stderr}")

    def __enter__(self) -> PrivatePostgres:
        if self.bin is None:
            raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql")
        self.folder = Path(tempfile.mkdtemp(prefix="fieldwork-pg-", dir="/tmp"))
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run("initdb", "-D", str(self.folder / "data"), "-A", "trust", "-U", "postgres", "--no-sync")
        self.start()
        return self

    def _options(self, port: int) -> str:
        options = self.OPTIONS if port == self.port else self.STANDBY_OPTIONS
        return f"-p {port} -k {self.folder} -c listen_addresses=127.0.0.1 {options}"

    def start(self, data: str = "data", port: int | None = None) -> None:
        self._run("pg_ctl", "-D", str(self.folder / data), "-l", str(self.folder / f"{data}.log"), "-w", "-o",
                  self._options(port or self.port), "start")

    def stop(self, data: str = "data", mode: str = "fast") -> None:
        """A fast shutdown: every client connection is closed, and none is taken until ``start``."""
        self._run("pg_ctl", "-D", str(self.folder / data), "-m", mode, "-w", "stop")

    def restart(self) -> None:
        """A fast restart: every client connection is closed by the server."""
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-l", str(self.folder / "data.log"), "-m", "fast", "-w",
                  "restart", "-o", self._options(self.port))

    def env(self) -> dict[str, str]:
        return {"FIELDWORK_STORE": "postgres", "POSTGRES_HOST": "127.0.0.1", "POSTGRES_PORT": str(self.port),
                "POSTGRES_DBNAME": "postgres", "POSTGRES_USER": "postgres", "POSTGRES_PASSWORD": ""}

    def _folders(self) -> list[str]:
        return ["data"]

    def __exit__(self, *exc) -> None:
        try:
            for data in self._folders():
                try:
                    self._run("pg_ctl", "-D", str(self.folder / data), "-m", "immediate", "-w", "stop")
                except RuntimeError:
                    pass  # not running (stopped by the test)
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


class PrivatePostgresPair(PrivatePostgres):
    """A primary and a standby streaming from it, of the test's own, for a failover: the
    standby is synchronous (a commit the primary acknowledged is on the standby too, as in a
    pair run for no loss), and ``fail_over`` crashes the primary and promotes the standby, as
    a failover manager (Patroni, repmgr, a managed service) would."""

    OPTIONS = "-c fsync=off -c wal_level=replica -c max_wal_senders=4 -c synchronous_standby_names='*'"
    # once promoted, alone: it waits for no standby of its own
    STANDBY_OPTIONS = "-c fsync=off -c wal_level=replica -c max_wal_senders=4"

    def __enter__(self) -> PrivatePostgresPair:
        super().__enter__()
        self.standby_port = free_port()
        self._run("pg_basebackup", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                  "-D", str(self.folder / "standby"), "-R", "-X", "stream", "--no-sync", timeout=120)
        self.start("standby", self.standby_port)
        return self

    def crash_primary(self) -> None:
        self.stop("data", mode="immediate")

    def promote_standby(self) -> None:
        self._run("pg_ctl", "-D", str(self.folder / "standby"), "-w", "promote")

    def env(self) -> dict[str, str]:
        """Both servers, the primary first: libpq connects to the one that takes writes."""
        return {**super().env(), "POSTGRES_HOST": "127.0.0.1,127.0.0.1",
                "POSTGRES_PORT": f"{self.port},{self.standby_port}"}

    def _folders(self) -> list[str]:
        return ["data", "standby"]


class MailServer:
    """A real SMTP server of the test's own (aiosmtpd) on a port of its own, that keeps what it
    accepted: each message's Message-ID, recipients and bytes. It can be stopped and started
    again on the same port (a mail server down), refuse some recipients for good (``refuse``:
    addresses answered 550) or for now (``defer``: 451), and offer STARTTLS with a login
    (``tls``: the tests' certificate, tests/certs; ``users``: name -> password)."""

    CERT = Path(__file__).parent / "certs" / "mail-test.crt"
    KEY = Path(__file__).parent / "certs" / "mail-test.key"

    def __init__(self, port: int | None = None, *, tls: bool = False, users: dict[str, str] | None = None) -> None:
        self.port = port or free_port()
        self.tls = tls
        self.users = users or {}
        self.refuse: set[str] = set()
        self.defer: set[str] = set()
        self.messages: list[dict] = []
        self.lock = threading.Lock()
        self.controller = None

    @property
    def url(self) -> str:
        if self.users:
            user = next(iter(self.users))
            return f"smtp+starttls://{user}@127.0.0.1:{self.port}"
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> MailServer:
        import ssl
        from email import message_from_bytes

        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        server = self

        class Handler:
            async def handle_RCPT(self, smtp, session, envelope, address, rcpt_options):
                if address in server.refuse:
                    return "550 5.1.1 <%s>: Recipient address rejected" % address
                if address in server.defer:
                    return "451 4.3.0 <%s>: try again later" % address
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, smtp, session, envelope):
                parsed = message_from_bytes(envelope.content)
                with server.lock:
                    server.messages.append({"message_id": parsed["Message-ID"], "to": list(envelope.rcpt_tos),
                                            "subject": parsed["Subject"], "notice": parsed["X-Fieldwork-Notice"],
                                            "content": envelope.content, "tls": session.ssl is not None,
                                            "login": getattr(session, "login_data", None)})
                return "250 2.0.0 Ok: queued"

        def authenticate(smtp, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and server.users.get(auth_data.login.decode()) == \
                auth_data.password.decode()
            return AuthResult(success=ok, handled=False)

        kwargs = {}
        if self.tls:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(self.CERT), str(self.KEY))
            kwargs.update(tls_context=context, require_starttls=True)
        if self.users:
            kwargs.update(authenticator=authenticate, auth_required=True)
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, **kwargs)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def __enter__(self) -> MailServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def by_message_id(self) -> dict[str, int]:
        """How often each Message-ID arrived."""
        counts: dict[str, int] = {}
        with self.lock:
            for message in self.messages:
                counts[message["message_id"]] = counts.get(message["message_id"], 0) + 1
        return counts


COUNCIL = ("KEN", "FRA", "GBR", "USA", "CHN", "RUS", "BRA", "JPN", "IND", "MEX", "NOR", "GHA", "PER", "ARE", "ALB")


def list_delegations(notifications: ServiceProcess, states=COUNCIL, since: str = "2024-01-01") -> None:
    """Council delegations (of both Committees) in the directory of a running notifications
    service, one address each."""
    for state in states:
        answer = notifications.post("/contacts", {
            "role": "delegation", "committee": "both", "name": f"Permanent Mission {state}",
            "email": f"{state.lower()}@missions.example.org", "member_state": state, "since": since})
        assert answer.status_code == 201, answer.text
