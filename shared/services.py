"""The services of the system, as each declares itself: its manifest (name, default address,
the exchange its events go out on, the role the CLI acts in, its command tables, its CLI
commands, its API description). They are found through the package's entry points (group ``fieldwork.services``,
``pyproject.toml``), so that the shared code (the supervisor, the CLI, the OpenAPI assembly,
the console's pass-through, the demo) iterates over them and imports none."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.metadata import entry_points
from typing import Any

from shared.messaging.topology import PROJECT_ROOT

GROUP = "fieldwork.services"


@dataclass(frozen=True)
class Manifest:
    name: str  # its package, its folder under services/, its CLI's and its console path's name
    address: str  # its default HTTP address (<NAME>_HTTP_ADDRESS overrides it)
    order: int  # where it comes among the services: started, listed, checked in this order
    exchange: str | None = None  # the exchange its events go out on (None: it publishes none)
    default_role: str | None = None  # the role the CLI acts in with it (FIELDWORK_ROLE overrides)
    commands: Callable[[], Sequence[Any]] | None = None  # its command tables (shared.commands), loaded when asked
    cli: Callable[[], Sequence[Any]] | None = None  # its ``fieldwork`` command groups (click), likewise
    api: Callable[[], Any] | None = None  # its OpenAPI description (shared.openapi.Description), likewise
    behind_console: bool = True  # the console passes /api/<name>/... through to it

    @property
    def module(self) -> str:
        """The module nameko runs."""
        return f"{self.name}.service"

    @property
    def config(self):
        return PROJECT_ROOT / "services" / self.name / "config.yml"


@cache
def manifests() -> tuple[Manifest, ...]:
    """Every installed service's manifest, in their order."""
    found = [point.load() for point in entry_points(group=GROUP)]
    if not found:
        raise RuntimeError(f"no fieldwork service is installed (entry points {GROUP!r}): install the project "
                           "(bash deploy/local/setup.sh, or pip install -e .)")
    return tuple(sorted(found, key=lambda m: m.order))


def manifest(name: str) -> Manifest:
    for found in manifests():
        if found.name == name:
            return found
    raise KeyError(f"no service {name!r}; one of {', '.join(names())}")


def names(*, behind_console: bool | None = None) -> list[str]:
    """The services' names (those the console passes through to, or not, if asked)."""
    return [m.name for m in manifests() if behind_console is None or m.behind_console == behind_console]
