"""Ad hoc read-only Cypher for analysts: checked before it runs, then run in a READ transaction.

Two walls, so that one mistake does not let a write through:

1. Before anything runs, the text is read (statements, `USE`, `EXPLAIN`/`PROFILE`) and then
   planned with `EXPLAIN`, which executes nothing. The plan says what the query would do: its
   `query_type` must be `r` (read only), and no operator may load files or URLs (`LoadCSV`), commit
   on its own (`CALL {...} IN TRANSACTIONS`), administer the server (`AdministrationCommand`,
   `SHOW USERS/SETTINGS/TRANSACTIONS`, `TERMINATE TRANSACTIONS`), read another database (every
   operator names its database, `Expand@neo4j`), call a procedure outside ALLOWED_PROCEDURES, or
   call a function that runs Cypher of its own (`apoc.cypher.*`, see DENIED_FUNCTION_NAMESPACES),
   which would get around every check here.
2. The query then runs in a READ transaction (the server refuses any write in it) with a timeout
   that the server enforces; rows are fetched up to `max_rows` and the transaction is rolled back.

Parameters only: the query text is sent as is and values travel as parameters, never spliced in.
Values come back JSON-safe (see `json_safe`). Nothing here depends on FastAPI: the route, the CLI
and the tests call `run_adhoc`.
"""

from __future__ import annotations

import base64
import math
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import neo4j
from neo4j import Driver
from neo4j.exceptions import ClientError, Neo4jError
from neo4j.graph import Node, Path, Relationship
from neo4j.spatial import Point

from graph_service.errors import BadRequest, DownlineError

MAX_QUERY_CHARS = 20_000
MAX_TIMEOUT_S = 600.0
MAX_ROWS = 1_000_000
MAX_PARAM_DEPTH = 32
INT64 = 2**63

# Read-only catalogue procedures an analyst needs to find their way around the graph.
ALLOWED_PROCEDURES = frozenset(
    {"db.labels", "db.relationshipTypes", "db.propertyKeys", "db.schema.visualization"}
)
# SHOW commands that describe this database's schema (read only, nothing about users, settings
# or other people's transactions).
ALLOWED_COMMANDS = frozenset({"ShowIndexes", "ShowConstraints", "ShowProcedures", "ShowFunctions"})
# Functions that run Cypher, or read files and URLs, of their own: they would bypass the plan check.
DENIED_FUNCTION_NAMESPACES = ("apoc.cypher.", "apoc.load.", "apoc.import.", "apoc.export.", "apoc.xml.")
REFUSED_OPERATORS = {
    "LoadCSV": "LOAD CSV reads files and URLs from the server; it is not allowed here",
    "TransactionApply": "CALL { ... } IN TRANSACTIONS commits on its own; it is not allowed here",
    "TransactionForeach": "CALL { ... } IN TRANSACTIONS commits on its own; it is not allowed here",
    "AdministrationCommand": "administration commands (users, roles, databases) are not allowed here",
}
_EXPLAIN = "EXPLAIN "
_POSITION = re.compile(r"\(line (\d+), column (\d+) \(offset: (\d+)\)\)")
_CALLED = re.compile(r"(?<![\w$`.])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)\s*\(")


class QueryRefused(BadRequest):
    """An ad hoc query that would write, administer, load or leave this database: not run."""

    code = "query_refused"


class QueryTimeout(DownlineError):
    """The server stopped an ad hoc query at its time limit (the client's to fix: a 422)."""

    exit_code = 2
    http_status = 422
    code = "query_timeout"


@dataclass(frozen=True)
class AdhocResult:
    columns: list[str]
    rows: list[list[Any]]  # JSON-safe values, see json_safe
    truncated: bool  # more rows existed than max_rows
    elapsed_ms: float  # the whole call: checks, plan, run and fetch

    def to_json(self) -> dict[str, Any]:
        return {
            "columns": list(self.columns),
            "rows": [list(r) for r in self.rows],
            "truncated": self.truncated,
            "elapsed_ms": self.elapsed_ms,
        }


