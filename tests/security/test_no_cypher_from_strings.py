"""No Cypher is built from strings: every statement the product sends is a `.cypher` file's text
(graph_service/db/queries.py `cypher(name)`) or a constant, with values passed as parameters.
Read from the source (AST): a query argument made with an f-string, `%`, `+` or `.format()`
anywhere in graph_service or dashboards fails this test."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.helpers import REPO

SENDERS = {"run", "execute_query", "execute_read", "execute_write", "Query"}
# the one place a query is text from outside: ad hoc Cypher, an analyst's own statement behind
# "EXPLAIN " to read its plan before it runs (api/adhoc.py: refused unless read-only and allowed)
ALLOWED = ("adhoc.py", "tx.run(_EXPLAIN + text, values)")


def _built(node: ast.expr) -> bool:
    if isinstance(node, ast.JoinedStr) and any(isinstance(v, ast.FormattedValue) for v in node.values):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        return True
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"


def _offences(path: Path) -> list[str]:
    """file:line of every query sent with a text built from strings."""
    found = []
    source = path.read_text()
    lines = source.splitlines()
    for node in ast.walk(ast.parse(source, str(path))):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        allowed = path.name == ALLOWED[0] and ALLOWED[1] in lines[node.lineno - 1]
        if name in SENDERS and _built(node.args[0]) and not allowed:
            found.append(f"{path.name}:{node.lineno}")
    return found


def test_no_query_is_built_from_strings() -> None:
    files = sorted((REPO / "graph_service").rglob("*.py")) + sorted((REPO / "dashboards").rglob("*.py"))
    assert len(files) > 40
    assert [o for f in files for o in _offences(f)] == []


def test_the_check_catches_what_it_is_for(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "def f(s, who):\n"
        "    s.run(f'MATCH (d {{id: \"{who}\"}}) RETURN d')\n"
        "    s.run('MATCH (d) WHERE d.id = ' + who)\n"
        "    s.execute_query('MATCH (d) WHERE d.id = {}'.format(who))\n"
        "    s.run('RETURN 1')\n"
    )
    assert _offences(bad) == ["bad.py:2", "bad.py:3", "bad.py:4"]
