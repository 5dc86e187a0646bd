"""The projection's ``VERSION`` follows the code it depends on: the fold (``records.py``, and the
directory of organizations it names them by, ``shared.contract.organizations``), the day index
(``reports.calendar_of``) and the projection's own tables (the statements that make
them, in ``Projection.__init__``).
Their fingerprint (the code's syntax tree, docstrings and comments left out) is recorded for
each version in ``projection.FINGERPRINTS``; a change to that code without a new version fails
here, so a store built by the old code is not taken for one of the new (it is rebuilt when the
service opens it)."""
from __future__ import annotations

import ast
import hashlib
import inspect
import textwrap

from reporting import projection, records, reports
from shared.contract import organizations


def _without_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            node.body = body[1:] or [ast.Pass()]
    return tree


def tables() -> list[str]:
    """The text of the statements that make the projection's tables and indexes (the constant
    parts of the SQL strings in ``Projection.__init__``): what else ``__init__`` does is no
    change of the tables."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(projection.Projection.__init__)))
    statements = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], (ast.JoinedStr, ast.Constant)):
            parts = node.args[0].values if isinstance(node.args[0], ast.JoinedStr) else [node.args[0]]
            text = "".join(p.value for p in parts if isinstance(p, ast.Constant) and isinstance(p.value, str))
            if text.lstrip().startswith(("CREATE", "DROP")):
                statements.append(text)
    return statements


def fingerprint() -> str:
    sources = [inspect.getsource(records), inspect.getsource(reports.calendar_of), inspect.getsource(organizations)]
    trees = [ast.dump(_without_docstrings(ast.parse(textwrap.dedent(source)))) for source in sources]
    return hashlib.sha256("\n".join(trees + tables()).encode()).hexdigest()[:16]


def test_the_projection_s_version_is_the_one_its_code_was_recorded_with():
    assert projection.FINGERPRINTS.get(projection.VERSION) == fingerprint(), (
        f"the fold, the day index or the projection's tables changed (fingerprint {fingerprint()}): "
        f"make VERSION {projection.VERSION + 1} in reporting/projection.py and record "
        f"FINGERPRINTS[{projection.VERSION + 1}] = {fingerprint()!r}")


def test_each_version_has_a_fingerprint_of_its_own_and_the_newest_is_the_version():
    assert max(projection.FINGERPRINTS) == projection.VERSION
    assert len(set(projection.FINGERPRINTS.values())) == len(projection.FINGERPRINTS)


def test_the_reader_finds_the_tables():
    assert len(tables()) >= 8 and any("positions TEXT NOT NULL" in t for t in tables())


def test_a_comment_or_a_docstring_is_no_change_but_code_is():
    tree = ast.parse('def f(x):\n    """what f is"""\n    return x  # a comment\n')
    same = ast.parse("def f(x):\n    return x\n")
    other = ast.parse("def f(x):\n    return x + 1\n")
    assert ast.dump(_without_docstrings(tree)) == ast.dump(_without_docstrings(same)) != ast.dump(other)
