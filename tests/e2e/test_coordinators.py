"""Coordinators, end to end: the real bot process, the fake Bot API, a real SQLite file.

Broadcasts (compose → audience → preview → schedule → send → report, opt-out, blocked families, a kill -9 in the
middle of sending), /stats with its chart and XLSX, staff and the audit log, and refusal for everyone else.
Families are put straight into the database (they are the input here; their own journeys have their own tests).
"""

from __future__ import annotations

import io
import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from bot.db.models import Case, CrisisEvent, Family, FollowUp
from tests.e2e.flows import as_utc, buttons, db_rows, db_wait, labels, screen, tap
from tests.e2e.harness import BotProcess, run_cli

COORD = 700_001
_family_ids = itertools.count(710_000)


def migrate(proc: BotProcess) -> None:
    run_cli(proc.env, "migrate").check_returncode()


def seed(proc: BotProcess, fake, *specs: dict) -> list:
    """Families as the bot stores them after onboarding; each gets a fake Telegram user who started the bot."""
    users = []
    now = datetime.now(UTC)

    def add(s) -> None:
        for spec in specs:
            spec = dict(spec)
            user = fake.user(
                next(_family_ids),
                spec.pop("name", "Семья"),
                language_code=spec.get("language", "ru"),
                started=True,
            )
            consented = spec.pop("consented", True)
            s.add(
                Family(
                    tg_user_id=user.id,
                    language=spec.pop("language", "ru"),
                    region=spec.pop("region", "RU-PNZ"),
                    consent_at=now if consented else None,
                    consent_version="1" if consented else None,
                    profile=spec.pop("profile", {}),
                    last_seen_at=now,
                    created_at=now,
                    **spec,
                )
            )
            users.append(user)

    proc.orm(add)
    return users


def family_id(proc: BotProcess, user) -> int:
    return db_rows(proc, "SELECT id FROM families WHERE tg_user_id = ?", user.id)[0][0]


def env(**extra: str) -> dict[str, str]:
    return {
        "COORDINATOR_IDS": str(COORD),
        "BROADCAST_PROGRESS_SECONDS": "0.3",
        "BROADCAST_SCAN_SECONDS": "0.2",
        "PRIVATE_MESSAGES_PER_SECOND": "5",  # the coordinator reads many screens: keep the run short
        **extra,
    }


async def start(fake, tmp_path, *specs: dict, **extra: str):
    proc = BotProcess(fake, tmp_path, **env(**extra))
    migrate(proc)
    users = seed(proc, fake, *specs)
    await proc.start()
    return proc, users


def announcements(user, needle: str) -> list[dict]:
    return [m for m in user.messages() if needle in (m.get("text") or m.get("caption") or "")]


async def compose(coord, text: str, entities: list | None = None) -> dict:
    coord.send_text("/broadcast")
    await screen(coord, "Новая рассылка")
    coord._post({"text": text, **({"entities": entities} if entities else {})})
    return await screen(coord, "черновик")


async def send_now(coord, text: str, audience: int) -> None:
    """Compose an announcement and send it now; the confirmation names the number of families."""
    await compose(coord, text)
    tap(coord, "Отправить сейчас")
    dative = (
        "семье" if audience % 10 == 1 and audience % 100 != 11 else "семьям"
    )  # 1, 21, 41 семье; 2, 5 семьям
    await screen(coord, f"сейчас — {audience} {dative}")
    tap(coord, "Да, отправить")


async def kill_halfway(fake, users: list, text: str, kill, after: int) -> None:
    """``kill()`` the sender once ``after`` of ``users`` have the announcement; the broadcast must not be over."""

    def delivered() -> int:
        return sum(1 for u in users if announcements(u, text))

    await fake.wait_for(lambda: delivered() >= after, timeout=30)
    await kill()
    assert delivered() < len(users) - 5, "the broadcast finished before the kill; the test proves nothing"


@pytest.fixture
async def stop_bots():
    procs: list[BotProcess] = []
    yield procs
    for p in procs:
        if p.proc and p.proc.poll() is None:
            await p.stop()


# --- compose → audience → preview → schedule → send → report --------------------------------------------------


