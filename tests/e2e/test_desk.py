"""The operator desk, end to end: the real bot, a forum group of staff, families in private chats."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from tests.e2e.conftest import OPERATOR_CHAT
from tests.e2e.flows import buttons, db_rows, db_wait, labels, onboard, screen, tap
from tests.e2e.harness import BotProcess, run_cli

CRISIS_CHAT = -1001000000002
OLGA, IVAN, PETR, CRISIS_KATE = 900_001, 900_002, 900_003, 900_004
_family_ids = itertools.count(50_000)


def add_staff(proc: BotProcess, user_id: int, role: str, name: str, *extra: str) -> None:
    """`python -m bot staff add` — how an administrator registers staff."""
    out = run_cli(proc.env, "staff", "add", str(user_id), role, "--name", name, *extra)
    assert out.returncode == 0, out.stderr


class Desk:
    def __init__(self, fake, proc, ops, crisis, olga, ivan, petr, kate) -> None:
        self.fake, self.bot, self.ops, self.crisis = fake, proc, ops, crisis
        self.olga, self.ivan, self.petr, self.kate = olga, ivan, petr, kate

    def family(self, language_code: str = "ru"):
        return self.fake.user(next(_family_ids), "Мария", language_code=language_code)

    async def topic_of(self, case_id: int, chat=None, timeout: float = 10) -> int:
        chat = chat or self.ops

        def find():
            for t in chat.topics():
                if f"№{case_id} " in t["name"]:
                    return t["message_thread_id"]
            return None

        try:
            return await self.fake.wait_for(find, timeout)
        except TimeoutError:
            raise AssertionError(f"no topic for case {case_id}; topics: {chat.topics()}") from None

    async def in_topic(self, thread_id: int, predicate, chat=None, timeout: float = 10) -> dict:
        chat = chat or self.ops

        def find():
            for m in chat.messages(thread_id, from_bot=True):
                if predicate(m):
                    return m
            return None

        try:
            return await self.fake.wait_for(find, timeout)
        except TimeoutError:
            got = [(m.get("text") or m.get("caption") or next(iter(m))) for m in chat.messages(thread_id)]
            raise AssertionError(f"topic {thread_id} never showed the message; it has: {got}") from None

    def card(self, thread_id: int, chat=None) -> dict:
        chat = chat or self.ops
        return next(
            m for m in chat.messages(thread_id, from_bot=True) if "Обращение №" in (m.get("text") or "")
        )


def desk_env(**extra: str) -> dict[str, str]:
    return {
        "OPERATOR_CHAT_ID": str(OPERATOR_CHAT),
        "CRISIS_CHAT_ID": str(CRISIS_CHAT),
        "DESK_SCAN_SECONDS": "0.5",
        **extra,
    }


async def start_desk(fake, tmp_path, **env: str) -> Desk:
    ops = fake.forum_group(OPERATOR_CHAT, "Операторы")
    crisis = fake.forum_group(CRISIS_CHAT, "Кризисный центр")
    olga, ivan = fake.user(OLGA, "Ольга"), fake.user(IVAN, "Иван")
    petr, kate = fake.user(PETR, "Пётр"), fake.user(CRISIS_KATE, "Катя")
    for member in (olga, ivan, petr):
        ops.add_member(member)
    crisis.add_member(kate)
    crisis.add_member(olga)
    proc = BotProcess(fake, tmp_path, **desk_env(**env))
    run_cli(proc.env, "migrate").check_returncode()
    add_staff(proc, OLGA, "operator", "Ольга")
    add_staff(proc, IVAN, "specialist", "Иван", "--specialty", "lawyer")
    add_staff(proc, CRISIS_KATE, "crisis", "Катя")
    await proc.start()
    return Desk(fake, proc, ops, crisis, olga, ivan, petr, kate)


@pytest.fixture
async def desk(fake, tmp_path):
    d = await start_desk(fake, tmp_path)
    yield d
    if d.bot.proc and d.bot.proc.poll() is None:
        await d.bot.stop()


async def ask_lawyer(d: Desk, family) -> int:
    """Onboard, then «Поговорить со специалистом» → «Юрист»; returns the case number."""
    await onboard(family)
    tap(family, "Поговорить со специалистом")
    await screen(family, "С кем вы хотели бы поговорить")
    tap(family, "Юрист")
    await screen(family, "передано юристу")
    [(case_id,)] = await db_wait(
        d.fake,
        d.bot,
        "SELECT c.id FROM cases c JOIN families f ON f.id = c.family_id WHERE f.tg_user_id = ?",
        family.id,
    )
    return case_id


def text_of(m: dict) -> str:
    return m.get("text") or m.get("caption") or ""


# --- a case from triage to close ------------------------------------------------------------------------------


async def test_triage_case_gets_a_topic_with_its_card(desk):
    from tests.e2e.test_family import _walks

    answers = next(a for a, o in _walks() if o.route.type == "consultant")
    maria = desk.family()
    await onboard(maria)
    tap(maria, "Что случилось")
    await screen(maria, "Несколько коротких вопросов")
    for label in answers:
        before = maria.last_message()["text"]
        tap(maria, label)
        await desk.fake.wait_for(lambda b=before: maria.last_message()["text"] != b)
    tap(maria, "Передать мой запрос")
    handed = await screen(maria, "передано")
    assert "в очереди" in handed["text"] and "Напишите свой вопрос здесь" in handed["text"]
    [(case_id,)] = await db_wait(desk.fake, desk.bot, "SELECT id FROM cases")
    thread = await desk.topic_of(case_id)
    topic = desk.ops.topic(thread)
    assert "Пенз" not in topic.name and "RU-PNZ" in topic.name  # number, urgency, category, region code
    card = await desk.in_topic(thread, lambda m: "Обращение №" in text_of(m))
    assert labels(card) == ["Взять", "Передать", "Заметка", "Закрыть"]
    assert "Что случилось" in card["text"] and "Семья №" in card["text"]
    assert "Мария" not in card["text"]  # the family did not allow its name
    assert len(desk.ops.topics()) == 1  # one case, one topic


async def test_take_reply_note_canned_close_rate_and_reopen(desk):
    maria = desk.family()
    case_id = await ask_lawyer(desk, maria)
    thread = await desk.topic_of(case_id)
    card = await desk.in_topic(thread, lambda m: "Обращение №" in text_of(m))
    take = next(b["callback_data"] for b in buttons(card) if b["text"] == "Взять")

    # the family writes first: its message lands in the topic
    maria.send_text("Здравствуйте, у меня вопрос про алименты")
    await desk.in_topic(thread, lambda m: "алименты" in text_of(m))

    # two operators press «Взять» at the same moment: exactly one owner
    q1 = desk.olga.press(card, take)
    q2 = desk.ivan.press(card, take)
    await desk.fake.wait_for(lambda: desk.olga.callback_answer(q1) and desk.ivan.callback_answer(q2), 10)
    answers = [desk.olga.callback_answer(q1)["text"], desk.ivan.callback_answer(q2)["text"]]
    assert sorted(a.startswith("Уже взял") for a in answers) == [False, True]
    owners = db_rows(desk.bot, "SELECT owner_id, status FROM cases WHERE id = ?", case_id)
    assert owners[0][0] is not None and owners[0][1] == "in_progress"
    await desk.fake.wait_for(lambda: "Ведёт: —" not in desk.card(thread)["text"])
    await maria.wait_for_message("Специалист взял ваше обращение")

    # a stranger in the staff group can press nothing and relay nothing
    q3 = desk.petr.press(card, take, forge=True)
    await desk.fake.wait_for(lambda: desk.petr.callback_answer(q3), 5)
    assert "только сотрудники" in desk.petr.callback_answer(q3)["text"]
    desk.petr.send_text_in(desk.ops, "я тут случайно", thread_id=thread)
    await desk.in_topic(thread, lambda m: "работают только сотрудники" in text_of(m))

    # reply, note, canned answer
    desk.olga.send_text_in(desk.ops, "Здравствуйте! Расскажите, пожалуйста, подробнее.", thread_id=thread)
    await maria.wait_for_message("Расскажите, пожалуйста, подробнее")
    desk.olga.send_text_in(desk.ops, "! семья в стрессе, говорить мягко", thread_id=thread)
    desk.olga.send_text_in(desk.ops, "/c greeting", thread_id=thread)
    greeting = await maria.wait_for_message(f"обращение № {case_id}")
    assert "Здравствуйте" in greeting["text"]
    await asyncio.sleep(1)
    assert not [m for m in maria.messages() if "стрессе" in text_of(m)]  # the note never left the group
    assert db_rows(desk.bot, "SELECT count(*) FROM audit_log WHERE action = 'case.note'") == [(1,)]
    assert db_rows(desk.bot, "SELECT first_response_at IS NOT NULL FROM cases WHERE id = ?", case_id) == [
        (1,)
    ]

    # close: the family is asked for a rating; the topic is closed; the card offers «Открыть снова»
    card = desk.card(thread)
    desk.olga.press(card, next(b["callback_data"] for b in buttons(card) if b["text"] == "Закрыть"))
    rating = await maria.wait_for_message("Насколько мы помогли")
    assert labels(rating) == ["1", "2", "3", "4", "5"]
    await desk.fake.wait_for(lambda: desk.ops.topic(thread).closed, 5)
    await desk.fake.wait_for(lambda: labels(desk.card(thread)) == ["Открыть снова"], 5)
    tap(maria, "4")
    await screen(maria, "добавить пару слов")
    maria.send_text("Спасибо, всё понятно объяснили")
    await maria.wait_for_message("Спасибо, мы передали")
    [(status, rating_v, comment)] = await db_wait(
        desk.fake,
        desk.bot,
        "SELECT status, rating, comment FROM cases WHERE id = ?",
        case_id,
        until=lambda rows: rows[0][2] is not None,
    )
    assert (status, rating_v, comment) == ("closed", 4, "Спасибо, всё понятно объяснили")

    # the family reopens it from «Мои обращения»
    maria.send_text("/menu")
    await screen(maria, "Чем мы можем помочь")
    tap(maria, "Мои обращения")
    await screen(maria, f"№ {case_id}")
    tap(maria, f"Открыть снова № {case_id}")
    await screen(maria, "снова открыто")
    await desk.in_topic(thread, lambda m: "снова открыла" in text_of(m))
    assert db_rows(desk.bot, "SELECT status FROM cases WHERE id = ?", case_id) == [("queued",)]
    await desk.fake.wait_for(lambda: not desk.ops.topic(thread).closed, 5)
    actions = {a for (a,) in db_rows(desk.bot, "SELECT action FROM audit_log")}
    assert {
        "case.opened",
        "case.taken",
        "case.reply",
        "case.note",
        "case.canned",
        "case.status",
        "case.rated",
    } <= actions


async def test_free_text_opens_a_case_and_media_albums_replies_and_edits_go_both_ways(desk):
    maria = desk.family()
    await onboard(maria)
    first = maria.send_text(
        "Добрый день. Хочу поговорить со специалистом: нам отказали в пособии, что делать?"
    )
    opened = await maria.wait_for_message("передано", 10)
    assert "в очереди" in opened["text"]
    [(case_id, source)] = await db_wait(desk.fake, desk.bot, "SELECT id, source FROM cases")
    assert source == "message"
    thread = await desk.topic_of(case_id)
    copy = await desk.in_topic(thread, lambda m: "отказали в пособии" in text_of(m))

    # family → staff: photo, document, voice, sticker, location, contact, video note, an album
    maria.send_photo(caption="вот решение")
    maria.send_document(caption="заявление")
    maria.send_voice()
    maria.send_sticker()
    maria.send_location(55.75, 37.61)
    maria.send_contact("+79990000000", "Мария")
    maria.send_video_note()
    album = maria.send_album(["photo", ("photo", "второй лист")])
    for kind in ("photo", "document", "voice", "sticker", "location", "contact", "video_note"):
        await desk.in_topic(thread, lambda m, k=kind: k in m)
    copies = await desk.fake.wait_for(
        lambda: [m for m in desk.ops.messages(thread, from_bot=True) if m.get("media_group_id")] or None, 10
    )
    await desk.fake.wait_for(
        lambda: len([m for m in desk.ops.messages(thread, from_bot=True) if m.get("media_group_id")]) == 2, 10
    )
    copies = [m for m in desk.ops.messages(thread, from_bot=True) if m.get("media_group_id")]
    assert len({m["media_group_id"] for m in copies}) == 1  # the album stays an album
    assert len(album) == 2

    # staff → family: a reply to the family's message keeps its threading; a photo too
    desk.olga.reply(copy, "Пришлите, пожалуйста, текст отказа")
    answer = await maria.wait_for_message("текст отказа")
    assert answer.get("reply_to_message", {}).get("message_id") == first["message_id"]
    desk.olga.send_photo(group=desk.ops, thread_id=thread, caption="образец заявления")
    await maria.wait_for_message(lambda m: "photo" in m and "образец" in m.get("caption", ""))

    # the family replies to the operator's message: threaded in the topic too
    maria.reply(answer, "Сейчас пришлю")
    threaded = await desk.in_topic(thread, lambda m: text_of(m) == "Сейчас пришлю")
    staff_msg = next(
        m for m in desk.ops.messages(thread) if text_of(m) == "Пришлите, пожалуйста, текст отказа"
    )
    assert threaded["reply_to_message"]["message_id"] == staff_msg["message_id"]

    # edits are mirrored both ways
    maria.edit(first, "Добрый день. Нам отказали в едином пособии, что делать?")
    await desk.fake.wait_for(
        lambda: "едином пособии" in text_of(desk.ops.messages(thread)[_index(desk, thread, copy)]), 10
    )
    desk.olga.edit(staff_msg, "Пришлите, пожалуйста, текст отказа целиком")
    await desk.fake.wait_for(lambda: "целиком" in text_of(_by_id(maria, answer["message_id"])), 10)


def _index(d: Desk, thread: int, msg: dict) -> int:
    ids = [m["message_id"] for m in d.ops.messages(thread)]
    return ids.index(msg["message_id"])


def _by_id(user, message_id: int) -> dict:
    return next(m for m in user.messages() if m["message_id"] == message_id)


async def test_long_caption_is_split_not_dropped(desk):
    maria = desk.family()
    case_id = await ask_lawyer(desk, maria)
    thread = await desk.topic_of(case_id)
    caption = ("Очень длинная подпись к документу. " * 30).strip()  # over a topic's 1023-character limit
    maria.send_document(caption=caption)
    media = await desk.in_topic(thread, lambda m: "document" in m)
    await desk.fake.wait_for(
        lambda: (
            "".join(
                text_of(m).replace(" ", "")
                for m in desk.ops.messages(thread, from_bot=True)
                if "Очень" in text_of(m)
            )
            == caption.replace(" ", "")
        ),
        10,
    )
    assert len(media.get("caption", "")) <= 1023


async def test_an_edit_longer_than_telegram_allows_is_clipped_not_lost(desk):
    """Found by the fuzzer: an edit is re-sent as text by the bot, and 4,096 UTF-16 units (an emoji counts two)
    is Telegram's limit; the edit arrived in the topic as a refused call and a failed relay item."""
    maria = desk.family()
    case_id = await ask_lawyer(desk, maria)
    thread = await desk.topic_of(case_id)
    first = maria.send_text("Коротко о деле")
    copy = await desk.in_topic(thread, lambda m: text_of(m) == "Коротко о деле")
    maria.edit(first, "Ж😀" * 1400)  # 1,400 code points but 4,200 UTF-16 units
    await desk.fake.wait_for(
        lambda: text_of(desk.ops.messages(thread)[_index(desk, thread, copy)]).startswith("Ж😀Ж😀"), 10
    )
    edited = text_of(desk.ops.messages(thread)[_index(desk, thread, copy)])
    assert edited.endswith("…") and len(edited.encode("utf-16-le")) // 2 <= 4096
    assert " failed: " not in desk.bot.log()


