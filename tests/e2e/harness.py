"""Run the real bot process (`python -m bot run`) against the fake Bot API."""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456:TEST-token-for-the-fake-bot-api"

# TEST_DATABASE=postgres: every test's bot gets a fresh PostgreSQL database on the local server (TEST_POSTGRES_URL,
# a server URL whose database is only used to create and drop the test databases) and a clean Redis logical
# database (TEST_REDIS_URL; one per pytest-xdist worker) for FSM state, event isolation and the leader lock.
POSTGRES = os.environ.get("TEST_DATABASE", "sqlite").lower() in {"postgres", "postgresql"}
POSTGRES_SERVER = os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://root@127.0.0.1:5432/postgres")
REDIS_SERVER = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
_db_names = itertools.count(1)
BOTS: weakref.WeakSet[BotProcess] = weakref.WeakSet()  # the bots made by the running test
CREATED_DATABASES: list[str] = []


def _in_thread(coro_factory) -> Any:
    """Run a coroutine to completion from sync code, even inside a running event loop (the tests' own)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(coro_factory())).result()


def _pg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _with_database(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + name


def pg_admin(sql: str) -> None:
    import asyncpg

    async def work() -> None:
        conn = await asyncpg.connect(_pg_dsn(POSTGRES_SERVER))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    _in_thread(work)


# A test's new database starts as a copy of one that the bot's own migrations (bot/db/migrate.py) brought to head
# once per test process: the bot's start then takes its at-head path, not every migration again (half a second of
# CPU per test on SQLite, more on PostgreSQL). The start on an empty database, where the bot runs every migration
# itself, is tested on both databases with ``empty_database=True`` (test_foundation).
_templates: dict[str, str] = {}


def _brought_to_head(url: str) -> None:
    async def work() -> None:
        from bot.db.engine import make_engine
        from bot.db.migrate import upgrade_to_head

        engine = make_engine(url)
        try:
            await upgrade_to_head(engine)
        finally:
            await engine.dispose()

    _in_thread(work)


def _new_database_name() -> str:
    worker = re.sub(r"\W", "", os.environ.get("PYTEST_XDIST_WORKER", "main"))
    return f"e2e_{os.getpid()}_{worker}_{next(_db_names)}"


def create_test_database(*, empty: bool = False) -> str:
    """A fresh PostgreSQL database, at head unless ``empty``; returns its SQLAlchemy URL."""
    template = ""
    if not empty:
        if "postgres" not in _templates:
            _templates["postgres"] = create_test_database(empty=True)
            _brought_to_head(_templates["postgres"])
        template = f' TEMPLATE "{_templates["postgres"].rsplit("/", 1)[1]}"'
    name = _new_database_name()
    pg_admin(f'DROP DATABASE IF EXISTS "{name}"')
    pg_admin(f'CREATE DATABASE "{name}"{template}')
    CREATED_DATABASES.append(name)
    return _with_database(POSTGRES_SERVER, name)


def sqlite_database_at_head(path: Path) -> None:
    """Puts a copy of this process's SQLite database at head at ``path``."""
    if "sqlite" not in _templates:
        import tempfile

        template = Path(tempfile.mkdtemp(prefix="e2e-template-")) / "bot.sqlite3"
        _brought_to_head(f"sqlite+aiosqlite:///{template}")
        _templates["sqlite"] = str(template)
    shutil.copyfile(_templates["sqlite"], path)


def drop_test_databases() -> None:
    _templates.pop("postgres", None)
    while CREATED_DATABASES:
        name = CREATED_DATABASES.pop()
        try:
            pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except Exception:  # a database still in use by a stray process: left for the next run's clean-up
            pass


