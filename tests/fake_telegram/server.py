"""The fake Telegram Bot API server (aiohttp)."""

from __future__ import annotations

import asyncio
import copy
import inspect
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from .limits import Fault, Limits, RateLimiter
from .methods import SEND_MEDIA, BotMethods
from .spec import SPEC_PATH, ApiError, ApiSpec, UploadedFile
from .world import DEFAULT_BOT_RIGHTS, ChatRec, Member, World

log = logging.getLogger("fake_telegram")

# Methods that post messages and count against the flood limits (value: number of messages)
_SEND_COUNT: dict[str, Callable[[dict[str, Any]], int]] = {
    "sendMessage": lambda p: 1,
    "copyMessage": lambda p: 1,
    "forwardMessage": lambda p: 1,
    "sendLocation": lambda p: 1,
    "sendVenue": lambda p: 1,
    "sendContact": lambda p: 1,
    "sendMediaGroup": lambda p: len(p["media"]),
    "copyMessages": lambda p: len(p["message_ids"]),
    "forwardMessages": lambda p: len(p["message_ids"]),
    **{m: (lambda p: 1) for m in SEND_MEDIA},
}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    time: float
    response: dict[str, Any] | None = None
    status: int | None = None

    @property
    def ok(self) -> bool:
        return bool(self.response and self.response.get("ok"))

    @property
    def result(self) -> Any:
        return (self.response or {}).get("result")

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "params": self.params,
            "time": self.time,
            "status": self.status,
            "response": self.response,
        }


@dataclass
class Violation:
    method: str
    problem: str
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "problem": self.problem, "params": self.params}


