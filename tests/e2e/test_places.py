"""The regional directory in the bot, end to end: «near me» by location or city, «Контакты» region first, and a
place sent by staff from a request's topic. The real bot against the fake Bot API."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.e2e.flows import db_wait, labels, onboard, screen, tap
from tests.e2e.test_desk import ask_lawyer, desk, text_of  # noqa: F401  (the desk fixture)

DATA = Path(__file__).resolve().parents[2] / "data"
# A point in the centre of Volgograd (Mamayev Kurgan area) — what a family's phone would send.
VOLGOGRAD = (48.742, 44.537)
LOCATION_BUTTON = "📍 Отправить местоположение"


def orgs() -> dict[str, dict]:
    raw = yaml.safe_load((DATA / "organisations.yaml").read_text(encoding="utf-8"))
    return {o["id"]: o for o in raw["organisations"]}


def venues(user) -> list[dict]:
    return [m["venue"] for m in user.messages() if "venue" in m]


async def wait_venues(fake, user, count: int, timeout: float = 10) -> list[dict]:
    await fake.wait_for(lambda: len(venues(user)) >= count or None, timeout)
    return venues(user)


async def test_a_volgograd_family_shares_its_location_and_gets_the_nearest_places_as_venues(
    bot, fake, new_user
):
    anna = new_user()
    await onboard(anna, "Волгоградская область")
    tap(anna, "Контакты")
    await screen(anna, "Какая помощь вам нужна")
    tap(anna, "Документы и госуслуги (МФЦ)")
    await screen(anna, "Документы и госуслуги")
    tap(anna, "📍 Ближайшие на карте")
    prompt = await anna.wait_for_message("не сохраняем")
    assert "Ближайшие к вам места" in prompt["text"]
    keyboard = anna.reply_keyboard()
    assert keyboard[0] == LOCATION_BUTTON and "Волгоград" in keyboard  # the family's own cities first

    anna.share_location(LOCATION_BUTTON, *VOLGOGRAD)
    found = await wait_venues(fake, anna, 3)
    answer = await anna.wait_for_message("Ближайшие места")
    data = orgs()
    mfc = data["vgg-mfc-bogunskaya"]
    volgograd = {o["name"]["ru"]: o for o in data.values() if o.get("city") == "volgograd"}
    assert all(v["title"] in volgograd for v in found)  # the three nearest are all in Volgograd
    [pin] = [v for v in found if v["title"] == mfc["name"]["ru"]]
    assert pin["address"] == mfc["address"]
    assert abs(pin["location"]["latitude"] - 48.71378) < 1e-6  # the city's gazetteer point
    assert all(
        "documents" in next(o for o in data.values() if o["name"]["ru"] == v["title"])["kinds"] for v in found
    )
    text = answer["text"]
    assert "8 (8442) 92-40-14" in text  # the place's phone comes with it
    assert "в городе Волгоград" in text  # city-level: no distance in metres pretended
    assert "не сохранено" in text
    assert anna.reply_keyboard() == []  # the location keyboard is gone
    # the location was used for that answer only: nowhere in the database
    dump = repr(bot.all_rows())
    assert "48.742" not in dump and "44.537" not in dump


async def test_any_location_gets_the_nearest_places_and_a_city_can_be_chosen(bot, fake, new_user):
    anna = new_user()
    await onboard(anna, "Свердловская область")
    anna.send_location(56.84, 60.60)  # Yekaterinburg, sent without pressing anything
    found = await wait_venues(fake, anna, 3)
    await anna.wait_for_message("Ближайшие места")
    sve = {o["name"]["ru"] for o in orgs().values() if o["region"] == "RU-SVE"}
    assert {v["title"] for v in found} <= sve

    # far from every place we know (Saint Petersburg): said so, with the distance to the city
    anna.send_location(59.93, 30.33)
    far = await anna.wait_for_message("Рядом с вами мест из нашего справочника нет")
    assert "в городе Москва, ≈ 63" in far["text"] and "км от вас" in far["text"]  # ≈ 634 km

    anna.send_text("/menu")
    await screen(anna, "Чем мы можем помочь")
    tap(anna, "Контакты")
    await screen(anna, "Какая помощь вам нужна")
    tap(anna, "📍 Места рядом со мной")
    await anna.wait_for_message("не сохраняем")
    anna.press_reply_button("Пенза")
    await fake.wait_for(lambda: len(venues(anna)) >= 9 or None, 10)
    answer = await anna.wait_for_message("Места в городе Пенза")
    penza = venues(anna)[6:]
    assert all(v["address"].startswith("Пенза") for v in penza)
    assert "8 (8412)" in answer["text"]
    # and the region's own phone lines after the places
    lines = answer["text"].split("По телефону в вашем регионе")[1]
    assert "8-800-511-01-17" in lines  # «Социальный навигатор» of the Penza region
    # on the location screen, a message that is not a city is an ordinary message, answered as anywhere else
    anna.send_text("/menu")
    await screen(anna, "Чем мы можем помочь")
    tap(anna, "Контакты")
    await screen(anna, "Какая помощь вам нужна")
    tap(anna, "📍 Места рядом со мной")
    await anna.wait_for_message("не сохраняем")
    anna.send_text("Здравствуйте, подскажите, куда обратиться с ребёнком")
    await anna.wait_for_message("Спасибо, что написали")

    # a forged or stale button: a polite refusal, nothing breaks
    menu = anna.send_text("/menu")
    await screen(anna, "Чем мы можем помочь")
    query = anna.press(anna.last_message(), "near:spa", forge=True)
    await fake.wait_for(lambda: anna.callback_answer(query), 5)
    assert "пока нет" in anna.callback_answer(query)["text"]
    assert menu and "Traceback" not in bot.log()


async def test_contacts_list_the_regions_places_before_the_federal_lines(bot, fake, new_user):
    anna = new_user()
    await onboard(anna, "Волгоградская область")
    tap(anna, "Контакты")
    kinds = await screen(anna, "Какая помощь вам нужна")
    assert "📍 Места рядом со мной" in labels(kinds)
    tap(anna, "Психологическая помощь")
    shown = await screen(anna, "Психологическая помощь")
    text = shown["text"]
    regional = text.index("8 (8442) 38-03-03")  # the region's own line for adults
    federal = text.index("8-800-2000-122")  # the children's helpline, all over Russia
    assert regional < federal
    assert "📍 Ближайшие на карте" in labels(shown)


async def test_staff_send_a_place_from_the_topic_and_it_arrives_as_a_venue(desk):  # noqa: F811
    maria = desk.family()
    case_id = await ask_lawyer(desk, maria)
    thread = await desk.topic_of(case_id)
    await desk.in_topic(thread, lambda m: "Обращение №" in text_of(m))

    desk.olga.send_text_in(desk.ops, "/place Пенза", thread_id=thread)
    choices = await desk.in_topic(thread, lambda m: "Подходит несколько мест" in text_of(m))
    assert "pnz-kcson-leninsky" in choices["text"]

    desk.olga.send_text_in(desk.ops, "/place Пенза Крупской", thread_id=thread)
    await desk.in_topic(thread, lambda m: "Отправлено семье точкой на карте" in text_of(m))
    await desk.fake.wait_for(lambda: venues(maria) or None, 10)
    [venue] = venues(maria)
    org = orgs()["pnz-kcson-leninsky"]
    assert venue["title"] == org["name"]["ru"] and venue["address"] == org["address"]
    card = await maria.wait_for_message("8 (8412) 48-83-48")
    assert org["name"]["ru"] in card["text"]
    # through the outbox, like every message to the family, and in the audit log
    rows = await db_wait(
        desk.fake, desk.bot, "SELECT kind, status FROM outbox WHERE kind = 'venue'", until=lambda r: r
    )
    assert rows == [("venue", "sent")]
    audit = await db_wait(
        desk.fake, desk.bot, "SELECT details FROM audit_log WHERE action = 'case.place'", until=lambda r: r
    )
    assert "pnz-kcson-leninsky" in str(audit)

    desk.olga.send_text_in(desk.ops, "/place нетакогоместа", thread_id=thread)
    await desk.in_topic(thread, lambda m: "Ничего не нашлось" in text_of(m))


def test_coordinators_export_and_import_the_directory_with_the_cli(tmp_path):
    """`python -m bot export organisations --format csv`, edit, `import … --dry-run`, then for real."""
    import csv
    import os
    import shutil

    from tests.e2e.harness import run_cli

    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    env = {**os.environ, "BOT_TOKEN": "123456:cli-placeholder", "DATA_DIR": str(data)}
    out = tmp_path / "orgs.csv"
    done = run_cli(env, "export", "organisations", "--format", "csv", "--out", str(out))
    assert done.returncode == 0, done.stderr
    with out.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {"city", "source_url", "lat", "lon", "location_source", "review_by"} <= set(rows[0])
    row = next(r for r in rows if r["id"] == "vgg-mfc-bogunskaya")
    assert row["city"] == "volgograd" and row["review_by"]
    row["hours_ru"], row["hours_en"] = "Пн–Пт 9:00–18:00", "Mon–Fri 9:00–18:00"
    edited = tmp_path / "edited.csv"
    with edited.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerow(row)
    dry = run_cli(env, "import", "organisations", str(edited), "--dry-run")
    assert dry.returncode == 0 and "1 changed" in dry.stdout and "vgg-mfc-bogunskaya" in dry.stdout, dry
    assert "Пн–Пт" not in (data / "organisations.yaml").read_text(encoding="utf-8")
    real = run_cli(env, "import", "organisations", str(edited))
    assert real.returncode == 0, real.stderr
    assert "Пн–Пт 9:00–18:00" in (data / "organisations.yaml").read_text(encoding="utf-8")
    check = run_cli(env, "check")
    assert check.returncode == 0, check.stdout + check.stderr
