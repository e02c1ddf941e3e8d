"""Two bot instances on one PostgreSQL database and one Redis, in webhook mode behind a load balancer.

Promise: exactly one instance (the leader) runs the scheduler, the relay worker and the broadcast sender; when it
dies (kill -9), the other takes over within the lease time and the backlog it left goes out — no message lost, no
duplicate topic, case or relayed message. Needs the local PostgreSQL and Redis (CI starts them).
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter

import pytest

from bot.middlewares.db import IN_HAND_WAIT_SECONDS
from tests.e2e.conftest import OPERATOR_CHAT
from tests.e2e.harness import (
    BotProcess,
    WebhookPusher,
    create_test_database,
    free_port,
    redis_test_url,
    run_cli,
)
from tests.e2e.test_coordinators import COORD, announcements, kill_halfway, seed, send_now
from tests.e2e.test_coordinators import env as coordinator_env
from tests.e2e.test_desk import CRISIS_CHAT, IVAN, OLGA, Desk, add_staff, ask_lawyer, desk_env, text_of
from tests.e2e.test_desk_faults import topic_texts

SECRET = "scale-out-webhook-secret"
pytestmark = pytest.mark.postgres  # always PostgreSQL + Redis: run by make test-postgres, not twice


def _alive(p: BotProcess) -> bool:
    return p.proc is not None and p.proc.poll() is None


async def _leader_of(procs: list[BotProcess], timeout: float = 20) -> BotProcess:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        leaders = [p for p in procs if _alive(p) and "is the leader" in p.log()]
        if leaders:
            return leaders[0]
        await asyncio.sleep(0.1)
    raise AssertionError("no instance became the leader:\n" + "\n---\n".join(p.log()[-2000:] for p in procs))


async def start_with_a_leading(a: BotProcess, b: BotProcess) -> None:
    """A starts first and takes the leader's lease, then B starts beside it."""
    await a.start(timeout=90)
    assert await _leader_of([a]) is a
    await b.start(timeout=90)


def two_instances(fake, tmp_path, **env: str) -> tuple[list[BotProcess], list[int]]:
    """Two bots in webhook mode on one fresh PostgreSQL database and one Redis, each on its own port."""
    database_url, redis_url = create_test_database(), redis_test_url()
    ports = [free_port(), free_port()]
    procs = []
    for i, port in enumerate(ports):
        workdir = tmp_path / f"instance{i}"
        workdir.mkdir()
        settings = dict(
            DATABASE_URL=database_url,
            REDIS_URL=redis_url,
            WEBHOOK_URL=f"http://127.0.0.1:{port}",
            WEBHOOK_SECRET=SECRET,
            WEBHOOK_PORT=str(port),
        )
        procs.append(BotProcess(fake, workdir, **{**env, **settings}))
    return procs, ports