async def test_transfer_to_specialty_and_to_crisis_centre(desk):
    maria = desk.family()
    case_id = await ask_lawyer(desk, maria)
    thread = await desk.topic_of(case_id)
    card = await desk.in_topic(thread, lambda m: "Обращение №" in text_of(m))
    desk.olga.press(card, next(b["callback_data"] for b in buttons(card) if b["text"] == "Передать"))
    await desk.fake.wait_for(lambda: "психолог" in labels(desk.card(thread)), 5)
    desk.olga.press(
        desk.card(thread),
        next(b["callback_data"] for b in buttons(desk.card(thread)) if b["text"] == "психолог"),
    )
    await desk.fake.wait_for(
        lambda: db_rows(desk.bot, "SELECT specialty FROM cases WHERE id = ?", case_id) == [("psychologist",)],
        5,
    )
    await desk.fake.wait_for(lambda: "психолог" in desk.card(thread)["text"], 5)
    card = desk.card(thread)
    desk.olga.press(card, next(b["callback_data"] for b in buttons(card) if b["text"] == "Передать"))
    await desk.fake.wait_for(lambda: "Кризисный центр" in labels(desk.card(thread)), 5)
    desk.olga.press(
        desk.card(thread),
        next(b["callback_data"] for b in buttons(desk.card(thread)) if b["text"] == "Кризисный центр"),
    )
    crisis_thread = await desk.topic_of(case_id, desk.crisis)
    await desk.in_topic(crisis_thread, lambda m: "Обращение №" in text_of(m), desk.crisis)
    await desk.in_topic(thread, lambda m: "передано в другую группу" in text_of(m))
    assert db_rows(desk.bot, "SELECT tier, chat_id FROM cases WHERE id = ?", case_id) == [(3, CRISIS_CHAT)]
    maria.send_text("Мне страшно оставаться дома")
    await desk.in_topic(crisis_thread, lambda m: "страшно" in text_of(m), desk.crisis)
    transfers = db_rows(desk.bot, "SELECT count(*) FROM audit_log WHERE action = 'case.transferred'")
    assert transfers == [(2,)]


