"""The reference tables of the API docs (every route with its roles, what it takes and answers;
every command with what it does, its roles and fields) are written from the code
(``shared.reference``): a route, a command or a role changed in the code and not in the docs
fails here, with the command that mends it."""
from __future__ import annotations

import pytest

from shared import reference


def test_the_docs_reference_tables_are_those_the_code_gives():
    assert reference.main(["--check"]) == 0, f"run `{reference.REGENERATE}`"


def test_every_service_with_an_api_has_its_routes_table_and_each_command_table_its_place():
    tables = {name for found in reference.blocks().values() for name in found}
    assert {"routes of visits", "routes of meetings", "routes of reporting", "visit commands",
            "meeting commands"} <= tables


def test_a_table_changed_by_hand_is_found_stale(tmp_path):
    [(path, tables)] = [(p, t) for p, t in reference.blocks().items() if p.name == "api.md"]
    text = path.read_text(encoding="utf-8")
    edited = text.replace("| `visit_coordinator`, `administrator` |", "| `secretariat` |", 1)
    assert edited != text
    assert reference.render(edited, tables) == text


def test_a_doc_without_the_markers_of_a_table_is_an_error():
    with pytest.raises(KeyError, match="routes of visits"):
        reference.render("# a doc with no tables\n", {"routes of visits": ["| route |"]})