async def test_broadcast_from_draft_to_report(fake, tmp_path, stop_bots):
    proc, (large, hidden, opted_out, blocker, moscow, english, no_consent) = await start(
        fake,
        tmp_path,
        {"profile": {"children_count": 3}},
        {"discreet": True},
        {"broadcasts_off": True},
        {},
        {"region": "RU-MOW"},
        {"language": "en"},
        {"consented": False},
        BROADCAST_RATE="20",
    )
    stop_bots.append(proc)
    coord = fake.user(COORD, "Марина", language_code="ru")
    text = "Ярмарка вакансий для родителей в субботу"
    draft = await compose(coord, text, [{"type": "bold", "offset": 0, "length": 7}])
    assert "Получат семей: 5" in draft["text"]  # consented, not opted out, any region

    tap(coord, "Аудитория")
    await screen(coord, "Кому отправить")
    tap(coord, "Регион")
    await screen(coord, "нажмите, чтобы выбрать")
    tap(coord, "Пензенская область")
    region_screen = await screen(coord, "Получат семей: 4")
    assert "✓ Пензенская область" in labels(region_screen)
    tap(coord, "Готово")
    await screen(coord, "Кому отправить")
    tap(coord, "« К черновику")
    back = await screen(coord, "Кнопок-ссылок: 0")
    assert "Регион: Пензенская область" in back["text"]

    tap(coord, "Кнопки-ссылки")
    await screen(coord, "по одной в строке")
    coord.send_text("Подробнее | https://example.org/jobs")
    await screen(coord, "Кнопок-ссылок: 1")
    tap(coord, "Вопрос")
    await screen(coord, "варианты ответа")
    coord.send_text("Приду\nНе смогу")
    await screen(coord, "Вопрос с ответами: Приду / Не смогу")

    tap(coord, "Предпросмотр")
    preview = await coord.wait_for_message(text)
    assert preview["entities"] == [{"type": "bold", "offset": 0, "length": 7}]
    assert labels(preview) == ["Подробнее", "Приду", "Не смогу", "Не присылать рассылки"]
    assert buttons(preview)[0]["url"] == "https://example.org/jobs"
    await screen(coord, "Получат семей: 4")
    assert announcements(large, text) == []  # a preview goes to nobody else

    tap(coord, "Запланировать")
    await screen(coord, "Время местное для региона: Europe/Moscow")
    tap(coord, "Завтра в 18:00")
    await screen(coord, "примерно 4 семьям")
    tap(coord, "Да, запланировать")
    await screen(coord, "запланирована на")
    tomorrow = datetime.now(ZoneInfo("Europe/Moscow")).date() + timedelta(days=1)
    expected = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 18, 0, tzinfo=ZoneInfo("Europe/Moscow"))
    ((send_at, _status),) = await db_wait(
        fake,
        proc,
        "SELECT send_at, status FROM broadcasts WHERE id = 1",
        until=lambda r: r[0][1] == "scheduled",
    )
    assert as_utc(send_at) == expected.astimezone(UTC)

    # A second one, scheduled and then stopped: nobody gets it.
    await compose(coord, "Отменённое объявление")
    tap(coord, "Запланировать")
    await screen(coord, "Когда отправить")
    coord.send_text((datetime.now(ZoneInfo("Europe/Moscow")) + timedelta(days=2)).strftime("%d.%m 09:30"))
    await screen(coord, "Отправить рассылку № 2")
    tap(coord, "Да, запланировать")
    await screen(coord, "запланирована на")
    tap(coord, "Остановить")
    await screen(coord, "Остановить рассылку № 2?")
    tap(coord, "Да, остановить")
    await screen(coord, "Рассылка № 2 остановлена")

    # This family blocked the bot while it was down, so the bot has not heard of it: the send answers 403.
    fake.fail_next("sendMessage", chat_id=blocker.id, error="403")
    # Time travel: tomorrow 18:00 is now (the schedule itself was checked above).
    db_rows(proc, "UPDATE broadcasts SET send_at = '2000-01-01 00:00:00.000000' WHERE id IN (1, 2)")
    await coord.wait_for_message("Рассылка № 1: отчёт", timeout=20)
    report = coord.messages()[-1]["text"]
    assert "Получили: 3 из 4 семей" in report, report
    assert "Заблокировали бот: 1" in report

    got = announcements(large, text)
    assert len(got) == 1 and got[0]["entities"] == [{"type": "bold", "offset": 0, "length": 7}]
    assert labels(got[0]) == ["Подробнее", "Приду", "Не смогу", "Не присылать рассылки"]
    eng = announcements(english, text)
    assert len(eng) == 1 and labels(eng[0])[-1] == "Stop announcements"
    teaser = hidden.messages()[-1]
    assert teaser["text"] == "Здравствуйте! У нас для вас новости." and "Показать" in labels(teaser)
    assert announcements(hidden, text) == []
    for user in (opted_out, moscow, no_consent):
        assert announcements(user, text) == []
    for user in (large, hidden, english, moscow):
        assert announcements(user, "Отменённое объявление") == []
    assert db_rows(proc, "SELECT is_active FROM families WHERE tg_user_id = ?", blocker.id) == [(0,)]
    statuses = dict(
        db_rows(
            proc, "SELECT status, count(*) FROM broadcast_recipients WHERE broadcast_id = 1 GROUP BY status"
        )
    )
    assert statuses == {"sent": 3, "blocked": 1}

    # The status message was edited in place and ends as sent.
    status_msg = next(
        m for m in coord.messages() if m["text"].startswith("Рассылка № 1: ") and "Отправлено:" in m["text"]
    )
    assert "отправлена" in status_msg["text"] and coord.history(status_msg)

    # The family in discreet mode opens it with «Показать».
    tap(hidden, "Показать")
    shown = await hidden.wait_for_message(text)
    assert "Приду" in labels(shown)

    # Answers are counted; a second tap changes the answer.
    tap(large, "Приду")
    tap(hidden, "Не смогу")
    await db_wait(fake, proc, "SELECT count(*) FROM broadcast_answers", until=lambda r: r[0][0] == 2)

    # Opt-out in one tap.
    tap(english, "Stop announcements")
    await english.wait_for_message("we will not send you announcements")
    await db_wait(
        fake,
        proc,
        "SELECT broadcasts_off FROM families WHERE tg_user_id = ?",
        english.id,
        until=lambda r: r == [(1,)],
    )

    coord.send_text("/broadcasts")
    await screen(coord, "Последние рассылки")
    tap(coord, "Отчёт № 1")
    final = await coord.wait_for_message("Рассылка № 1: отчёт")
    assert "Приду: 1" in final["text"] and "Не смогу: 1" in final["text"]
    assert "Отписались после неё: 1" in final["text"]
    wanted = {"broadcast.draft", "broadcast.scheduled", "broadcast.cancelled", "broadcast.report"}
    await db_wait(
        fake,
        proc,
        "SELECT action FROM audit_log WHERE actor_tg_id = ?",
        COORD,
        until=lambda r: wanted <= {a for (a,) in r},
    )


