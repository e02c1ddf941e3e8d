"""Stale content is an operations matter: the weekly digest to coordinators, /content with counts, marking an item
re-checked (audited), `python -m bot check --stale` — with the content clock moved forward (CLOCK_OFFSET_DAYS), and
on today's data (nothing past review)."""

from __future__ import annotations

import asyncio
import shutil
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import yaml

from bot.services import content_io, yamlsafe
from bot.services import content_review as cr
from bot.services.measures import DEFAULT_DATA_DIR
from bot.services.measures.engine import format_date
from tests.e2e.flows import buttons, db_rows, db_wait, screen, tap
from tests.e2e.harness import BotProcess, run_cli

COORD = 700_501
FORWARD_DAYS = (
    70  # from December 2026 past 1 January and 1 February 2027: the new-year and indexation reviews
)
DIGEST = "Еженедельная проверка материалов"


def content_today(offset_days: float = 0):
    return (datetime.now(ZoneInfo("Europe/Moscow")) + timedelta(days=offset_days)).date()


async def start(fake, tmp_path, **extra: str) -> BotProcess:
    fake.user(COORD, "Марина", language_code="ru", started=True)
    proc = BotProcess(fake, tmp_path, COORDINATOR_IDS=str(COORD), CONTENT_DIGEST_SCAN_SECONDS="0.3", **extra)
    run_cli(proc.env, "migrate").check_returncode()
    await proc.start()
    return proc


def items_genitive(n: int) -> str:
    """«у 21 материала», «у 22 материалов»: the Russian plural the bot must use."""
    return f"{n} материала" if n % 10 == 1 and n % 100 != 11 else f"{n} материалов"


def digests(user) -> list[dict]:
    return [m for m in user.messages() if DIGEST in (m.get("text") or "")]


async def test_digest_and_content_with_the_clock_moved_forward(fake, tmp_path):
    proc = await start(fake, tmp_path, CLOCK_OFFSET_DAYS=str(FORWARD_DAYS))
    try:
        today = content_today(FORWARD_DAYS)
        items = cr.review_items(DEFAULT_DATA_DIR)
        late = cr.past_review(items, today)
        assert any(
            i.key == "measure:matkapital" for i in late
        )  # its review date (1 February 2027) has passed
        coord = fake.user(COORD, "Марина", language_code="ru")

        digest = await coord.wait_for_message(DIGEST, timeout=20)
        text = digest["text"]
        assert f"На {format_date(today, 'ru')} срок проверки прошёл у {items_genitive(len(late))}" in text, (
            text
        )
        assert f"меры поддержки: {cr.counts(late)['measure']}" in text
        assert "Материнский (семейный) капитал" in text and "проверить до 1 февраля 2027 г." in text
        assert "sfr.gov.ru" in text
        listed = [i for i in late if f"({i.id})" in text]
        rest = len(late) - len(listed)
        assert listed == late[: len(listed)] and (rest == 0 or f"…и ещё {rest}." in text), text
        # once a week: later scans send nothing more, and the week is recorded
        await asyncio.sleep(1.5)
        assert len(digests(coord)) == 1
        year, week, _ = today.isocalendar()
        assert db_rows(proc, "SELECT week, items FROM content_digests") == [
            (f"{year}-W{week:02d}", len(late))
        ]

        coord.send_text("/content")
        listing = await screen(coord, "Материалы, которые пора перепроверить")
        assert f"у {items_genitive(len(late))} из {len(items)}" in listing["text"]
        assert f"меры поддержки: {cr.counts(late)['measure']}" in listing["text"]

        coord.send_text("/content ok matkapital суммы сверены с sfr.gov.ru")
        marked = await screen(coord, "Отмечено как перепроверенное")
        until = today + timedelta(days=90)
        assert "Материнский (семейный) капитал" in marked["text"]
        assert f"Следующая проверка — {format_date(until, 'ru')}" in marked["text"]
        [(key, note, next_review)] = await db_wait(
            fake, proc, "SELECT item_key, note, next_review FROM content_rechecks"
        )
        assert (key, note, str(next_review)) == (
            "measure:matkapital",
            "суммы сверены с sfr.gov.ru",
            str(until),
        )
        audit = db_rows(
            proc, "SELECT action, actor_tg_id, object_id FROM audit_log WHERE action LIKE 'content.%'"
        )
        assert audit == [("content.rechecked", COORD, "measure:matkapital")]

        coord.send_text("/content")
        after = await screen(coord, f"у {items_genitive(len(late) - 1)} из {len(items)}")
        assert "Материнский (семейный) капитал" not in after["text"]

        coord.send_text("/content ok nothing-like-this проверено")
        await screen(coord, "Материала «nothing-like-this» со сроком проверки нет")
        coord.send_text("/content ok matkapital")  # no note: the usage, nothing recorded
        await screen(coord, "Чтобы отметить перепроверку")
        assert len(db_rows(proc, "SELECT id FROM content_rechecks")) == 1

        family = fake.user(700_502, "Семья", language_code="ru")
        family.send_text("/content")
        await family.wait_for_message("только координаторам центра")

        # a family on the same day: the 2026 maternity capital is no longer in force and the 2027 figure is only a
        # projection, so the card shows where to check (and that it is due for a re-check), not an old amount
        mother = fake.user(700_504, "Ольга", language_code="ru")
        mother.send_text("/start")
        await screen(mother, "Семейное окно")
        tap(mother, "Продолжить")
        await screen(mother, "согласны")
        tap(mother, "Не сейчас")
        await screen(mother, "Чем мы можем помочь")
        tap(mother, "Меры поддержки")
        await screen(mother, "маткапитал")
        mother.send_text("материнский капитал")
        found = await mother.wait_for_message("Вот что нашлось")
        data = next(
            b["callback_data"] for b in buttons(found) if b.get("callback_data", "").endswith(":matkapital")
        )
        mother.press(found, data)
        card = await screen(mother, "Материнский (семейный) капитал")
        assert "728" not in card["text"] and "766" not in card["text"], card["text"]
        assert "sfr.gov.ru" in card["text"] and "может быть устаревшей" in card["text"]

        out = run_cli(proc.env, "check", "--stale")
        assert out.returncode == 0, out.stderr
        assert f"{len(late)} item(s) past their review date on {today.isoformat()}" in out.stdout
        assert "- measure:matkapital (measures/matkapital.yaml): review_by 2027-02-01" in out.stdout
    finally:
        await proc.stop()


