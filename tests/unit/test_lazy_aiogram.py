"""aiogram's models deferred by bot/lazy_aiogram.py: every one still builds, and updates parse the same.

Each check runs in a fresh interpreter: this test process may have imported aiogram already (then ``install()``
rightly does nothing)."""

from __future__ import annotations

import json
import subprocess
import sys

from bot.config import ROOT

UPDATES = [
    {
        "update_id": 1,
        "message": {
            "message_id": 5,
            "date": 1764000000,
            "chat": {"id": 42, "type": "private", "first_name": "Анна"},
            "from": {"id": 42, "is_bot": False, "first_name": "Анна", "language_code": "ru"},
            "text": "/start card_1234",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    },
    {
        "update_id": 2,
        "callback_query": {
            "id": "9",
            "chat_instance": "c",
            "data": "tri:1",
            "from": {"id": 42, "is_bot": False, "first_name": "Анна"},
            "message": {
                "message_id": 6,
                "date": 1764000001,
                "chat": {"id": 42, "type": "private"},
                "text": "?",
                "reply_markup": {"inline_keyboard": [[{"text": "Да", "callback_data": "tri:1"}]]},
            },
        },
    },
    {
        "update_id": 3,
        "message": {
            "message_id": 7,
            "message_thread_id": 11,
            "is_topic_message": True,
            "date": 1764000002,
            "chat": {"id": -100123, "type": "supergroup", "title": "Операторы", "is_forum": True},
            "from": {"id": 7, "is_bot": False, "first_name": "Ольга"},
            "photo": [{"file_id": "f", "file_unique_id": "u", "width": 90, "height": 90}],
            "caption": "фото",
            "media_group_id": "g1",
            "reply_to_message": {
                "message_id": 3,
                "date": 1764000000,
                "chat": {"id": -100123, "type": "supergroup", "title": "Операторы", "is_forum": True},
                "forum_topic_created": {"name": "№1", "icon_color": 7322096},
            },
        },
    },
    {
        "update_id": 4,
        "my_chat_member": {
            "chat": {"id": 42, "type": "private"},
            "from": {"id": 42, "is_bot": False, "first_name": "Анна"},
            "date": 1764000003,
            "old_chat_member": {"status": "member", "user": {"id": 1, "is_bot": True, "first_name": "bot"}},
            "new_chat_member": {
                "status": "kicked",
                "until_date": 0,
                "user": {"id": 1, "is_bot": True, "first_name": "bot"},
            },
        },
    },
]

PARSE = """
import json, sys
from aiogram.methods import SendMessage
from aiogram.methods.base import Response
from aiogram.types import Message, Update
updates = json.loads(sys.argv[1])
out = [Response[Message].model_validate({"ok": True, "result": updates[2]["message"]}).model_dump(exclude_none=True)]
out += [Update.model_validate(u).model_dump(exclude_none=True) for u in updates]
markup = {"inline_keyboard": [[{"text": "a", "callback_data": "b"}]]}
out.append(SendMessage(chat_id=1, text="x", reply_markup=markup).model_dump(exclude_none=True))
print(json.dumps(out, ensure_ascii=False, sort_keys=True, default=repr))
"""


def _run(code: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_models_are_deferred_and_every_one_of_them_still_builds():
    report = _run(
        """
import json
import bot  # installs the deferral
from aiogram.types import Message, Update
from bot.lazy_aiogram import aiogram_models
deferred = [not Message.__pydantic_complete__, not Update.__pydantic_complete__]
failed = []
models = aiogram_models()
for cls in models:
    try:
        cls.model_rebuild(_parent_namespace_depth=0)  # what pydantic does at a model's first use
        assert cls.__pydantic_complete__
    except Exception as exc:
        failed.append(f"{cls.__module__}.{cls.__qualname__}: {exc}")
print(json.dumps({"deferred": deferred, "models": len(models), "failed": failed}))
"""
    )
    result = json.loads(report)
    assert result["deferred"] == [True, True], "aiogram's models were built at import"
    assert result["models"] > 300
    assert result["failed"] == []


def test_updates_and_methods_come_out_the_same_as_with_aiogram_s_own_build():
    payload = json.dumps(UPDATES)
    eager = _run(PARSE, payload)
    lazy = _run("import bot\n" + PARSE, payload)
    assert json.loads(lazy) == json.loads(eager)
    assert "Ольга" in lazy and "kicked" in lazy and "tri:1" in lazy