async def test_leader_killed_the_other_instance_takes_over_without_duplicates(
    fake, tmp_path, postgres_and_redis
):
    ops = fake.forum_group(OPERATOR_CHAT, "Операторы")
    crisis = fake.forum_group(CRISIS_CHAT, "Кризисный центр")
    olga, ivan = fake.user(OLGA, "Ольга"), fake.user(IVAN, "Иван")
    ops.add_member(olga)
    ops.add_member(ivan)
    procs, ports = two_instances(fake, tmp_path, **desk_env(LEADER_TTL_SECONDS="3"))
    a, b = procs
    run_cli(a.env, "migrate").check_returncode()
    add_staff(a, OLGA, "operator", "Ольга")
    add_staff(a, IVAN, "specialist", "Иван", "--specialty", "lawyer")
    try:
        await start_with_a_leading(a, b)
        async with WebhookPusher(fake, ports, SECRET) as pusher:
            desk = Desk(fake, a, ops, crisis, olga, ivan, None, None)
            maria, anna = desk.family(), desk.family()
            case_maria = await ask_lawyer(desk, maria)
            thread_maria = await desk.topic_of(case_maria)
            before = [f"до {i}" for i in range(3)]
            for text in before:
                maria.send_text(text)
            await fake.wait_for(
                lambda: all(t in [text_of(m) for m in ops.messages(thread_maria)] for t in before), 20
            )
            assert set(pusher.delivered.values()) == set(ports), "both instances answered updates"
            assert "is the leader" not in b.log(), "only one leader while both live"
            # The kill lands after the leader recorded its sends. (A kill between Telegram's answer and that
            # commit re-sends the one message in flight — the relay's documented at-least-once window, the same
            # with one instance; this test is about the take-over.)
            await fake.wait_for(
                lambda: a.rows("SELECT count(*) FROM outbox WHERE status = 'pending'") == [(0,)], 10
            )

            await a.kill()  # the leader dies; the relay backlog below waits for the take-over
            after = [f"после {i}" for i in range(3)]
            for text in after:
                maria.send_text(text)
            case_anna = await ask_lawyer(
                desk, anna
            )  # a new case: its topic and card come from the new leader
            assert await _leader_of([b], timeout=15) is b
            thread_anna = await desk.topic_of(case_anna, timeout=20)
            await fake.wait_for(
                lambda: all(t in [text_of(m) for m in ops.messages(thread_maria)] for t in after), 20
            )
            await asyncio.sleep(2)  # anything duplicated would have arrived by now

        got = Counter(text_of(m) for m in ops.messages(thread_maria, from_bot=True))
        for text in before + after:
            assert got[text] == 1, f"{text!r} arrived {got[text]} times"
        titles = Counter(m.group(1) for t in ops.topics() if (m := re.search(r"№(\d+)", t["name"])))
        assert all(n == 1 for n in titles.values()), f"a duplicate topic: {titles}"
        assert len(titles) == 2 and thread_anna != thread_maria
        cases = b.rows("SELECT family_id, count(*) FROM cases GROUP BY family_id")
        assert sorted(n for _f, n in cases) == [1, 1], f"a duplicate case: {cases}"
        cards = [m for m in ops.messages(thread_anna, from_bot=True) if "Обращение №" in text_of(m)]
        assert len(cards) == 1, "one card in the new topic"
    finally:
        for p in procs:
            if _alive(p):
                await p.stop()


async def test_an_update_in_hand_elsewhere_is_left_alone_and_a_dead_instances_is_replayed(
    fake, tmp_path, postgres_and_redis
):
    """Promise: Telegram re-sends a webhook update it thinks was not delivered. While the instance that has it in
    hand is alive — here 12 s — the other instance skips it (the family is answered once);
    when that instance dies mid-update, the other one takes it over once the dead one's heartbeat has expired
    (the family is answered, once), without waiting out the rest of the time it would give a live one."""
    import aiohttp

    procs, ports = two_instances(fake, tmp_path)
    a, b = procs

    async def post(http, port: int, update: dict) -> int:
        async with http.post(
            f"http://127.0.0.1:{port}/webhook",
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
            timeout=aiohttp.ClientTimeout(30),
        ) as resp:
            return resp.status

    def greetings(user) -> int:
        return sum(
            1
            for c in fake.calls_of("sendMessage")
            if c.ok
            and str(c.params.get("chat_id")) == str(user.id)
            and "Семейное окно" in str(c.params["text"])
        )

    def claimed(update_id: int) -> bool:
        return bool(a.rows("SELECT 1 FROM processed_updates WHERE update_id = ?", update_id))

    async def in_hand_of_a(http, user, **fault) -> tuple[asyncio.Task, dict]:
        """The user's /start, posted to instance A, whose answer to the user is held up by ``fault``; returns
        once A has claimed the update and its answer is being held (killed before that, A would leave the fault
        to B's answer)."""
        held = fake.fail_next("sendMessage", chat_id=user.id, **fault)
        sent = user.send_text("/start")
        update = fake.find_update(lambda u: u.get("message", {}).get("message_id") == sent["message_id"])
        task = asyncio.create_task(post(http, ports[0], update))
        await fake.wait_for(lambda: claimed(update["update_id"]) and held.fired, 10)
        return task, update

    try:
        await a.start(timeout=90)
        await b.start(timeout=90)
        async with aiohttp.ClientSession() as http:
            # 1. A has the update in hand and its answer is slow (12 s); Telegram re-sends
            # the update to B, which leaves it alone
            maria = fake.user(810_001, "Мария")
            first, update = await in_hand_of_a(http, maria, error="slow", delay=12)
            assert await post(http, ports[1], update) == 200
            assert await first == 200
            assert f"update {update['update_id']} was already handled" in b.log()
            await asyncio.sleep(1)
            assert greetings(maria) == 1

            # 2. A dies with the update in hand; B gets the re-sent update, leaves it while A's heartbeat lasts,
            # then replays it from the stored copy
            anna = fake.user(810_002, "Анна")
            stuck, update = await in_hand_of_a(http, anna, error="timeout", delay=30)
            await a.kill()
            await asyncio.gather(stuck, return_exceptions=True)
            assert await post(http, ports[1], update) == 200
            await anna.wait_for_message("Семейное окно", 30)
            uid = update["update_id"]  # taken over at the re-sent delivery, or replayed by the sweep
            assert f"update {uid}: replaying it" in b.log() or f"update {uid} was left unfinished" in b.log()
            await asyncio.sleep(1)
            assert greetings(anna) == 1
            # the re-sent copy waited for A only while A's heartbeat lasted, not the whole in-hand wait: it held
            # the chat's later updates (and the sweep's replay of this one) behind it all that time
            took_ms = [
                float(ms) for ms in re.findall(rf'"update_id": {uid}, [^\n]*?"ms": ([0-9.]+)', b.log())
            ]
            assert took_ms and max(took_ms) < IN_HAND_WAIT_SECONDS * 1000, took_ms
    finally:
        for p in procs:
            if _alive(p):
                await p.stop()