def redis_test_url() -> str:
    """A Redis logical database per xdist worker (1 to 14), emptied for each new test bot."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw-1")
    index = 1 + (int(worker[2:]) + 1 if worker[2:].lstrip("-").isdigit() else 0) % 14  # 15: test_foundation
    url = f"{REDIS_SERVER.rstrip('/')}/{index}"
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()
    return url


def query(database_url: str, sql: str, *args: Any) -> list[tuple]:
    """Rows of ``sql`` (with ``?`` placeholders) from the bot's database, SQLite or PostgreSQL."""
    if database_url.startswith("sqlite"):
        path = database_url.split(":///", 1)[1]
        with sqlite3.connect(path) as conn:
            return conn.execute(sql, args).fetchall()
    import asyncpg

    counter = itertools.count(1)
    pg_sql = re.sub(r"\?", lambda _m: f"${next(counter)}", sql)

    async def work() -> list[tuple]:
        conn = await asyncpg.connect(_pg_dsn(database_url))
        try:
            return [tuple(r) for r in await conn.fetch(pg_sql, *args)]
        finally:
            await conn.close()

    return _in_thread(work)


def orm(database_url: str, work: Callable[[Any], Any]) -> Any:
    """Run ``work(session)`` with a sync ORM session on the database (SQLite or PostgreSQL); commit; its result."""
    from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

    async def go() -> Any:
        engine = create_async_engine(database_url)
        try:
            async with AsyncSession(engine, expire_on_commit=False) as session:
                result = await session.run_sync(work)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    return _in_thread(go)


def kill_leftovers() -> None:
    """Kill the bot processes a test left running (else they live on until garbage collection, and with Redis an
    old leader could hold the next test's lease)."""
    for p in list(BOTS):
        if p.proc is not None and p.proc.poll() is None:
            p.proc.kill()
    BOTS.clear()