def _public_params(raw: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in raw.items():
        if k.startswith("__"):
            continue
        out[k] = f"<file {v.filename} {len(v.content)} bytes>" if isinstance(v, UploadedFile) else v
    return out


class FakeTelegram(BotMethods):
    """A local Bot API server whose world is driven from tests (see :mod:`tests.fake_telegram.client`)."""

    def __init__(
        self,
        token: str = "123456789:TEST-fake-token",
        *,
        enforce_limits: bool = False,
        limits: Limits | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_username: str = "semeynoe_okno_test_bot",
        bot_name: str = "Семейное окно",
        spec_path: Path = SPEC_PATH,
        topic_reply_quirk: bool = True,
        record_polls: bool = False,
    ) -> None:
        self.token = token
        bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 123456789
        self.spec = ApiSpec(spec_path)
        self.world = World(bot_id, bot_username, bot_name)
        self.enforce_limits = enforce_limits
        self.limiter = RateLimiter(limits or Limits())
        self.host = host
        self.port = port
        self.topic_reply_quirk = topic_reply_quirk
        self.record_polls = record_polls  # record empty getUpdates answers too
        self.calls: list[Call] = []
        # wait_for_change's waiters by chat (None: any call), woken when a call is recorded
        self._call_waiters: dict[Any, list[asyncio.Future[None]]] = {}
        self.violations: list[dict[str, Any]] = []
        self.faults: list[Fault] = []
        # Called with (method, decoded params) before a call is answered: tests act at an exact moment.
        self.before_call: Callable[[str, dict[str, Any]], None] | None = None
        self.group_sends: dict[int, list[float]] = {}  # group chat id → monotonic times of bot messages
        self._user_handles: dict[int, Any] = {}
        self._group_handles: dict[int, Any] = {}
        self._poll_generation = 0
        self.polls_started = 0  # getUpdates requests received (answered or still waiting)
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._handlers = {
            name[len("api_") :]: getattr(self, name) for name in dir(self) if name.startswith("api_")
        }
        unknown = [m for m in self._handlers if m not in self.spec.methods]
        if unknown:
            raise RuntimeError(f"fake implements methods missing from the spec: {unknown}")
        self.app = self._make_app()

    # ------------------------------------------------------------------ lifecycle
    def _make_app(self) -> web.Application:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        from .control import add_control_routes

        add_control_routes(app, self)
        return app

    async def start(self) -> FakeTelegram:
        self._closing = False
        self._runner = web.AppRunner(
            self.app, handler_cancellation=True, access_log=None, shutdown_timeout=0.5
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        sockets = site._server.sockets if site._server else []  # type: ignore[union-attr]
        self.port = sockets[0].getsockname()[1]
        log.info("fake Telegram (%s, %s) on %s", self.spec.version, self.spec.release_date, self.base_url)
        return self

    async def stop(self) -> None:
        self._closing = True
        self.world.touch()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # ------------------------------------------------------------------ test-side API
    def user(
        self,
        user_id: int,
        first_name: str = "Test",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "ru",
        started: bool = False,
    ) -> Any:
        from .client import FakeUser

        handle = self._user_handles.get(user_id)
        if handle is not None:
            return handle
        rec = self.world.users.get(user_id)
        if rec is None:
            from .world import UserRec

            rec = self.world.add_user(
                UserRec(user_id, first_name, last_name, username, language_code, started=started)
            )
            if started:
                self.world.private_chat(rec)
        handle = self._user_handles[user_id] = FakeUser(self, rec)
        return handle

    def group(
        self,
        chat_id: int,
        title: str = "Group",
        *,
        forum: bool = False,
        bot_is_admin: bool = True,
        bot_rights: dict[str, bool] | None = None,
        username: str | None = None,
        added_by: Any = None,
    ) -> Any:
        """A supergroup (a forum if ``forum``) the bot is a member (or admin) of.

        With ``added_by`` (a FakeUser) the bot's addition is announced as a ``my_chat_member`` update."""
        from .client import FakeGroup

        chat = self.world.chats.get(chat_id)
        if chat is None:
            chat = ChatRec(id=chat_id, type="supergroup", title=title, username=username, is_forum=forum)
            self.world.chats[chat_id] = chat
            status = (
                Member(self.world.bot.id, "administrator", dict(DEFAULT_BOT_RIGHTS, **(bot_rights or {})))
                if bot_is_admin
                else Member(self.world.bot.id, "member")
            )
            if added_by is not None:
                self.set_bot_status(chat, status, by=added_by.rec)
            else:
                chat.members[self.world.bot.id] = status
        if chat_id not in self._group_handles:
            self._group_handles[chat_id] = FakeGroup(self, chat)
        return self._group_handles[chat_id]

    def forum_group(self, chat_id: int, title: str = "Forum", **kwargs: Any) -> Any:
        return self.group(chat_id, title, forum=True, **kwargs)

    def fail_next(
        self,
        method: str | None,
        *,
        chat_id: int | str | None = None,
        count: int = 1,
        error: str = "429",
        retry_after: int = 1,
        delay: float | None = None,
        description: str | None = None,
    ) -> Fault:
        return self.add_fault(Fault(method, chat_id, count, error, retry_after, delay, description))

    def deliver_again(self, update_id: int) -> dict[str, Any]:
        """Queue an update that was already delivered once more, with the same ``update_id`` (Telegram delivers
        at least once: e.g. after a timeout of the webhook or a lost ``getUpdates`` answer)."""
        update = copy.deepcopy(self.world.sent_updates[update_id])
        self.world.redeliveries.append(update)
        self.world.touch()
        return update

    def queue_malformed_update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Queue an update that breaks the specification on purpose (e.g. a poll without its required fields), as
        a buggy or newer Telegram might send: the bot must survive it. The spec check skips exactly this update."""
        update = self.world.queue_update(kind, payload)
        self.world.malformed.add(update["update_id"])
        return update

    def find_update(self, predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """The newest update ever queued that matches ``predicate``."""
        for update in reversed(self.world.sent_updates.values()):
            if predicate(update):
                return update
        raise LookupError("no such update")

    def add_fault(self, fault: Fault) -> Fault:
        self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        self.faults.clear()

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method.lower() == method.lower()]

    def mark(self) -> int:
        """An index into ``calls``; pass it as ``since`` to wait only for later calls."""
        return len(self.calls)

    async def wait_for(
        self,
        predicate: Callable[[], Any],
        timeout: float = 5.0,
        interval: float = 0.01,
    ) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() >= deadline:
                raise TimeoutError(f"condition not met within {timeout} s")
            await asyncio.sleep(interval)

    async def wait_for_change(
        self, predicate: Callable[[], Any], timeout: float = 5.0, chat_id: int | None = None
    ) -> Any:
        """As :meth:`wait_for`, but the predicate is checked again as soon as a call (to ``chat_id``, if given) is
        recorded, not at intervals: for measuring how long the bot takes to answer (looking every 50 ms made 50 ms
        the smallest time a benchmark could see)."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"condition not met within {timeout} s")
            waiter = asyncio.get_running_loop().create_future()
            waiters = self._call_waiters.setdefault(chat_id, [])
            waiters.append(waiter)
            try:
                await asyncio.wait_for(waiter, left)
            except TimeoutError:
                if waiter in waiters:  # not woken: not left behind for a chat that may never get a call
                    waiters.remove(waiter)
                    if not waiters and self._call_waiters.get(chat_id) is waiters:
                        del self._call_waiters[chat_id]

    def _wake(self, chat_id: Any) -> None:
        try:
            chat_id = int(chat_id)  # a form field arrives as text
        except (TypeError, ValueError):
            chat_id = None
        for key in {None, chat_id}:
            for waiter in self._call_waiters.pop(key, ()):
                if not waiter.done():
                    waiter.set_result(None)

    async def wait_for_call(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        timeout: float = 5.0,
        *,
        since: int = 0,
        ok: bool | None = None,
    ) -> Call:
        def find() -> Call | None:
            for call in self.calls[since:]:
                if call.method.lower() != method.lower() or call.response is None:
                    continue
                if ok is not None and call.ok != ok:
                    continue
                if predicate is None or predicate(call):
                    return call
            return None

        try:
            return await self.wait_for(find, timeout)
        except TimeoutError:
            raise TimeoutError(f"no {method} call matched within {timeout} s") from None

    def max_group_sends(self, chat_id: int, window: float = 60.0) -> int:
        """The most bot messages the group got within any ``window`` seconds."""
        times = self.group_sends.get(chat_id, [])
        best = 0
        j = 0
        for i, t in enumerate(times):
            while times[j] <= t - window:
                j += 1
            best = max(best, i - j + 1)
        return best

    @property
    def rate_limited(self) -> int:
        """Number of 429 answers issued by the flood limits (not counting injected faults)."""
        return self.limiter.issued

    def record_violation(self, method: str, problem: str, params: dict[str, Any]) -> None:
        log.warning("Bot API violation in %s: %s", method, problem)
        self.violations.append(Violation(method, problem, _public_params(params)).to_dict())

    def note_send(self, chat: ChatRec) -> None:
        if chat.type != "private":
            self.group_sends.setdefault(chat.id, []).append(time.monotonic())

    # ------------------------------------------------------------------ HTTP
    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        raw: dict[str, Any] = dict(request.query)
        if request.method != "POST" or not request.can_read_body:
            return raw
        if request.content_type == "application/json":
            body = await request.json()
            if not isinstance(body, dict):
                raise ApiError(400, "Bad Request: request body must be a JSON object", violation=True)
            raw.update(body)
            return raw
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                raw[key] = UploadedFile(value.filename, value.file.read(), value.content_type)
            else:
                raw[key] = value
        return raw

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        name = request.match_info["method"]
        raw: dict[str, Any] = {}
        call = Call(name, {}, time.time())
        try:
            raw = await self._read_params(request)
            call.params = _public_params(raw)
            spec_name = self.spec.method_name(name)
            if spec_name is None:
                raise ApiError(404, "Not Found", violation=True, problem=f"unknown method {name!r}")
            call.method = name = spec_name
            params = self.spec.decode_request(name, raw)
            handler = self._handlers.get(name)
            if handler is None:
                raise ApiError(
                    400,
                    "Bad Request: method not implemented by fake",
                    violation=True,
                    problem=f"method {name} is not implemented by the fake",
                )
            if self.before_call is not None:
                self.before_call(name, params)
            late: Fault | None = None
            for fault in self.faults:
                if fault.matches(name, params):
                    if fault.error == "late":  # carried out now, answered after the delay
                        fault.count -= 1
                        fault.fired += 1
                        late = fault
                        break
                    if fault.error == "disconnect":
                        fault.count -= 1
                        fault.fired += 1
                        if request.transport is not None:
                            request.transport.close()
                        call.response = {"ok": False, "description": "connection closed by fault"}
                        return web.Response(status=500)
                    error = await fault.apply()
                    if error is not None:
                        raise error
                    break
            if self.enforce_limits and name in _SEND_COUNT:
                self._check_limits(name, params)
            result = handler(params)
            if inspect.isawaitable(result):
                result = await result
            if late is not None:
                await asyncio.sleep(1.0 if late.delay is None else late.delay)
            checked = result
            if name == "getUpdates" and self.world.malformed:  # off-spec on purpose: queue_malformed_update
                checked = [u for u in result if u.get("update_id") not in self.world.malformed]
            problems = self.spec.check_value(self.spec.methods[name]["returns"], checked, "result")
            for problem in problems:
                self.record_violation(name, f"fake answer does not match the spec: {problem}", raw)
            body: dict[str, Any] = {"ok": True, "result": result}
            status = 200
        except ApiError as e:
            if e.violation:
                self.record_violation(name, e.problem, raw)
            body, status = e.payload(), e.code
        except Exception as e:  # a bug in the fake must fail the tests, not hang them
            log.exception("fake Telegram crashed in %s", name)
            self.record_violation(name, f"fake internal error: {type(e).__name__}: {e}", raw)
            body, status = {"ok": False, "error_code": 500, "description": "Internal Server Error"}, 500
        call.response, call.status = body, status
        if name != "getUpdates" or self.record_polls or body.get("result") or status != 200:
            self.calls.append(call)
            self._wake(call.params.get("chat_id"))
        return web.json_response(body, status=status)

    def _check_limits(self, name: str, params: dict[str, Any]) -> None:
        try:
            chat = self.resolve_chat(params["chat_id"])
        except ApiError:
            return  # the handler will answer the proper error
        self.limiter.acquire(chat.id, chat.type != "private", _SEND_COUNT[name](params))

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        rec = self.world.files_by_path.get(request.match_info["path"])
        if rec is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        return web.Response(body=rec.content, content_type=rec.mime_type or "application/octet-stream")