async def test_nothing_past_review_today_no_digest(fake, tmp_path):
    proc = await start(fake, tmp_path)
    try:
        coord = fake.user(COORD, "Марина", language_code="ru")
        coord.send_text("/content")
        listing = await screen(coord, "перепроверять нечего")
        assert format_date(content_today(), "ru") in listing["text"]
        await asyncio.sleep(1.5)  # several digest scans
        assert digests(coord) == [] and db_rows(proc, "SELECT week FROM content_digests") == []
        out = run_cli(proc.env, "check", "--strict", "--stale")
        assert out.returncode == 0 and "nothing is past its review date" in out.stdout, (
            out.stdout + out.stderr
        )
    finally:
        await proc.stop()


async def test_a_corrected_file_is_loaded_after_a_dry_run(fake, tmp_path):
    """A coordinator re-checked an organisation: the corrected file (a later review date) goes through the same
    import as the CLI, dry run first; a broken file is refused with the reason; strangers cannot press «Записать»."""
    data = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, data)
    proc = await start(fake, tmp_path, DATA_DIR=str(data))
    try:
        coord = fake.user(COORD, "Марина", language_code="ru")
        orgs = yamlsafe.load(content_io.export("organisations", data, "yaml"))
        items = orgs["organisations"] if isinstance(orgs, dict) else orgs
        first = items[0]
        old_review = first["review_by"]
        first["review_by"] = "2027-12-31"
        corrected = yaml.safe_dump({"organisations": items}, allow_unicode=True, sort_keys=False).encode()

        coord.send_document(
            "/content import organisations", file_name="orgs.yaml", mime_type="text/yaml", content=corrected
        )
        plan = await coord.wait_for_message("Пробный прогон")
        assert "изменённых — 1" in plan["text"] and first["id"] in plan["text"]
        assert "2027-12-31" not in (data / "organisations.yaml").read_text("utf-8")  # nothing written yet
        stranger = fake.user(700_503, "Посторонний", language_code="ru")
        stranger.send_text("/content")
        refusal = await stranger.wait_for_message("только координаторам центра")
        query = stranger.press(refusal, "cimp:go", forge=True)
        answer = await fake.wait_for(lambda: stranger.callback_answer(query), timeout=5)
        assert "только координаторам" in (answer.get("text") or "")

        coord.press_button(plan, "Записать")
        await coord.wait_for_message("Записано в data/")
        text = (data / "organisations.yaml").read_text("utf-8")
        assert "2027-12-31" in text and str(old_review) != "2027-12-31"
        audit = await db_wait(
            fake, proc, "SELECT action, object_id FROM audit_log WHERE action = 'content.imported'"
        )
        assert audit == [("content.imported", "organisations")]

        broken = b"organisations:\n  - id: x\n    id: y\n"
        coord.send_document(
            "/content import organisations", file_name="bad.yaml", mime_type="text/yaml", content=broken
        )
        refused = await coord.wait_for_message("Файл не загружен")
        assert "duplicate key" in refused["text"]
        coord.send_text("/content import organisations")  # no file attached: how to do it
        await coord.wait_for_message("пришлите его документом")
    finally:
        await proc.stop()