async def test_emergency_bypasses_the_queue_and_alerts_crisis_staff(desk):
    calm = desk.family()
    await ask_lawyer(desk, calm)
    maria = desk.family()
    await onboard(maria)
    maria.send_text("муж избил меня, я боюсь за детей")
    await maria.wait_for_message("112")
    tap(maria, "Связаться с кризисным центром")
    await maria.wait_for_message("кризисный центр")
    [(case_id,)] = await db_wait(desk.fake, desk.bot, "SELECT id FROM cases WHERE tier = 3")
    thread = await desk.topic_of(case_id, desk.crisis)
    alert = await desk.in_topic(thread, lambda m: "Экстренное обращение" in text_of(m), desk.crisis)
    assert [e["user"]["id"] for e in alert.get("entities", []) if e["type"] == "text_mention"] == [
        CRISIS_KATE
    ]
    desk.kate.send_text_in(desk.crisis, "/queue")
    queue = await desk.crisis.wait_for_message("Ждут ответа", 10)
    assert f"№{case_id}" in queue["text"]
    desk.olga.send_text_in(desk.ops, "/queue")
    ops_queue = await desk.ops.wait_for_message("Ждут ответа", 10)
    assert f"№{case_id}" not in ops_queue["text"]  # each group sees its own queue


async def test_staff_outside_topics_get_a_hint(desk):
    desk.olga.send_text_in(desk.ops, "Коллеги, кто сегодня дежурит?")
    hint = await desk.ops.wait_for_message("не обращение", 10)
    assert "/queue" in hint["text"]