class BotProcess:
    """The bot as a child process; its log goes to a file the test can read."""

    def __init__(
        self, fake, workdir: Path, *, instances: int | None = None, empty_database: bool = False, **env: str
    ) -> None:
        """``instances``: how many bot processes answer (webhook mode behind a load balancer when more than one);
        by default E2E_INSTANCES with TEST_DATABASE=postgres unless the test chose its own database, Redis or
        webhook, else one (long polling). The bot's new database is at head (a copy) unless ``empty_database``."""
        self.fake = fake
        self.workdir = workdir
        self.log_path = workdir / "bot.log"  # every instance appends its lines to it
        if instances is None:
            chosen = {"DATABASE_URL", "REDIS_URL", "WEBHOOK_URL"} & env.keys()
            instances = INSTANCES if POSTGRES and not chosen else 1
        self.ports = [free_port() for _ in range(instances)] if instances > 1 else []
        self._pusher: WebhookPusher | None = None
        self.delivered: dict[int, int] = {}  # with several instances: update_id → the port that answered it
        BOTS.add(self)
        database_url = f"sqlite+aiosqlite:///{workdir / 'bot.sqlite3'}"
        redis_url = ""
        leader_ttl = {}
        if POSTGRES and "DATABASE_URL" not in env:
            # with Redis a killed bot's leader lease outlives it: a short lease lets the restarted bot resume
            # the background duties within the tests' waits
            leader_ttl = {"LEADER_TTL_SECONDS": "3"}
            marker = workdir / "postgres-url"  # one database per test directory: restarts keep their data
            if not marker.exists():
                marker.write_text(create_test_database(empty=empty_database))
                (workdir / "redis-url").write_text(redis_test_url())
            database_url = marker.read_text()
            redis_url = (workdir / "redis-url").read_text()
        elif "DATABASE_URL" not in env and not empty_database and not (workdir / "bot.sqlite3").exists():
            sqlite_database_at_head(workdir / "bot.sqlite3")
        self.env = {
            **os.environ,
            "BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": fake.base_url,
            "DATABASE_URL": database_url,
            "POLLING_TIMEOUT": "1",
            "LOG_LEVEL": "INFO",
            "REDIS_URL": redis_url,
            "WEBHOOK_URL": "",
            **leader_ttl,
            **env,
        }
        # a test's own data: its danger detector is kept with the test's files, not in the repository's var/cache
        if "DATA_DIR" in env and "CACHE_DIR" not in env:
            self.env["CACHE_DIR"] = str(workdir / "cache")
        self.proc: subprocess.Popen | ZygoteChild | None = None
        self.start_cmd = list(BOT_RUN)  # benchmarks run other bots through the harness

    async def start(self, timeout: float = 60) -> BotProcess:
        polls_before = self._ready_marks()
        envs = [self.env]
        if self.ports:
            envs = [
                {
                    **self.env,
                    "WEBHOOK_URL": f"http://127.0.0.1:{port}",
                    "WEBHOOK_PORT": str(port),
                    "WEBHOOK_SECRET": CLUSTER_SECRET,
                }
                for port in self.ports
            ]
        procs = [self._spawn(env) for env in envs]
        self.proc = procs[0] if len(procs) == 1 else Instances(procs)
        deadline = asyncio.get_running_loop().time() + timeout
        while self._ready_marks() < polls_before + len(procs):
            if self.proc.poll() is not None or any(p.poll() is not None for p in procs):
                self.proc.kill()
                raise RuntimeError(f"bot exited with {self.proc.poll()}:\n{self.log()}")
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"bot did not start polling:\n{self.log()}")
            await asyncio.sleep(0.05 if self.ports else 0.01)  # webhook mode reads the log each time
        if self.ports:
            self._pusher = WebhookPusher(self.fake, self.ports, CLUSTER_SECRET)
            await self._pusher.__aenter__()
        return self

    def _spawn(self, env: dict[str, str]) -> subprocess.Popen | ZygoteChild:
        if tuple(self.start_cmd) == BOT_RUN and ZYGOTE_ON:
            return zygote().start(env, ROOT, self.log_path, ["run"])
        log = self.log_path.open("ab")
        try:
            return subprocess.Popen(self.start_cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        finally:
            log.close()

    def _ready_marks(self) -> int:
        """Polling mode: getUpdates requests received by the fake; webhook mode: «webhook server» lines in the
        log."""
        if self.ports or self.env.get("WEBHOOK_URL"):
            return self.log().count("webhook server on port")
        return self.fake.polls_started

    def rows(self, sql: str, *args: Any) -> list[tuple]:
        """Rows from this bot's database (``?`` placeholders on either database)."""
        return query(self.env["DATABASE_URL"], sql, *args)

    def orm(self, work: Callable[[Any], Any]) -> Any:
        """``work(session)`` with a (sync) SQLAlchemy ORM session on this bot's database, committed after."""
        return orm(self.env["DATABASE_URL"], work)

    def all_rows(self) -> list[tuple[str, tuple]]:
        """Every row of every table of this bot's database, as (table, row)."""
        if self.env["DATABASE_URL"].startswith("sqlite"):
            tables = [t for (t,) in self.rows("SELECT name FROM sqlite_master WHERE type = 'table'")]
        else:
            tables = [
                t
                for (t,) in self.rows(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
                )
            ]
        return [(t, row) for t in tables for row in self.rows(f'SELECT * FROM "{t}"')]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def stop(self, timeout: float = 30) -> int:
        """Graceful stop with SIGTERM; returns the exit code. The timeout covers the bot's own budget (updates in
        hand 10 s, running jobs 5 s, the relay and the broadcasts 5 s: bot/app.py)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        code = await self._wait(timeout)
        if len(self.delivered) >= len(self.ports) > 1:  # the test's updates were answered by every instance
            assert set(self.delivered.values()) == set(self.ports), (
                f"one instance answered all: {self.delivered}"
            )
        return code

    async def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self._wait(10)

    async def _wait(self, timeout: float) -> int:
        assert self.proc is not None
        if self._pusher is not None:  # Telegram keeps what was not delivered for the next start
            pusher, self._pusher = self._pusher, None
            await pusher.__aexit__(None, None, None)
            self.delivered.update(pusher.delivered)
        deadline = asyncio.get_running_loop().time() + timeout
        while self.proc.poll() is None:
            if asyncio.get_running_loop().time() > deadline:
                self.proc.kill()
                raise TimeoutError(f"bot did not stop in time; its log ends:\n{self.log()[-3000:]}")
            await asyncio.sleep(0.01)
        return self.proc.returncode

    def __del__(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()


BOT_RUN = (sys.executable, "-m", "bot", "run")
# E2E_INSTANCES=2 (make test-postgres): every test's bot is two instances in webhook mode on one PostgreSQL
# database and one Redis, the updates spread over both by WebhookPusher (Telegram behind a load balancer).
INSTANCES = max(1, int(os.environ.get("E2E_INSTANCES", "1")))
CLUSTER_SECRET = "e2e-webhook-secret"


class Instances:
    """Several bot processes behind one load balancer, with the subprocess.Popen calls the tests use."""

    def __init__(self, procs: list[subprocess.Popen | ZygoteChild]) -> None:
        self.procs = procs
        self.pid = procs[0].pid

    def poll(self) -> int | None:
        """None while any instance runs; then the first non-zero exit code, else 0."""
        codes = [p.poll() for p in self.procs]
        if any(code is None for code in codes):
            return None
        return next((code for code in codes if code), 0)

    @property
    def returncode(self) -> int | None:
        return self.poll()

    def send_signal(self, sig: int) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


ZYGOTE_ON = os.environ.get("E2E_ZYGOTE", "1") != "0"


class ZygoteChild:
    """A bot process forked by the zygote (tests/e2e/zygote.py), with the subprocess.Popen calls the tests use."""

    def __init__(self, owner: Zygote, pid: int) -> None:
        self.owner = owner
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self.owner.request({"op": "status", "pid": self.pid})["code"]
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class Zygote:
    """One pre-warmed interpreter per test process; it forks the bot processes (see tests/e2e/zygote.py)."""

    def __init__(self) -> None:
        import tempfile

        self.dir = tempfile.mkdtemp(prefix="zygote-")
        self.path = os.path.join(self.dir, "sock")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.e2e.zygote", self.path], cwd=ROOT, stdout=subprocess.PIPE
        )
        assert self.proc.stdout is not None
        if self.proc.stdout.readline().strip() != b"ready":
            raise RuntimeError("the zygote did not start")

    def request(self, payload: dict[str, Any]) -> dict[str, Any]:
        import json
        import socket

        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.connect(self.path)
            with conn.makefile("rw") as stream:
                stream.write(json.dumps(payload) + "\n")
                stream.flush()
                return json.loads(stream.readline())

    def start(
        self, env: dict[str, str], cwd: Path, log: Path, args: list[str], err: Path | None = None
    ) -> ZygoteChild:
        request = {"op": "start", "env": dict(env), "cwd": str(cwd), "log": str(log), "args": args}
        if err is not None:
            request["err"] = str(err)
        return ZygoteChild(self, self.request(request)["pid"])

    def close(self) -> None:
        try:
            self.request({"op": "quit"})
        except OSError:
            pass
        self.proc.kill()
        self.proc.wait(5)


def run_cli(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """`python -m bot <args>` to completion, as ``subprocess.run(..., capture_output=True, text=True)`` would
    return it; forked from the zygote unless ``E2E_ZYGOTE=0``."""
    import tempfile
    import time

    command = [*BOT_RUN[:3], *args]
    if not ZYGOTE_ON:
        return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    with tempfile.TemporaryDirectory(prefix="bot-cli-") as tmp:
        out, err = Path(tmp) / "stdout", Path(tmp) / "stderr"
        child = zygote().start(env, ROOT, out, list(args), err=err)
        deadline = time.monotonic() + timeout
        while child.poll() is None:
            if time.monotonic() > deadline:
                child.kill()
                raise subprocess.TimeoutExpired(command, timeout)
            time.sleep(0.02)
        return subprocess.CompletedProcess(command, child.returncode, _text(out), _text(err))


def _text(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


_zygote: Zygote | None = None


def zygote() -> Zygote:
    global _zygote
    if _zygote is None or _zygote.proc.poll() is not None:
        import atexit

        _zygote = Zygote()
        atexit.register(_zygote.close)
    return _zygote


_PORTS: itertools.cycle | None = None


def free_port() -> int:
    """A port for a bot's webhook server. Not one the kernel hands out to outgoing connections (its ephemeral
    range, usually 32768–60999): with four test workers talking to PostgreSQL, Redis and the fake, a port freed
    here could be taken as a client's local port before the bot binds it. Each pytest worker has its own slice
    of 1000 ports from 20000 up, and a port is handed out only if it can be bound now."""
    import socket

    global _PORTS
    if _PORTS is None:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
        base = 20000 + 1000 * (int(worker) % 12 if worker.isdigit() else 0)
        _PORTS = itertools.cycle(range(base, base + 1000))
    for port in itertools.islice(_PORTS, 1000):
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("0.0.0.0", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port for a webhook server")


class WebhookPusher:
    """Plays Telegram's webhook delivery for bots in webhook mode behind a load balancer.

    Takes the updates the fake queued (a family writing, a button pressed) and POSTs each to the next instance in
    turn (``X-Telegram-Bot-Api-Secret-Token`` set). Like Telegram it has several requests in flight at once, but a
    chat's updates go one after the other, each once the previous one was answered. An instance that does not
    answer (killed) is skipped and the update goes to another one, as Telegram retries an undelivered update.
    Updates the fake hands out again (``redeliver``) are delivered again; updates of types the bot did not ask for
    (``allowed_updates`` of ``setWebhook``) are dropped, as Telegram does.
    """

    def __init__(self, fake, ports: list[int], secret: str) -> None:
        self.fake, self.ports, self.secret = fake, list(ports), secret
        self.delivered: dict[int, int] = {}  # update_id → port
        self._task: asyncio.Task | None = None
        self._turn = itertools.count()
        self._taken: set[int] = set()  # update ids handed to a delivery task
        self._done: set[int] = set()
        self._last_of_chat: dict[Any, asyncio.Task] = {}
        self._deliveries: set[asyncio.Task] = set()

    async def __aenter__(self) -> WebhookPusher:
        import aiohttp

        self._http = aiohttp.ClientSession()
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        tasks = [self._task, *self._deliveries]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._http.close()

    async def _run(self) -> None:
        world = self.fake.world
        while True:
            while world.redeliveries:
                self._schedule(world.redeliveries.pop(0))
            for update in list(world.updates):
                if update["update_id"] not in self._taken:
                    self._taken.add(update["update_id"])
                    kind = next(k for k in update if k != "update_id")
                    if kind in world.allowed_updates:
                        self._schedule(update)
                    else:
                        self._done.add(update["update_id"])
            while world.updates and world.updates[0]["update_id"] in self._done:  # Telegram forgets it
                world.confirm(world.updates[0]["update_id"] + 1)
            await asyncio.sleep(0.02)  # (not world.wait_change: a cancel can get lost in its wait_for)

    def _schedule(self, update: dict[str, Any]) -> None:
        chat = _chat_of(update)
        previous = self._last_of_chat.get(chat)
        task = asyncio.create_task(self._deliver(update, previous))
        self._last_of_chat[chat] = task
        self._deliveries.add(task)
        task.add_done_callback(self._deliveries.discard)

    async def _deliver(self, update: dict[str, Any], previous: asyncio.Task | None) -> None:
        import aiohttp

        if previous is not None:
            await asyncio.gather(previous, return_exceptions=True)
        headers = {"X-Telegram-Bot-Api-Secret-Token": self.secret}
        while True:
            port = self.ports[next(self._turn) % len(self.ports)]
            try:
                async with self._http.post(
                    f"http://127.0.0.1:{port}/webhook",
                    json=update,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(60),
                ) as resp:
                    if resp.status == 200:
                        self.delivered[update["update_id"]] = port
                        self._done.add(update["update_id"])
                        self.fake.world.touch()
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.1)


def _chat_of(update: dict[str, Any]) -> Any:
    """The chat an update belongs to (its sender's for a button press), for in-order delivery per chat."""
    body = next(v for k, v in update.items() if k != "update_id")
    message = body.get("message") if isinstance(body.get("message"), dict) else body
    chat = message.get("chat") or body.get("chat")
    if chat:
        return chat.get("id")
    sender = body.get("from") or body.get("user")
    return ("user", sender.get("id")) if sender else None
