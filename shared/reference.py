"""The reference parts of the API docs, written from the code: each service's table of HTTP
routes (from its service class and its OpenAPI description: the route, who may call it, what it
takes, what it answers) and the table of its commands (from its command tables: the command,
what it does, who may run it, the fields it takes). The prose around them stays prose; each
route and command has its own section there, which the tables link to.

    python -m shared.reference            # rewrite the generated tables in the docs
    python -m shared.reference --check    # exit 1 if a doc's tables differ from the code

A doc holds each table between two markers, ``<!-- generated: NAME ... -->`` and
``<!-- end of generated: NAME -->``; a doc that lacks the markers of a table is an error.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from shared.messaging.topology import PROJECT_ROOT
from shared.services import manifests

REGENERATE = "python -m shared.reference"
BEGIN = "<!-- generated: {name} by `" + REGENERATE + "` from the code; do not edit by hand -->"
END = "<!-- end of generated: {name} -->"
COMMON_FIELDS = ("occurred_at", "expected_version")


def anchor(title: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation but ``-`` and ``_`` dropped,
    spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


def _roles(roles: tuple[str, ...]) -> str:
    return ", ".join(f"`{r}`" for r in roles) if roles else "public (no token)"


def _step_roles(table) -> str:
    """Who may run a table's steps: the roles most of them take, and each exception."""
    by_roles: dict[tuple[str, ...], list[str]] = {}
    for command in table.steps.values():
        by_roles.setdefault(command.roles, []).append(command.name)
    usual = max(by_roles, key=lambda roles: len(by_roles[roles]))
    text = _roles(usual)
    for roles, names in by_roles.items():
        if roles != usual:
            text += "; " + ", ".join(f"`{n}`" for n in names) + ": " + _roles(roles) + " only"
    return text


def routes_table(service: str) -> list[str]:
    """Every HTTP route of the service: who may call it, what it takes, what it answers."""
    from shared.openapi import DESCRIPTIONS, build, routes_of, service_class_of

    describe = DESCRIPTIONS[service]()
    document = build(service)
    commands = describe.commands()
    rows = []
    for route in routes_of(service_class_of(describe)):
        title = f"{route.method} {route.path}"
        table = commands.get(route.key)
        if table is not None:
            roles, takes = _step_roles(table), "JSON body: the [command](#lifecycle-commands)'s fields"
            success = "`200` JSON"
        else:
            operation = document["paths"][route.path][route.method.lower()]
            roles = _roles(route.roles)
            takes = _takes(operation)
            success = _success(operation)
        rows.append(f"| [`{title}`](#{anchor(f'`{title}`')}) | {roles} | {takes} | {success} |")
    return ["| route | roles | takes | answers |", "| --- | --- | --- | --- |", *rows]


def _takes(operation: dict) -> str:
    query = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
    if "requestBody" in operation:
        return "JSON body"
    if query:
        return "query " + ", ".join(f"`{name}`" for name in query)
    return "-"


def _success(operation: dict) -> str:
    answers = []
    for status in sorted(operation["responses"]):
        if not status.startswith(("2", "503")):
            continue
        media = list(operation["responses"][status].get("content", {}))
        kinds = ", ".join("JSON" if m == "application/json" else f"`{m}`" for m in media)
        answers.append(f"`{status}` {kinds}".strip())
    return " / ".join(answers)


def commands_table(table) -> list[str]:
    """Each step of one command table: what it does, who may run it, its own fields (a `*`
    marks a required one; every step also takes the common fields)."""
    rows = []
    for command in table.steps.values():
        fields = [f"`{name}`" + ("*" if field.required else "") for name, field in command.input.fields.items()
                  if name not in COMMON_FIELDS]
        rows.append(f"| [`{command.name}`](#{anchor(f'`{command.name}`')}) | {command.help} | {_roles(command.roles)} "
                    f"| {', '.join(fields) or '-'} |")
    return ["| command | what it does | roles | its own fields (`*`: required) |", "| --- | --- | --- | --- |", *rows]


def blocks() -> dict[Path, dict[str, list[str]]]:
    """Each doc and the tables it holds, by name."""
    found: dict[Path, dict[str, list[str]]] = {}
    for manifest in manifests():
        if manifest.api is None:
            continue
        describe = manifest.api()
        tables = found.setdefault(PROJECT_ROOT / describe.reference, {})
        tables[f"routes of {manifest.name}"] = routes_table(manifest.name)
        for table in describe.tables:
            if len(table.steps) > 1:  # a table of one step (assign-chair) is its route's section
                tables[f"{table.kind} commands"] = commands_table(table)
    return found


def render(text: str, tables: dict[str, list[str]], where: str = "the doc") -> str:
    """``text`` with each table put between its markers."""
    for name, lines in tables.items():
        begin, end = BEGIN.format(name=name), END.format(name=name)
        if text.count(begin) != 1 or text.count(end) != 1:
            raise KeyError(f"{where} needs the markers of the table {name!r} once each:\n{begin}\n{end}")
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        text = head + begin + "\n" + "\n".join(lines) + "\n" + end + tail
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=REGENERATE, description="Write the docs' generated tables from the code.")
    parser.add_argument("--check", action="store_true", help="exit 1 if a doc differs from the code")
    args = parser.parse_args(argv)
    stale = []
    for path, tables in blocks().items():
        current = path.read_text(encoding="utf-8")
        rendered = render(current, tables, str(path.relative_to(PROJECT_ROOT)))
        if rendered != current:
            stale.append(path)
            if not args.check:
                path.write_text(rendered, encoding="utf-8")
    if args.check and stale:
        for path in stale:
            print(f"{path.relative_to(PROJECT_ROOT)} is out of date with the code; run `{REGENERATE}`", file=sys.stderr)
        return 1
    for path in stale if not args.check else ():
        print(f"wrote {path.relative_to(PROJECT_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