# --- a crash in the middle of sending ------------------------------------------------------------------------


async def test_kill_mid_broadcast_no_duplicates(fake, tmp_path, stop_bots):
    n = 60
    proc, users = await start(fake, tmp_path, *({} for _ in range(n)), BROADCAST_RATE="10")
    stop_bots.append(proc)
    fake.fail_next("sendMessage", chat_id=users[40].id, error="500")  # transient: retried
    fake.fail_next("sendMessage", chat_id=users[45].id, error="403")  # blocked the bot
    coord = fake.user(COORD, "Марина", language_code="ru")
    text = "Приглашаем на день открытых дверей"
    await send_now(coord, text, audience=60)
    await kill_halfway(fake, users, text, proc.kill, after=15)
    await proc.start()
    await coord.wait_for_message("Рассылка № 1: отчёт", timeout=30)

    counts = [len(announcements(u, text)) for u in users]
    assert max(counts) == 1, f"duplicates: {[i for i, c in enumerate(counts) if c > 1]}"
    missing = [i for i, c in enumerate(counts) if c == 0]
    statuses = dict(db_rows(proc, "SELECT status, count(*) FROM broadcast_recipients GROUP BY status"))
    assert statuses.get("blocked") == 1
    assert statuses.get("sent", 0) + statuses.get("unknown", 0) == n - 1
    # in flight when the bot was killed (claimed, the answer not yet recorded): sent or not, never sent again; at
    # most one per sender worker (4). Everyone else but the family who blocked the bot got exactly one.
    in_flight = statuses.get("unknown", 0)
    assert 45 in missing and in_flight <= 4, (missing, statuses)
    status_of = dict(
        db_rows(
            proc,
            "SELECT f.tg_user_id, r.status FROM broadcast_recipients r JOIN families f ON f.id = r.family_id",
        )
    )
    assert status_of[users[45].id] == "blocked"
    assert all(status_of[users[i].id] == "unknown" for i in missing if i != 45), (missing, status_of)
    assert "Заблокировали бот: 1" in coord.messages()[-1]["text"]