def run_adhoc(
    driver: Driver,
    database: str,
    query: str,
    params: dict[str, Any] | None,
    *,
    timeout_s: float = 10.0,
    max_rows: int = 10_000,
) -> AdhocResult:
    """Run one read-only Cypher statement for an analyst.

    QueryRefused (a BadRequest: exit 2 / HTTP 422) when it would do anything but read this
    database, BadRequest with Neo4j's own message for a syntax or runtime error, QueryTimeout when
    the server stops it after `timeout_s` seconds. At most `max_rows` rows come back
    (`truncated` says whether there were more).
    """
    began = time.perf_counter()
    if not isinstance(query, str) or not query.strip():
        raise BadRequest("the query is empty")
    if len(query) > MAX_QUERY_CHARS:
        raise QueryRefused(f"the query has {len(query)} characters; at most {MAX_QUERY_CHARS} are allowed")
    if not 0 < timeout_s <= MAX_TIMEOUT_S:
        raise BadRequest(f"timeout_s must be more than 0 and at most {MAX_TIMEOUT_S:g} seconds")
    if not 1 <= max_rows <= MAX_ROWS:
        raise BadRequest(f"max_rows must be between 1 and {MAX_ROWS}")
    values = check_params(params)
    text = check_text(query, database)

    with driver.session(database=database, default_access_mode=neo4j.READ_ACCESS) as session:
        try:
            with session.begin_transaction(timeout=timeout_s) as tx:
                summary = tx.run(_EXPLAIN + text, values).consume()
        except ClientError as exc:
            raise _client_error(exc, explained=True) from None
        check_plan(summary.query_type, summary.plan, database)
        try:
            with session.begin_transaction(timeout=timeout_s) as tx:
                result = tx.run(text, values)
                columns = list(result.keys())
                rows: list[list[Any]] = []
                for record in result:
                    rows.append([json_safe(v) for v in record.values()])
                    if len(rows) >= max_rows:
                        break
                truncated = len(rows) >= max_rows and result.peek() is not None
                tx.rollback()  # read only: nothing to keep
        except ClientError as exc:
            raise _client_error(exc, explained=False) from None
    return AdhocResult(columns, rows, truncated, (time.perf_counter() - began) * 1000.0)


# -- parameters -------------------------------------------------------------------------------


def check_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """The parameters, if they are JSON: null, booleans, 64-bit integers, finite floats, strings,
    lists and maps with string keys (nested at most MAX_PARAM_DEPTH deep)."""
    if params is None:
        return {}
    if not isinstance(params, Mapping):
        raise BadRequest("params must be a JSON object (a map of names to values)")
    for name, value in params.items():
        if not isinstance(name, str) or not name:
            raise BadRequest("parameter names must be non-empty strings")
        _check_value(value, f"${name}", 0)
    return dict(params)


def _check_value(value: Any, where: str, depth: int) -> None:
    if depth > MAX_PARAM_DEPTH:
        raise BadRequest(f"parameter {where} is nested more than {MAX_PARAM_DEPTH} levels deep")
    if value is None or isinstance(value, bool | str):
        return
    if isinstance(value, int):
        if not -INT64 <= value < INT64:
            raise BadRequest(f"parameter {where} is an integer beyond 64 bits")
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise BadRequest(f"parameter {where} is not a finite number")
        return
    if isinstance(value, list):
        for i, item in enumerate(value):
            _check_value(item, f"{where}[{i}]", depth + 1)
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise BadRequest(f"parameter {where} has a key that is not a string")
            _check_value(item, f"{where}.{key}", depth + 1)
        return
    raise BadRequest(
        f"parameter {where} is a {type(value).__name__}; only JSON values (null, booleans, numbers, "
        "strings, lists and maps) are allowed"
    )


# -- the text ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    kind: str  # word, name (backticked), string, number, punct
    text: str

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.upper() in words


