"""`python -m bot demo`: the real bot process against the local fake Bot API, with a scripted family and
an operator in the operators' forum group.

No token and no internet needed. Prints the conversation as the family and the operator see it.
"""

from __future__ import annotations

import tempfile
import textwrap
from pathlib import Path

from bot.config import ROOT


def _print_bot(msg: dict) -> None:
    text = msg.get("text") or msg.get("caption") or ""
    print("🤖 Бот:")
    for line in text.splitlines() or [""]:
        print(textwrap.indent(textwrap.fill(line, 100) if line else "", "   "))
    rows = (msg.get("reply_markup") or {}).get("inline_keyboard", [])
    for row in rows:
        print("   " + "  ".join(f"[{b['text']}]" for b in row))
    print()


async def main(*, keep: bool = False) -> int:
    import sys

    sys.path.insert(0, str(ROOT))
    from tests.e2e.flows import screen, tap
    from tests.e2e.harness import TOKEN, BotProcess
    from tests.fake_telegram import FakeTelegram

    workdir = Path(tempfile.mkdtemp(prefix="semeynoe-okno-demo-"))
    fake = FakeTelegram(token=TOKEN, record_polls=True)
    await fake.start()
    ops = fake.forum_group(-1001000000001, "Операторы")
    olga = fake.user(7100, "Ольга", language_code="ru")
    ops.add_member(olga)
    proc = BotProcess(fake, workdir, OPERATOR_CHAT_ID="-1001000000001")
    import subprocess

    subprocess.run(  # noqa: ASYNC221 (once, before the bot starts: an administrator registering staff)
        [sys.executable, "-m", "bot", "staff", "add", str(olga.id), "operator", "--name", "Ольга"],
        cwd=ROOT,
        env=proc.env,
        check=True,
        capture_output=True,
    )
    print(f"Fake Telegram Bot API at {fake.base_url}; starting `python -m bot run` against it…\n")
    await proc.start()
    family = fake.user(7001, "Анна", language_code="ru")

    async def say(text: str, expect: str) -> None:
        print(f"👪 Семья: {text}\n")
        family.send_text(text)
        _print_bot(await family.wait_for_message(expect, timeout=10))

    async def press(label: str, expect: str = "") -> None:
        print(f"👪 Семья нажимает [{label}]\n")
        before = family.last_message()
        tap(family, label)
        if expect:
            _print_bot(await screen(family, expect, timeout=10))
        else:
            _print_bot(
                await fake.wait_for(lambda: family.last_message() != before and family.last_message(), 10)
            )

    async def operator_answers() -> None:
        topic = await fake.wait_for(lambda: ops.topics() and ops.topics()[-1], 10)
        thread = topic["message_thread_id"]
        print(f"🗂 В группе операторов появилась тема «{topic['name']}»\n")
        card = await fake.wait_for(
            lambda: next(
                (m for m in ops.messages(thread, from_bot=True) if "Обращение №" in m.get("text", "")), None
            ),
            10,
        )
        _print_bot(card)
        take = next(b for row in card["reply_markup"]["inline_keyboard"] for b in row if b["text"] == "Взять")
        print("🧑‍💼 Ольга нажимает [Взять]\n")
        olga.press(card, take["callback_data"])
        _print_bot(await family.wait_for_message("Специалист взял", timeout=10))
        reply = "Здравствуйте, Анна! Я Ольга, юрист. Расскажите, пожалуйста, что случилось."
        print(f"🧑‍💼 Ольга пишет в теме: {reply}\n")
        olga.send_text_in(ops, reply, thread_id=thread)
        _print_bot(await family.wait_for_message("Расскажите", timeout=10))

    try:
        await say("/start", "Семейное окно")
        await press("Продолжить", "согласны")
        await press("Согласен(на)", "В каком регионе")
        await press("Пензенская область", "Расскажите немного о семье")
        await press("Позже, в меню", "Чем мы можем помочь")
        await press("Что случилось", "опасность")
        await press("Нет", "помощь")
        await press("Юридический вопрос", "вопрос")
        first_option = (family.last_message()["reply_markup"]["inline_keyboard"][0][0])["text"]
        await press(first_option)
        if any(
            b["text"] == "Передать мой запрос"
            for row in family.last_message()["reply_markup"]["inline_keyboard"]
            for b in row
        ):
            await press("Передать мой запрос", "передано")
            await operator_answers()
        await say("муж опять напился и избил меня, дети плачут", "112")
        await press("Нет", "Позвоните 112")
        await say("/menu", "Чем мы можем помочь")
        await press("Меры поддержки", "")
        await press("Подобрать меры", "")
        for _ in range(12):  # answer the screener with the first option of each question
            rows = (family.last_message().get("reply_markup") or {}).get("inline_keyboard", [])
            options = [
                b for row in rows for b in row if b.get("callback_data", "").startswith(("msq:", "msy:"))
            ]
            if not options:
                break
            await press(options[0]["text"])
        print(f"Spec violations recorded by the fake Bot API: {len(fake.violations)}")
    finally:
        await proc.stop()
        await fake.stop()
        if not keep:
            import shutil

            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"Demo database kept in {workdir}")
    return 0 if not fake.violations else 1