async def test_one_status_message_even_when_the_broadcast_ends_while_it_is_being_sent(
    fake, tmp_path, stop_bots
):
    """Promise: the coordinator gets one status message per broadcast, edited in place to the end. A short
    broadcast can finish while its first status message is still on its way (here Telegram takes 2 s to answer
    it): the status still ends as sent, in that one message, not in a second one beside a stale «sending»."""
    proc, users = await start(fake, tmp_path, {}, {})
    stop_bots.append(proc)
    coord = fake.user(COORD, "Марина", language_code="ru")
    text = "Напоминаем о собрании в пятницу"
    await compose(coord, text)
    tap(coord, "Отправить сейчас")
    await screen(coord, "сейчас — 2 семьям")
    fake.fail_next("sendMessage", chat_id=COORD, error="late", delay=2)  # the first status message
    tap(coord, "Да, отправить")
    await coord.wait_for_message("Рассылка № 1: отчёт", timeout=30)
    assert all(len(announcements(u, text)) == 1 for u in users)

    def status_messages() -> list[dict]:
        return [
            m
            for m in coord.messages()
            if m["text"].startswith("Рассылка № 1: ") and "Отправлено:" in m["text"]
        ]

    await fake.wait_for(lambda: "отправлена" in status_messages()[-1]["text"], timeout=10)
    assert len(status_messages()) == 1, [m["text"] for m in status_messages()]


# --- reports -------------------------------------------------------------------------------------------------


