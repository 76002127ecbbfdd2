"""The reliability and security suites (issue 9) run long, and their figures written to
benchmarks/RESULTS.md: inputs tried, faults injected, requests served, errors.

`make soak` runs `python -m benchmarks.reliability`: pytest over tests/reliability, tests/security,
the schemathesis suite and the ad hoc Cypher suite with `DOWNLINE_SOAK_REPEATS` (default 25) and
`DOWNLINE_RELIABILITY_TALLY` set, then sums what the tests counted (tests/reliability/tally.py)
and replaces the section between the reliability markers of RESULTS.md (after the findings
marker, so `make bench` keeps it). The exit status is pytest's: a failing suite writes its
figures too, marked failed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent
REPO = ROOT.parent
SUITES = [
    "tests/reliability",
    "tests/security",
    "tests/integration/test_api_schema.py",
    "tests/integration/test_adhoc.py",
    "tests/integration/test_import_validation.py",
]
START, END = "<!-- reliability: start -->", "<!-- reliability: end -->"

# (tally kind, what it counts) in the order the table shows them
ROWS = [
    ("bad_csv_inputs", "broken CSV folders fed to `downline import` (hypothesis corpus)"),
    ("bad_csv_refused", "... of which refused: exit 2, located problems, database unchanged"),
    ("plan_inputs", "malformed plan files (mutated TOML, any text, any bytes)"),
    ("plan_refused", "... of which refused with located problems (the rest were valid plans)"),
    ("kills", "kill -9 of an import, a rollup refresh or a commission run at a random point"),
    ("faults_injected", "Neo4j stopped under load, or restarted under a running command"),
    ("outage_requests", "requests answered while Neo4j was stopped and started under them"),
    ("load_requests", "requests of the mixed load (stats, downline pages, dashboard callbacks)"),
    ("load_errors", "... errors among them"),
    ("schema_requests", "schemathesis requests over the whole OpenAPI document"),
]


def _junit(path: Path) -> dict[str, float]:
    suite = ET.parse(path).getroot()  # noqa: S314  (our own pytest wrote it)
    suite = suite if suite.tag == "testsuite" else suite[0]
    return {k: float(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped", "time")}


def _section(counts: Counter[str], junit: dict[str, float], repeats: int, status: int) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    failed = int(junit["failures"] + junit["errors"])
    lines = [
        START,
        "## Reliability and security (`make soak`: benchmarks/reliability.py)",
        "",
        f"Run on {when}, `DOWNLINE_SOAK_REPEATS={repeats}`: {int(junit['tests'])} tests in "
        f"{junit['time'] / 60:.1f} min, {failed} failed"
        + ("" if status == 0 else f" (**pytest exit {status}**)")
        + f". Suites: {', '.join(f'`{s}`' for s in SUITES)}.",
        "",
        "| figure | count |",
        "|---|---:|",
    ]
    lines += [f"| {what} | {counts.get(kind, 0):,} |" for kind, what in ROWS]
    lines += [f"| test failures and errors | {failed} |", "", END]
    return "\n".join(lines) + "\n"


def write_section(section: str, results: Path = ROOT / "RESULTS.md") -> None:
    text = results.read_text() if results.exists() else "# Benchmark results\n"
    if START in text and END in text:
        before, rest = text.split(START, 1)
        after = rest.split(END, 1)[1].lstrip("\n")
        text = before + section + ("\n" + after if after else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    results.write_text(text)


def main() -> int:
    repeats = int(os.environ.get("DOWNLINE_SOAK_REPEATS", "25"))
    with tempfile.TemporaryDirectory() as tmp:
        tally_file, junit_file = Path(tmp) / "tally.jsonl", Path(tmp) / "junit.xml"
        env = {
            **os.environ,
            "DOWNLINE_SOAK_REPEATS": str(repeats),
            "DOWNLINE_RELIABILITY_TALLY": str(tally_file),
        }
        cmd = [sys.executable, "-m", "pytest", *SUITES, f"--junitxml={junit_file}", "-q"]
        status = subprocess.run(cmd, cwd=REPO, env=env, check=False).returncode
        counts: Counter[str] = Counter()
        if tally_file.exists():
            for line in tally_file.read_text().splitlines():
                doc = json.loads(line)
                counts[doc["kind"]] += int(doc["n"])
        junit = (
            _junit(junit_file)
            if junit_file.exists()
            else dict.fromkeys(("tests", "failures", "errors", "skipped", "time"), 0.0)
        )
    write_section(_section(counts, junit, repeats, status))
    print(f"reliability figures written to {ROOT / 'RESULTS.md'}: {dict(counts)}")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
