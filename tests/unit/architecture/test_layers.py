"""The layers hold: the shared library imports no service (it finds them by their manifests,
``shared.services``), and domain code imports no framework. Read from the code's own imports
(every ``import`` and ``from``, at any depth: an import inside a function counts)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from shared.services import manifests

ROOT = Path(__file__).resolve().parents[3]
FRAMEWORKS = {"nameko", "kombu", "pika", "marshmallow", "werkzeug", "eventlet"}
# domain code: each service's domain package, the reporting service's fold and reports, and
# the building blocks every domain uses
DOMAIN = [*ROOT.glob("services/*/*/domain/**/*.py"), ROOT / "services/reporting/reporting/records.py",
          ROOT / "services/reporting/reporting/reports.py", ROOT / "shared/domain.py"]


def imported(path: Path) -> set[str]:
    """The top-level packages a module imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_the_readers_find_what_is_there():
    # a reader that found nothing would let the tests below pass
    assert {m.name for m in manifests()} == {"visits", "meetings", "reporting", "notifications", "console"}
    assert "shared" in imported(ROOT / "services/visits/visits/manifest.py")
    assert "eventsourcing" in imported(ROOT / "services/meetings/meetings/domain/model.py")
    assert len(DOMAIN) >= 6 and all(path.exists() for path in DOMAIN)


@pytest.mark.parametrize("path", sorted((ROOT / "shared").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_shared_library_imports_no_service(path):
    services = {m.name for m in manifests()}
    assert not imported(path) & services, f"{path.relative_to(ROOT)} imports {sorted(imported(path) & services)}"


@pytest.mark.parametrize("path", sorted(DOMAIN), ids=lambda p: str(p.relative_to(ROOT)))
def test_domain_code_imports_no_framework(path):
    assert not imported(path) & FRAMEWORKS, f"{path.relative_to(ROOT)} imports {sorted(imported(path) & FRAMEWORKS)}"


def test_a_service_on_sqlite_loads_nothing_of_postgresql():
    """The library's PostgreSQL module and psycopg cost a service about 9 MB: a service on its
    default SQLite store imports neither (measured: 64 MB with them, 55 without)."""
    import subprocess
    import sys

    probe = ("import sys, tempfile; import visits.service, meetings.service, reporting.service, notifications.service; "
             "from shared.store import StoreSettings; from reporting.application import ReportingApplication; "
             "ReportingApplication(env=StoreSettings(data_dir=tempfile.mkdtemp()).environment('reporting')); "
             "print(sorted(m for m in ('psycopg', 'psycopg_pool', 'eventsourcing.postgres') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-W", "ignore", "-c", probe], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]", loaded.stdout + loaded.stderr


def test_each_service_module_holds_one_nameko_service():
    """``nameko run <name>.service`` runs every class of the module that has entrypoints: a base
    class imported by name (``FieldworkService``) would run as a second service on the same
    address, its routes answering in place of the real ones."""
    from nameko.cli.run import import_service

    from shared.services import manifests

    for manifest in manifests():
        found = import_service(manifest.module)
        assert [cls.name for cls in found] == [manifest.name], (manifest.module, found)
