"""A pre-warmed interpreter that starts the bot processes of the end-to-end tests.

Every `python -m bot run` spends 7–10 s of CPU importing aiogram (it builds all its pydantic models at import),
and the suite starts the bot about a hundred times. The zygote imports the bot's modules once and then forks one
fresh child process per bot start; the child takes the test's environment, working directory and log file and runs
the `bot` package's `__main__` exactly as `python -m bot run` does (runpy, argv ["-m bot", "run"]). Each child is a
separate OS process with its own pid, signals, database connections and event loop: SIGTERM, kill -9 and restarts
behave as with an exec'd interpreter.

Protocol: one JSON line per request on a Unix socket — {"op": "start", "env": {...}, "cwd": "...", "log": "...",
"err": "..." (optional: stderr apart from stdout), "args": [...]} → {"pid": N}; {"op": "status", "pid": N} → {"code": exit code or null while running}.
`E2E_ZYGOTE=0` makes the harness exec `python -m bot run` instead.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import runpy
import signal
import socket
import sys
import traceback

_ALSO_IMPORTED = (
    "alembic.command",
    "alembic.autogenerate",
    "alembic.ddl.postgresql",
    "alembic.ddl.sqlite",
    "alembic.runtime.migration",
    "aiogram.fsm.storage.redis",
    "aiogram.webhook.aiohttp_server",
    "apscheduler.executors.asyncio",
    "apscheduler.triggers.interval",
    "logging.config",
    "sqlalchemy.dialects.postgresql.asyncpg",
    "sqlalchemy.dialects.sqlite.aiosqlite",
)


# the Bot API methods the bot calls
_METHODS = (
    "AnswerCallbackQuery",
    "CloseForumTopic",
    "CopyMessage",
    "CopyMessages",
    "CreateForumTopic",
    "DeleteMessage",
    "DeleteMessages",
    "DeleteMyCommands",
    "DeleteWebhook",
    "EditForumTopic",
    "EditMessageCaption",
    "EditMessageReplyMarkup",
    "EditMessageText",
    "GetChatMember",
    "GetMe",
    "GetUpdates",
    "ReopenForumTopic",
    "SendChatAction",
    "SendDocument",
    "SendMessage",
    "SendPhoto",
    "SendVenue",
    "SetMyCommands",
    "SetWebhook",
)


def _one_tls_context() -> None:
    """aiogram's session builds a TLS context with certifi's bundle for each bot (65 ms of CPU reading the
    certificates). Built here once: each forked child gets its own copy of it, as if it had built it."""
    import ssl

    import certifi

    build = ssl.create_default_context
    built = build(cafile=certifi.where())

    def create_default_context(purpose=ssl.Purpose.SERVER_AUTH, *, cafile=None, capath=None, cadata=None):  # type: ignore[no-untyped-def]
        if (
            purpose == ssl.Purpose.SERVER_AUTH
            and cafile == certifi.where()
            and capath is None
            and cadata is None
        ):
            return built
        return build(purpose, cafile=cafile, capath=capath, cadata=cadata)

    ssl.create_default_context = create_default_context


def _child(request: dict) -> None:
    os.setsid()
    for target, path in ((1, request["log"]), (2, request.get("err") or request["log"])):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.argv = ["-m bot", *request["args"]]
    code = 0
    try:
        runpy.run_module("bot", run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


def serve(path: str) -> None:
    import bot.app
    import bot.services.catalog
    from bot.services.morph import analyzer

    analyzer()  # its dictionaries: about a second per start otherwise
    from bot.services.embeddings import default_embeddings

    default_embeddings()  # the word vectors' vocabulary (memory-mapped, shared by the children)
    bot.lazy_aiogram.warm_up()  # the models every bot builds at its start (bot/lazy_aiogram.py)
    from bot.config import Settings
    from bot.services.catalog import load_catalog

    # everything in the repository's data/, the crisis detector with it (a second and a half of parsing and
    # lemmatising per start otherwise); cached per file and modification time, so a test that edits a copy of data/
    # still gets its own
    # (and with the default cache directory, as the children's build_app asks for it: bot/services/compiled.py)
    load_catalog(Settings.model_fields["data_dir"].default, Settings.model_fields["cache_dir"].default)
    # what every child still imported on its own, 0.6–0.9 s of CPU per bot start: the handlers (get_routers imports
    # them when called), the jobs and the views, the database's dialects, the Redis storage, and alembic with what
    # it loads to bring each test's new database to head
    for package in ("bot", "handlers"):
        for module in pkgutil.walk_packages(importlib.import_module(package).__path__, package + "."):
            if module.name.rpartition(".")[2] not in ("__main__", "demo"):
                importlib.import_module(module.name)
    for name in _ALSO_IMPORTED:
        importlib.import_module(name)
    # the models of the Bot API methods the bot calls and of their answers (20–30 ms each, per child otherwise)
    import aiogram.methods

    from bot.telegram import response_model

    bot.lazy_aiogram.warm_up(_METHODS)
    for name in _METHODS:
        response_model(getattr(aiogram.methods, name).__returning__)
    _one_tls_context()
    from sqlalchemy.orm import configure_mappers

    configure_mappers()  # the ORM's mappers are set up at their first use: 80 ms of CPU in each child otherwise

    children: dict[int, int | None] = {}

    def reap() -> None:
        for pid, code in list(children.items()):
            if code is not None:
                continue
            try:
                done, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                children[pid] = -1
                continue
            if done:
                children[pid] = os.waitstatus_to_exitcode(status)

    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(16)
    print("ready", flush=True)
    while True:
        conn, _ = server.accept()
        with conn, conn.makefile("rw") as stream:
            request = json.loads(stream.readline())
            reap()
            if request["op"] == "start":
                pid = os.fork()
                if pid == 0:
                    server.close()
                    _child(request)
                children[pid] = None
                stream.write(json.dumps({"pid": pid}) + "\n")
            elif request["op"] == "status":
                stream.write(json.dumps({"code": children.get(request["pid"], -1)}) + "\n")
            elif request["op"] == "quit":
                for pid, code in children.items():
                    if code is None:
                        try:
                            os.killpg(pid, signal.SIGKILL)
                        except ProcessLookupError:
                            pass
                stream.write("{}\n")
                return
            stream.flush()


if __name__ == "__main__":
    serve(sys.argv[1])
