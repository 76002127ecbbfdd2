"""One exception type per user-visible failure, mapped once to a CLI exit code and an HTTP status."""

from __future__ import annotations

from dataclasses import dataclass

RETRY_AFTER_S = 5  # what a 503 tells a client to wait before asking again


class DownlineError(Exception):
    """Base of every failure a user sees; `exit_code` for the CLI, `http_status` for the API."""

    exit_code = 1
    http_status = 500
    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SetupError(DownlineError):
    """Something the local server needs is missing or broken (Java, Maven, a port, a log line)."""

    code = "setup"


class DatabaseUnavailable(DownlineError):
    exit_code = 3
    http_status = 503
    code = "database_unavailable"
    headers = {"Retry-After": str(RETRY_AFTER_S)}  # noqa: RUF012  (read only)


class NotFound(DownlineError):
    exit_code = 4
    http_status = 404
    code = "not_found"


class BadRequest(DownlineError):
    """A malformed argument (period, paging, ...)."""

    exit_code = 2
    http_status = 422
    code = "bad_request"


@dataclass(frozen=True, slots=True)
class Problem:
    """One located input problem: file, line (1-based, header is line 1), column and reason."""

    file: str
    line: int | None
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        if self.column:
            where += f" [{self.column}]"
        return f"{where}: {self.reason}"

    def as_dict(self) -> dict[str, str | int | None]:
        return {"file": self.file, "line": self.line, "column": self.column, "reason": self.reason}


class InvalidInput(DownlineError):
    """An import (or plan) was refused; nothing was written. Carries every problem found."""

    exit_code = 2
    http_status = 422
    code = "invalid_input"

    def __init__(self, problems: list[Problem], total: int | None = None) -> None:
        # in reading order: file by file (as first met), then line
        files = {p.file: i for i, p in reversed(list(enumerate(problems)))}
        self.problems = sorted(problems, key=lambda p: (files[p.file], p.line or 0))
        self.total = total if total is not None else len(problems)
        head = f"{self.total} problem(s) found; nothing was written"
        super().__init__(head)