def tokens(text: str) -> Iterator[Token]:
    """Cypher's tokens, enough to tell statements, keywords and names apart: comments are
    skipped, strings and backticked names are single tokens (an unterminated one runs to the end,
    the server then reports the syntax error)."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif c in "'\"":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            yield Token("string", text[i + 1 : min(j, n)])
            i = j + 1
        elif c == "`":
            j, name = i + 1, []
            while j < n:
                if text[j] == "`":
                    if text.startswith("``", j):
                        name.append("`")
                        j += 2
                        continue
                    break
                name.append(text[j])
                j += 1
            yield Token("name", "".join(name))
            i = j + 1
        elif c.isalpha() or c == "_":
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            yield Token("word", text[i:j])
            i = j
        elif c.isdigit():
            j = i + 1
            while j < n and (text[j].isalnum() or (text[j] == "." and j + 1 < n and text[j + 1].isdigit())):
                j += 1
            yield Token("number", text[i:j])
            i = j
        else:
            yield Token("punct", c)
            i += 1


def statements(text: str) -> list[list[Token]]:
    """The statements of a text (split on `;` outside strings and comments), empty ones dropped."""
    out: list[list[Token]] = [[]]
    for token in tokens(text):
        if token.kind == "punct" and token.text == ";":
            out.append([])
        else:
            out[-1].append(token)
    return [s for s in out if s]


def _body_start(statement: list[Token]) -> int:
    """Index of the first token after a `CYPHER [version] [option=value ...]` prefix."""
    i = 0
    if statement and statement[0].is_word("CYPHER"):
        i = 1
        if i < len(statement) and statement[i].kind == "number":
            i += 1
        while (
            i + 2 < len(statement)
            and statement[i + 1].kind == "punct"
            and statement[i + 1].text == "="
            and statement[i].kind == "word"
        ):
            i += 3
    return i


def check_text(query: str, database: str) -> str:
    """Checks that need only the text: one statement, no EXPLAIN/PROFILE, no USE of another
    database. Returns the text to run (as sent: the server accepts one trailing `;`)."""
    found = statements(query)
    if not found:
        raise BadRequest("the query is empty (only comments)")
    if len(found) > 1:
        raise QueryRefused(f"send one statement at a time (found {len(found)}, separated by ';')")
    statement = found[0]
    start = _body_start(statement)
    if start < len(statement) and statement[start].is_word("EXPLAIN", "PROFILE"):
        raise QueryRefused(f"{statement[start].text.upper()} is not offered here: send the query itself")
    for i, token in enumerate(statement):
        before = statement[i - 1] if i > 0 else None
        at_clause_start = (
            i == start
            or (before is not None and before.kind == "punct" and before.text == "{")
            or (before is not None and before.is_word("UNION", "ALL", "DISTINCT"))
        )
        if not (at_clause_start and token.is_word("USE")):
            continue
        graph = _graph_name(statement, i + 1)
        if graph is None:
            continue  # `use` as a variable, e.g. `{use: 1}`; the server decides
        if graph.lower() != database.lower():
            raise QueryRefused(f"USE {graph}: queries run on the {database!r} database only")
    return query


def _graph_name(statement: list[Token], i: int) -> str | None:
    """The (possibly dotted) graph name after USE, or None when no name follows; a graph
    function (`graph.byName(...)`) gets the name '<function ...>'."""
    parts: list[str] = []
    while i < len(statement) and statement[i].kind in ("word", "name"):
        parts.append(statement[i].text)
        i += 1
        if i < len(statement) and statement[i].kind == "punct" and statement[i].text == ".":
            i += 1
            continue
        break
    if not parts:
        return None
    name = ".".join(parts)
    if i < len(statement) and statement[i].kind == "punct" and statement[i].text == "(":
        return f"<function {name}(...)>"
    return name


# -- the plan ---------------------------------------------------------------------------------


def _operators(plan: Mapping[str, Any] | None) -> Iterator[tuple[str, str, str]]:
    """(operator, database, details) of every operator of an EXPLAIN plan."""
    if not plan:
        return
    operator, _, db = str(plan.get("operatorType", "")).partition("@")
    args = plan.get("args") or {}
    yield operator, db, str(args.get("Details") or "")
    for child in plan.get("children") or []:
        yield from _operators(child)


def check_plan(query_type: str | None, plan: Mapping[str, Any] | None, database: str) -> None:
    """Refuse what the EXPLAIN plan shows the query would do beyond reading this database."""
    for operator, db, details in _operators(plan):
        if operator in REFUSED_OPERATORS:
            raise QueryRefused(REFUSED_OPERATORS[operator])
        if db and db.lower() != database.lower():
            raise QueryRefused(f"the query reads the {db!r} database; queries run on {database!r} only")
        if operator.startswith(("Show", "Terminate")) and operator not in ALLOWED_COMMANDS:
            raise QueryRefused(
                f"{_spaced(operator)} is an administration command; only SHOW INDEXES, SHOW "
                "CONSTRAINTS, SHOW PROCEDURES and SHOW FUNCTIONS are allowed"
            )
        if operator == "ProcedureCall":
            name = details.split("(", 1)[0].strip().strip("`")
            if name not in ALLOWED_PROCEDURES:
                allowed = ", ".join(sorted(ALLOWED_PROCEDURES))
                raise QueryRefused(f"procedure {name} is not allowed here; allowed: {allowed}")
        for called in _CALLED.findall(details):
            if called.lower().startswith(DENIED_FUNCTION_NAMESPACES):
                raise QueryRefused(f"function {called} runs queries or reads files of its own; not allowed")
    # after the operators, which name the reason more precisely (a procedure, LOAD CSV, ...)
    if query_type != "r":
        what = {
            "w": "writes to the database",
            "rw": "writes to the database",
            "s": "changes the schema or administers the server",
        }.get(query_type or "", f"is not read only (query type {query_type!r})")
        raise QueryRefused(f"the query {what}; only read-only queries are allowed")
    if not plan:
        raise QueryRefused("the server gave no plan for this query, so it cannot be checked")


def _spaced(operator: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", " ", operator).upper()


# -- errors -----------------------------------------------------------------------------------


def _client_error(exc: ClientError, *, explained: bool) -> DownlineError:
    code = exc.code or ""
    message = _message(exc, explained=explained)
    if "TransactionTimedOut" in code:
        return QueryTimeout(f"the query did not finish within its time limit and was stopped: {message}")
    if code.endswith("Statement.AccessMode") or code.startswith("Neo.ClientError.Security."):
        return QueryRefused(f"the server refused the query: {message}")
    if code.endswith("UnsupportedAdministrationCommand"):
        return QueryRefused("administration commands are not allowed here")
    if "exactly one statement" in message:
        return QueryRefused("send one statement at a time")
    return BadRequest(message)


def _message(exc: Neo4jError, *, explained: bool) -> str:
    """Neo4j's message, positions as in the analyst's text (without the EXPLAIN we added)."""
    message = str(exc.message or exc)
    if not explained:
        return message
    shift = len(_EXPLAIN)
    first_line = False

    def fix(m: re.Match[str]) -> str:
        nonlocal first_line
        line, column, offset = int(m[1]), int(m[2]), int(m[3])
        first_line = line == 1
        if first_line:
            column -= shift
        return f"(line {line}, column {max(column, 1)} (offset: {max(offset - shift, 0)}))"

    message = _POSITION.sub(fix, message)
    lines = message.split("\n")
    for j, text in enumerate(lines):
        if text.startswith('"' + _EXPLAIN):
            lines[j] = '"' + text[1 + shift :]
            if first_line and j + 1 < len(lines) and lines[j + 1].strip() == "^":
                lines[j + 1] = lines[j + 1][shift:]
    return "\n".join(lines)


# -- values -----------------------------------------------------------------------------------


def json_safe(value: Any) -> Any:
    """A value as JSON can carry it: temporal values as ISO 8601 strings, nodes as {"labels",
    "properties"}, relationships as {"type", "properties"}, paths as their list of nodes, points as
    {"srid", "coordinates"}, byte arrays as base64 text, NaN and infinities as strings."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    iso = getattr(value, "iso_format", None)  # neo4j.time: Date, Time, DateTime, Duration (a tuple)
    if callable(iso):
        return str(iso())
    if isinstance(value, Node):
        return {"labels": sorted(value.labels), "properties": _props(value.items())}
    if isinstance(value, Relationship):
        return {"type": value.type, "properties": _props(value.items())}
    if isinstance(value, Path):
        return [json_safe(node) for node in value.nodes]
    if isinstance(value, Point):
        return {"srid": value.srid, "coordinates": [json_safe(float(c)) for c in value]}
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    isoformat = getattr(value, "isoformat", None)  # datetime.* should the driver hand them out
    if callable(isoformat):
        return str(isoformat())
    return str(value)


def _props(items: Any) -> dict[str, Any]:
    return {str(k): json_safe(v) for k, v in items}