async def test_stats_chart_and_xlsx(fake, tmp_path, stop_bots):
    proc = BotProcess(fake, tmp_path, **env())
    migrate(proc)
    (fam,) = seed(proc, fake, {"display_name": "Анна Смирнова"})
    now = datetime.now(UTC) - timedelta(hours=3)

    def add(s) -> None:
        fid = s.query(Family.id).scalar()
        s.add_all(
            [
                Case(
                    family_id=fid,
                    region="RU-PNZ",
                    tier=2,
                    category="legal",
                    urgency="routine",
                    status="closed",
                    opened_at=now,
                    first_response_at=now + timedelta(minutes=10),
                    closed_at=now + timedelta(hours=2),
                    rating=5,
                    unmet_needs=["Нет юриста по жилью"],
                ),
                Case(
                    family_id=fid,
                    region="RU-PNZ",
                    tier=2,
                    category="legal",
                    urgency="soon",
                    status="in_progress",
                    opened_at=now,
                    first_response_at=now + timedelta(minutes=30),
                ),
                Case(
                    family_id=fid,
                    region="RU-PNZ",
                    tier=3,
                    category="violence_safety",
                    urgency="emergency",
                    status="unreachable",
                    opened_at=now,
                ),
                Case(
                    family_id=fid,
                    region="RU-MOW",
                    tier=2,
                    category="housing",
                    urgency="routine",
                    status="new",
                    opened_at=now,
                ),
                CrisisEvent(
                    family_id=fid,
                    region="RU-PNZ",
                    categories=["violence"],
                    source="free_text",
                    created_at=now,
                ),
                FollowUp(
                    family_id=fid,
                    measure_ids=["m1"],
                    region="RU-PNZ",
                    status="answered",
                    created_at=now,
                    due_at=now,
                    sent_at=now,
                    answer="not_applied",
                    reason="documents",
                    answered_at=now,
                ),
            ]
        )

    proc.orm(add)
    await proc.start()
    stop_bots.append(proc)
    coord = fake.user(COORD, "Марина", language_code="ru")
    today = datetime.now(ZoneInfo("Europe/Moscow")).date()
    coord.send_text(f"/stats {today - timedelta(days=7)} {today} RU-PNZ")
    summary = await coord.wait_for_message("Отчёт за", timeout=15)
    assert "Обращений: 3 · открыто 1 · закрыто 1 · семья недоступна 1" in summary["text"]
    assert "Сигналов опасности: 1 · кризисных обращений: 1" in summary["text"]
    photo = await coord.wait_for_message(lambda m: "photo" in m, timeout=15)
    chart = fake.world.files[photo["photo"][-1]["file_id"]].content
    assert chart.startswith(b"\x89PNG")
    xlsx_msg = await coord.wait_for_message(
        lambda m: m.get("document", {}).get("file_name", "").endswith(".xlsx"), timeout=15
    )
    wb = load_workbook(io.BytesIO(fake.world.files[xlsx_msg["document"]["file_id"]].content))
    summary_rows = {r[0]: r[1] for r in wb["Сводка"].iter_rows(min_row=4, values_only=True)}
    assert summary_rows["Обращения"] == 3
    assert summary_rows["Закрыто"] == 1
    assert summary_rows["Время до первого ответа, медиана (мин)"] == 20
    assert summary_rows["Средняя оценка (1–5)"] == 5
    categories = {r[0]: r[1] for r in wb["Обращения по темам"].iter_rows(min_row=4, values_only=True)}
    assert sum(categories.values()) == 3 and len(categories) == 2
    reasons = {r[0]: r[1] for r in wb["Не обращались — причины"].iter_rows(min_row=4, values_only=True)}
    assert reasons["документы"] == 1
    needs = [
        r
        for r in wb["Неудовлетворённые потребности (отметки операторов)"[:31]].iter_rows(
            min_row=4, values_only=True
        )
    ]
    assert needs == [("нет юриста по жилью", 1)]
    every_cell = " ".join(
        str(c) for ws in wb for row in ws.iter_rows(values_only=True) for c in row if c is not None
    )
    assert str(fam.id) not in every_cell and "Смирнова" not in every_cell  # no Telegram ids or names
    await coord.wait_for_message(
        lambda m: m.get("document", {}).get("file_name", "").endswith(".csv"), timeout=15
    )

    # The CLI writes the same workbook.
    out = tmp_path / "cli.xlsx"
    done = run_cli(
        proc.env,
        "report",
        "--from",
        str(today - timedelta(days=7)),
        "--to",
        str(today),
        "--region",
        "RU-PNZ",
        "--out",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    cli_summary = {r[0]: r[1] for r in load_workbook(out)["Сводка"].iter_rows(min_row=4, values_only=True)}
    assert cli_summary == summary_rows


# --- staff and the audit log ---------------------------------------------------------------------------------


async def test_staff_admin_and_audit(fake, tmp_path, stop_bots):
    proc, _users = await start(fake, tmp_path)
    stop_bots.append(proc)
    coord = fake.user(COORD, "Марина", language_code="ru")
    coord.send_text("/staff add 777001 specialist lawyer Иван Петров")
    await screen(coord, "Готово: Иван Петров (777001) теперь специалист, юрист")
    coord.send_text("/staff add 777002 crisis Катя")
    await screen(coord, "теперь кризисный специалист")
    coord.send_text("/staff add 777003 specialist")
    await screen(coord, "Укажите специализацию")
    coord.send_text("/staff")
    listing = await screen(coord, "Сотрудники")
    assert "Иван Петров · 777001 · специалист · юрист" in listing["text"]
    coord.send_text("/staff remove 777002")
    await screen(coord, "777002 больше не сотрудник")
    await db_wait(
        fake, proc, "SELECT active FROM staff WHERE tg_user_id = 777002", until=lambda r: r == [(0,)]
    )
    coord.send_text("/audit person 777002")
    log = await screen(coord, "Журнал: person 777002")
    assert "staff.set" in log["text"] and "staff.removed" in log["text"]


# --- everyone else is refused --------------------------------------------------------------------------------


async def test_non_coordinators_are_refused(fake, tmp_path, stop_bots):
    proc = BotProcess(fake, tmp_path, **env())
    migrate(proc)
    (family,) = seed(proc, fake, {})
    run_cli(proc.env, "staff", "add", "777100", "operator", "--name", "Оля").check_returncode()
    await proc.start()
    stop_bots.append(proc)
    operator = fake.user(777100, "Оля", language_code="ru")
    for who in (family, operator):
        for command in (
            "/broadcast",
            "/broadcasts",
            "/stats",
            "/stats 2026-01-01 2026-12-31",
            "/staff",
            "/staff add 1 coordinator",
            "/audit person 1",
        ):
            who.send_text(command)
            await who.wait_for_message("только координаторам центра")
        msg = who.messages()[-1]
        for data in ("bca:1:go:now", "bca:1:stop:", "stat:30:all:1"):
            query = who.press(msg, data, forge=True)
            answer = await fake.wait_for(lambda q=query, w=who: w.callback_answer(q), timeout=5)
            assert "только координаторам" in answer.get("text", "")
    assert db_rows(proc, "SELECT count(*) FROM broadcasts") == [(0,)]
    assert db_rows(proc, "SELECT count(*) FROM staff WHERE role = 'coordinator'") == [(0,)]
    assert not fake.calls_of("sendPhoto") and not fake.calls_of("sendDocument")