async def test_blocked_family_makes_the_case_unreachable(desk):
    maria = desk.family()
    case_id = await ask_lawyer(desk, maria)
    thread = await desk.topic_of(case_id)
    maria.block_bot()
    desk.olga.send_text_in(desk.ops, "Добрый день! Вы на связи?", thread_id=thread)
    await desk.in_topic(thread, lambda m: "заблокировала бота" in text_of(m))
    assert db_rows(desk.bot, "SELECT status FROM cases WHERE id = ?", case_id) == [("unreachable",)]
    maria.send_text("Извините, я случайно")  # writing again unblocks: the case comes back
    await desk.in_topic(thread, lambda m: "случайно" in text_of(m))
    await db_wait(
        desk.fake,
        desk.bot,
        "SELECT status FROM cases WHERE id = ?",
        case_id,
        until=lambda r: r[0][0] != "unreachable",
    )


async def test_deleted_topic_is_recreated_with_the_card(desk):
    maria = desk.family()
    case_id = await ask_lawyer(desk, maria)
    thread = await desk.topic_of(case_id)
    await desk.in_topic(thread, lambda m: "Обращение №" in text_of(m))
    desk.ops.delete_topic(thread)
    maria.send_text("Вы меня слышите?")

    def new_topic():
        live = [t for t in desk.ops.topics() if f"№{case_id} " in t["name"]]
        return live[0]["message_thread_id"] if live else None

    new_thread = await desk.fake.wait_for(new_topic, 15)
    assert new_thread != thread
    await desk.in_topic(new_thread, lambda m: "Обращение №" in text_of(m))
    await desk.in_topic(new_thread, lambda m: "слышите" in text_of(m))
    assert db_rows(desk.bot, "SELECT thread_id FROM cases WHERE id = ?", case_id) == [(new_thread,)]
