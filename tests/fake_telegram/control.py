"""HTTP control API (loopback only) for driving a fake that runs in another process.

All endpoints take and return JSON.

- ``GET  /_control/state``                        — spec version, base url, counts
- ``POST /_control/users``                        — {id, first_name, language_code?, username?, started?}
- ``POST /_control/users/{id}/{action}``          — action of :class:`FakeUser` with JSON keyword arguments:
  send_text, send_photo, send_video, send_voice, send_audio, send_document, send_sticker, send_location,
  send_contact, send_video_note, send_album, reply, edit, press, press_button, press_reply_button, share_location,
  block_bot, unblock_bot, messages, last_message.  ``group`` (chat id) selects a group for send_*;
  ``message`` may be {"chat_id", "message_id"}.
- ``POST /_control/groups``                       — {id, title, forum?, bot_is_admin?}
- ``POST /_control/groups/{id}/members``          — {user_id, status?}
- ``POST /_control/groups/{id}/topics/{thread_id}/delete``
- ``GET  /_control/groups/{id}/topics``
- ``GET  /_control/chats/{id}/messages?thread_id=&from_bot=``
- ``GET  /_control/calls?method=&since=``         — recorded calls
- ``GET  /_control/violations``
- ``POST /_control/faults``                       — {method, chat_id?, count?, error?, retry_after?, delay?}
- ``DELETE /_control/faults``
- ``POST /_control/limits``                       — {enforce: bool}
- ``POST /_control/updates/malformed``            — {kind, payload}: queue an off-spec update on purpose
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from .server import FakeTelegram

USER_ACTIONS = {
    "send_text",
    "send_photo",
    "send_video",
    "send_voice",
    "send_audio",
    "send_document",
    "send_sticker",
    "send_location",
    "send_contact",
    "send_video_note",
    "send_animation",
    "send_album",
    "reply",
    "edit",
    "delete",
    "press",
    "press_button",
    "press_reply_button",
    "share_location",
    "block_bot",
    "unblock_bot",
    "messages",
    "last_message",
    "reply_keyboard",
}
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def add_control_routes(app: web.Application, fake: FakeTelegram) -> None:
    @web.middleware
    async def loopback_only(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path.startswith("/_control") and request.remote not in LOOPBACK:
            return web.json_response({"error": "control API is loopback only"}, status=403)
        try:
            return await handler(request)
        except (AssertionError, KeyError, TypeError, ValueError) as e:
            if not request.path.startswith("/_control"):
                raise
            return web.json_response({"error": f"{type(e).__name__}: {e}"}, status=400)

    app.middlewares.append(loopback_only)

    async def body(request: web.Request) -> dict[str, Any]:
        if not request.can_read_body:
            return {}
        return await request.json()

    def group_of(chat_id: Any) -> Any:
        return fake.group(int(chat_id))

    async def state(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "spec_version": fake.spec.version,
                "spec_release_date": fake.spec.release_date,
                "base_url": fake.base_url,
                "bot": fake.world.bot.to_dict(),
                "calls": len(fake.calls),
                "violations": len(fake.violations),
                "pending_updates": len(fake.world.updates),
                "rate_limited": fake.rate_limited,
                "enforce_limits": fake.enforce_limits,
            }
        )

    async def create_user(request: web.Request) -> web.Response:
        b = await body(request)
        user = fake.user(
            int(b["id"]),
            b.get("first_name", "Test"),
            username=b.get("username"),
            language_code=b.get("language_code", "ru"),
            started=bool(b.get("started", False)),
        )
        return web.json_response(user.rec.to_dict())

    async def user_action(request: web.Request) -> web.Response:
        action = request.match_info["action"]
        if action not in USER_ACTIONS:
            return web.json_response({"error": f"unknown action {action}"}, status=404)
        uid = int(request.match_info["user_id"])
        if uid not in fake.world.users:
            return web.json_response({"error": f"unknown user {uid}"}, status=404)
        user = fake.user(uid)
        kwargs = await body(request)
        if "group" in kwargs:
            kwargs["group"] = group_of(kwargs["group"])
        if isinstance(kwargs.get("message"), dict) and "chat_id" in kwargs["message"]:
            m = kwargs["message"]
            kwargs["message"] = {"chat": {"id": int(m["chat_id"])}, "message_id": int(m["message_id"])}
        result = getattr(user, action)(**kwargs)
        return web.json_response({"result": result})

    async def create_group(request: web.Request) -> web.Response:
        b = await body(request)
        g = fake.group(
            int(b["id"]),
            b.get("title", "Group"),
            forum=bool(b.get("forum", True)),
            bot_is_admin=bool(b.get("bot_is_admin", True)),
        )
        return web.json_response(fake.world.chat_dict(g.chat))

    async def add_member(request: web.Request) -> web.Response:
        b = await body(request)
        g = group_of(request.match_info["chat_id"])
        g.add_member(fake.user(int(b["user_id"])), b.get("status", "member"))
        return web.json_response({"ok": True})

    async def topics(request: web.Request) -> web.Response:
        return web.json_response(group_of(request.match_info["chat_id"]).topics(include_deleted=True))

    async def delete_topic(request: web.Request) -> web.Response:
        group_of(request.match_info["chat_id"]).delete_topic(int(request.match_info["thread_id"]))
        return web.json_response({"ok": True})

    async def chat_messages(request: web.Request) -> web.Response:
        chat_id = int(request.match_info["chat_id"])
        chat = fake.world.chats.get(chat_id)
        if chat is None:
            return web.json_response({"error": "chat not found"}, status=404)
        thread = request.query.get("thread_id")
        from_bot = request.query.get("from_bot")
        out = []
        for msg in chat.messages.values():
            if msg.deleted or (thread and msg.thread_id != int(thread)):
                continue
            if from_bot is not None and (msg.sender_id == fake.world.bot.id) != (from_bot == "1"):
                continue
            out.append(fake.world.message_dict(msg))
        return web.json_response(out)

    async def calls(request: web.Request) -> web.Response:
        method = request.query.get("method")
        since = int(request.query.get("since", 0))
        return web.json_response(
            [c.to_dict() for c in fake.calls[since:] if method is None or c.method.lower() == method.lower()]
        )

    async def violations(request: web.Request) -> web.Response:
        return web.json_response(fake.violations)

    async def add_fault(request: web.Request) -> web.Response:
        b = await body(request)
        fault = fake.fail_next(
            b.get("method"),
            chat_id=b.get("chat_id"),
            count=int(b.get("count", 1)),
            error=str(b.get("error", "429")),
            retry_after=int(b.get("retry_after", 1)),
            delay=b.get("delay"),
            description=b.get("description"),
        )
        return web.json_response({"ok": True, "fault": repr(fault)})

    async def clear_faults(request: web.Request) -> web.Response:
        fake.clear_faults()
        return web.json_response({"ok": True})

    async def limits(request: web.Request) -> web.Response:
        b = await body(request)
        fake.enforce_limits = bool(b.get("enforce", True))
        return web.json_response({"enforce_limits": fake.enforce_limits, "rate_limited": fake.rate_limited})

    async def malformed_update(request: web.Request) -> web.Response:
        b = await body(request)
        return web.json_response({"result": fake.queue_malformed_update(b["kind"], b["payload"])})

    r = app.router
    r.add_get("/_control/state", state)
    r.add_post("/_control/users", create_user)
    r.add_post("/_control/users/{user_id}/{action}", user_action)
    r.add_post("/_control/groups", create_group)
    r.add_post("/_control/groups/{chat_id}/members", add_member)
    r.add_get("/_control/groups/{chat_id}/topics", topics)
    r.add_post("/_control/groups/{chat_id}/topics/{thread_id}/delete", delete_topic)
    r.add_get("/_control/chats/{chat_id}/messages", chat_messages)
    r.add_get("/_control/calls", calls)
    r.add_get("/_control/violations", violations)
    r.add_post("/_control/faults", add_fault)
    r.add_delete("/_control/faults", clear_faults)
    r.add_post("/_control/limits", limits)
    r.add_post("/_control/updates/malformed", malformed_update)