async def test_a_broadcast_and_a_reminder_go_out_once_with_two_instances_and_a_leader_killed_mid_broadcast(
    fake, tmp_path, postgres_and_redis
):
    """Promise: with two instances only the leader sends broadcasts and runs the desk's reminders; the leader
    killed in the middle of a broadcast, the other instance finishes it — every family gets the announcement at
    most once (none twice), the coordinator gets the report, and the case's reminder is posted once, not again by
    the new leader. The coordinator's screens alternate between the instances (the flow state is in Redis)."""
    n = 40
    ops = fake.forum_group(OPERATOR_CHAT, "Операторы")
    crisis = fake.forum_group(CRISIS_CHAT, "Кризисный центр")
    olga = fake.user(OLGA, "Ольга")
    ops.add_member(olga)
    procs, ports = two_instances(
        fake,
        tmp_path,
        **desk_env(
            **coordinator_env(BROADCAST_RATE="10"),
            LEADER_TTL_SECONDS="3",
            DESK_TAKE_REMINDER_MINUTES="emergency=0.02,urgent=0.02,soon=0.02,routine=0.02",
            DESK_ESCALATE_MINUTES="emergency=600,urgent=600,soon=600,routine=600",
        ),
    )
    a, b = procs
    run_cli(a.env, "migrate").check_returncode()
    add_staff(a, OLGA, "operator", "Ольга")
    families = seed(a, fake, *({} for _ in range(n)))
    try:
        await start_with_a_leading(a, b)
        async with WebhookPusher(fake, ports, SECRET) as pusher:
            desk = Desk(fake, a, ops, crisis, olga, None, None, None)
            maria = desk.family()
            case_id = await ask_lawyer(desk, maria)
            thread = await desk.topic_of(case_id)
            await desk.in_topic(thread, lambda m: "его никто не взял" in text_of(m), timeout=15)

            coord = fake.user(COORD, "Марина", language_code="ru")
            text = "Приглашаем на семейный праздник в субботу"
            await send_now(coord, text, audience=n + 1)
            await kill_halfway(fake, families, text, a.kill, after=10)
            assert await _leader_of([b], timeout=15) is b
            await coord.wait_for_message("Рассылка № 1: отчёт", timeout=40)
            await asyncio.sleep(2)  # a duplicate announcement or reminder would have arrived by now
            assert set(pusher.delivered.values()) == set(ports), "both instances answered updates"

        counts = [len(announcements(u, text)) for u in [*families, maria]]
        assert max(counts) == 1, f"duplicates: {[i for i, c in enumerate(counts) if c > 1]}"
        statuses = dict(b.rows("SELECT status, count(*) FROM broadcast_recipients GROUP BY status"))
        missing = sum(1 for c in counts if c == 0)
        in_flight = statuses.get("unknown", 0)  # sent or not when the leader died: never sent again
        assert missing <= in_flight <= 4, (missing, statuses)  # at most one per sender worker
        assert statuses.get("sent", 0) + statuses.get("unknown", 0) == n + 1, statuses
        reminders = [t for t in topic_texts(desk, thread) if "его никто не взял" in t]
        assert len(reminders) == 1, f"the reminder was posted {len(reminders)} times"
    finally:
        for p in procs:
            if _alive(p):
                await p.stop()
