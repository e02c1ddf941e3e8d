"""The layer rules import-linter cannot see (ARCHITECTURE.md): handlers issue no SQL through the session they are
given, and no module grows past 700 lines."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# What a handler may do with the session: commit (a step made durable before the bot answers) and roll back.
SQL_METHODS = {"get", "add", "add_all", "execute", "scalar", "scalars", "delete", "flush", "merge", "refresh"}
MAX_LINES = 700


def sql_calls(source: str) -> list[tuple[int, str]]:
    """(line, method) of every `session.<method>(…)` call that reads or writes rows."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in {"session", "s"}
            and node.func.attr in SQL_METHODS
        ):
            found.append((node.lineno, node.func.attr))
    return found


def test_the_check_sees_a_query():
    assert sql_calls(
        "async def h(session):\n    await session.get(Case, 1)\n    await session.commit()\n"
    ) == [(2, "get")]


def test_no_handler_issues_sql():
    offenders = [
        f"{path.relative_to(ROOT)}:{line} session.{method}"
        for path in sorted((ROOT / "handlers").rglob("*.py"))
        for line, method in sql_calls(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], "queries belong in bot/services/: " + ", ".join(offenders)


def test_no_module_over_700_lines():
    long = [
        f"{path.relative_to(ROOT)} ({n})"
        for folder in ("bot", "handlers")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    ]
    assert long == [], "split by idea: " + ", ".join(long)
