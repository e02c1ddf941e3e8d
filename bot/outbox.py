"""The relay worker: sends what the outbox holds, one lane per chat, within Telegram's limits.

* A lane is a target chat: a family's private chat, or a staff group (all topics of a forum share one lane,
  because the 20 messages a minute limit is per group). Within a lane items go in order of urgency, then age;
  one case's items never overtake each other.
* Every outcome of a Telegram call is an expected event: 429 → wait retry_after; 5xx and timeouts → retry
  with back-off; 403 (family blocked the bot) → the case becomes unreachable and the topic says so;
  "message thread not found" (topic deleted) → a new topic with the card, then the message; anything else
  → the sender's side is told the message did not go through. Nothing is dropped silently.
* Items are marked sent in the same transaction as the message-id link; a restart re-reads the table.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import nullcontext
from datetime import timedelta
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _
from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.db.base import utcnow
from bot.db.models import Case, Family, OutboxItem, Staff
from bot.db.statuses import CaseStatus
from bot.i18n import locale_scope
from bot.outbox_kinds import (
    BATCH,
    DONE,
    LATER,
    MAX_ATTEMPTS,
    MessageKinds,
    Outcome,
    _markup,
)
from bot.services import checkin, desk, fair_relay, relay
from bot.services.audit import audit
from bot.services.cases import TRANSITIONS, transition
from bot.services.catalog import Catalog
from bot.telegram import urgent_sends
from bot.views.case_card import card_kb, card_text, mention, sync_topic, title_for

log = logging.getLogger(__name__)


class OutboxWorker(MessageKinds):
    def __init__(
        self,
        bot: Bot,
        sessionmaker: async_sessionmaker,
        settings: Settings,
        catalog: Catalog,
        i18n: I18n,
        chats: desk.DeskChats,
        poll_interval: float = 0.25,
    ) -> None:
        self.bot = bot
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.catalog = catalog
        self.i18n = i18n
        self.chats = chats
        self.poll_interval = poll_interval
        self._lanes: dict[tuple[str, int], asyncio.Task] = {}
        # case id → when its last item went to a staff group (the round robin's turn)
        self._served: dict[int, float] = {}
        self._collapsed: set[int] = set()  # cases told «ещё N сообщений» for their current backlog
        self._warned: dict[int, float] = {}  # staff group → when it was last told it is saturated
        self._stopping = asyncio.Event()

    # ------------------------------------------------------------------ lifecycle
    async def run(self) -> None:
        log.info("relay worker started")
        try:
            await self._recall_recent_group_sends()
        except Exception:
            log.exception("could not read the recent sends back")
        while not self._stopping.is_set():
            try:
                await self._dispatch()
            except Exception:
                log.exception("relay dispatch failed")
            try:
                await asyncio.wait_for(self._stopping.wait(), self.poll_interval)
            except TimeoutError:
                pass
        if self._lanes:
            await asyncio.wait(list(self._lanes.values()), timeout=10)
        log.info("relay worker stopped")

    def stop(self) -> None:
        self._stopping.set()

    async def _recall_recent_group_sends(self) -> None:
        """After a restart, the sends of the last group window (made by the previous process) still count at
        Telegram: give them to the pacer so that the backlog does not run into a 429."""
        pacer = getattr(self.bot.session, "pacer", None)
        if pacer is None:
            return
        now = utcnow()
        since = now - timedelta(seconds=pacer.group_window)
        async with self.sessionmaker() as s:
            rows = (
                await s.execute(
                    select(Case.chat_id, OutboxItem.sent_at)
                    .join(Case, Case.id == OutboxItem.case_id)
                    .where(
                        OutboxItem.target == "staff",
                        OutboxItem.status == "sent",
                        OutboxItem.sent_at >= since,
                    )
                )
            ).all()
        ages: dict[int, list[float]] = {}
        for chat_id, sent_at in rows:
            if chat_id is not None:
                ages.setdefault(chat_id, []).append((now - sent_at).total_seconds())
        for chat_id, chat_ages in ages.items():
            pacer.remember_group_sends(chat_id, chat_ages)

    async def _dispatch(self) -> None:
        async with self.sessionmaker() as s:
            rows = (
                await s.execute(
                    select(OutboxItem.target, Case.chat_id, Family.tg_user_id)
                    .join(Case, Case.id == OutboxItem.case_id)
                    .outerjoin(Family, Family.id == Case.family_id)
                    .where(OutboxItem.status == "pending", OutboxItem.not_before <= utcnow())
                    .distinct()
                )
            ).all()
            orphans = (
                await s.scalars(
                    select(OutboxItem).where(OutboxItem.status == "pending", OutboxItem.case_id.is_(None))
                )
            ).all()
            for item in orphans:
                item.status, item.error = "failed", "case erased"
            await s.commit()
        for target, chat_id, family_chat in rows:
            lane = (target, chat_id if target == "staff" else family_chat)
            if lane[1] is None and target == "family":
                lane = ("family", 0)  # the family was erased: its items fail in the lane
            task = self._lanes.get(lane)
            if task is None or task.done():
                self._lanes[lane] = asyncio.create_task(self._drain(lane), name=f"lane-{lane}")

    # ------------------------------------------------------------------ one lane
    async def _lane_items(self, s: AsyncSession, lane: tuple[str, int]) -> list[tuple[OutboxItem, Case]]:
        target, chat = lane
        query = (
            select(OutboxItem, Case)
            .join(Case, Case.id == OutboxItem.case_id)
            .where(OutboxItem.status == "pending", OutboxItem.target == target)
        )
        if target == "staff":
            # each request's oldest few: a long backlog of one cannot push the others out of the batch
            first = (
                select(
                    OutboxItem.id.label("id"),
                    func.row_number()
                    .over(partition_by=OutboxItem.case_id, order_by=OutboxItem.id)
                    .label("rn"),
                )
                .join(Case, Case.id == OutboxItem.case_id)
                .where(OutboxItem.status == "pending", OutboxItem.target == target, Case.chat_id == chat)
                .subquery()
            )
            # marked by relay.mark_danger and relay.hurry: taken whatever their place in their request's line
            payload = cast(OutboxItem.payload, String)
            danger = or_(payload.like('%"danger": true%'), payload.like('%"asked": true%'))
            query = query.join(first, first.c.id == OutboxItem.id).where(
                or_(first.c.rn <= fair_relay.PER_CASE_WINDOW, danger)
            )
            rows = list((await s.execute(query.order_by(OutboxItem.id).limit(BATCH))).tuples().all())
            heard = set(
                (
                    await s.scalars(
                        select(OutboxItem.case_id)
                        .where(
                            OutboxItem.case_id.in_({case.id for _item, case in rows}),
                            OutboxItem.status == "sent",
                            OutboxItem.target == "staff",
                            OutboxItem.kind.in_(fair_relay.FAMILY_WORDS),
                        )
                        .distinct()
                    )
                ).all()
            )
            return fair_relay.order(rows, self._served, heard)
        elif chat:
            query = query.join(Family, Family.id == Case.family_id).where(Family.tg_user_id == chat)
        else:
            query = query.where(Case.family_id.is_(None))
        rows = list((await s.execute(query.order_by(OutboxItem.id).limit(BATCH))).tuples().all())
        rows.sort(key=lambda r: (-desk.urgency_rank(r[1].urgency), r[0].id))
        return rows

    async def _drain(self, lane: tuple[str, int]) -> None:
        group = lane[0] == "staff"
        while not self._stopping.is_set():
            progressed = False
            held: set[int] = set()
            async with self.sessionmaker() as s:
                rows = await self._lane_items(s, lane)
                ids = [(item.id, case.id, item.not_before) for item, case in rows]
                waiting = await self._backlog(s, lane[1]) if group else {}
            if group:
                # a notice about the busy group goes out only when nothing that must not wait is first in line
                first = rows[0] if rows else None
                urgent = first is not None and fair_relay.first_in_line(first[0])
                if not urgent and await self._busy_notices(lane[1], waiting, {c.id: c for _i, c in rows}):
                    continue  # it took a slot of the budget: read the lane again
            now = utcnow()
            for item_id, case_id, not_before in ids:
                if case_id in held or self._stopping.is_set():
                    continue
                if not_before > now:  # not due yet: the case's later items wait behind it (order is kept)
                    held.add(case_id)
                    continue
                async with self.sessionmaker() as s:
                    item = await s.get(OutboxItem, item_id)
                    case = await s.get(Case, case_id)
                    if item is None or case is None or item.status != "pending":
                        continue
                    try:
                        # a danger signal's items take the pacer's urgent lane (bot/telegram.py)
                        with urgent_sends() if (item.payload or {}).get("danger") else nullcontext():
                            outcome = await self._process(s, item, case)
                    except Exception as exc:  # a bug must not kill the lane: back off and tell the logs
                        log.exception("relay item %s failed unexpectedly", item_id)
                        await s.rollback()
                        item = await s.get(OutboxItem, item_id)
                        case = await s.get(Case, case_id)
                        outcome = await self._transient(s, item, case, exc)
                    await s.commit()
                if outcome.done:
                    progressed = True
                    if group:
                        # one item, then the lane is read again: whoever is new or next in turn goes next
                        self._served[case_id] = time.monotonic()
                        break
                else:
                    held.add(case_id)
            if not progressed:
                return

    async def _backlog(self, s: AsyncSession, chat: int) -> dict[int, int]:
        rows = await s.execute(
            select(OutboxItem.case_id, func.count(OutboxItem.id))
            .join(Case, Case.id == OutboxItem.case_id)
            .where(OutboxItem.status == "pending", OutboxItem.target == "staff", Case.chat_id == chat)
            .group_by(OutboxItem.case_id)
        )
        return {case_id: n for case_id, n in rows.all()}

    async def _busy_notices(self, chat: int, waiting: dict[int, int], cases: dict[int, Case]) -> bool:
        """A group with more waiting than one window's budget, shared by several requests: the group is told once
        in a while (and a region this busy should have its own group), and a request whose backlog grew long
        gets one «ещё N сообщений» notice in its topic. Each costs a slot of the budget: at most one is sent per
        call (True when one was)."""
        for case_id in [c for c in self._collapsed if waiting.get(c, 0) < fair_relay.COLLAPSE_AT // 2]:
            self._collapsed.discard(case_id)
        total, limit = sum(waiting.values()), self.settings.group_messages_per_window
        if chat is None or total <= limit or len(waiting) < 2:
            return False
        now = time.monotonic()
        try:
            if now - self._warned.get(chat, -1e9) > max(600.0, 10 * self.settings.group_window_seconds):
                self._warned[chat] = now
                with self.staff_locale():
                    text = ngettext(
                        "⏳ The group is saturated: {n} message is waiting and Telegram lets a bot post {limit} "
                        "per {seconds} s into one group. Families take turns, one message each; danger signals "
                        "and first messages go first. If this happens often, give the region its own group "
                        "(operator_chat_id in data/regions.yaml).",
                        "⏳ The group is saturated: {n} messages are waiting and Telegram lets a bot post {limit} "
                        "per {seconds} s into one group. Families take turns, one message each; danger signals "
                        "and first messages go first. If this happens often, give the region its own group "
                        "(operator_chat_id in data/regions.yaml).",
                        total,
                    ).format(n=total, limit=limit, seconds=f"{self.settings.group_window_seconds:g}")
                log.warning("staff group %s saturated: %s relay items waiting", chat, total)
                await self.bot.send_message(chat, text)
                return True
            for case_id, n in sorted(waiting.items(), key=lambda kv: -kv[1]):
                case = cases.get(case_id)
                if (
                    n < fair_relay.COLLAPSE_AT
                    or case_id in self._collapsed
                    or case is None
                    or not case.thread_id
                ):
                    continue
                self._collapsed.add(case_id)
                from bot.views.callbacks import Backlog

                with self.staff_locale():
                    text = ngettext(
                        "📨 {n} more message from this family is waiting: the group is busy, so families take "
                        "turns. It will follow here in order.",
                        "📨 {n} more messages from this family are waiting: the group is busy, so families take "
                        "turns. They will follow here in order.",
                        n,
                    ).format(n=n)
                    button = InlineKeyboardButton(
                        text=_("Show them now"), callback_data=Backlog(case=case.id).pack()
                    )
                await self.bot.send_message(
                    chat,
                    text,
                    message_thread_id=case.thread_id,
                    reply_parameters=self._on_card(case),
                    reply_markup=InlineKeyboardMarkup(inline_keyboard=[[button]]),
                )
                return True
        except (TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter, TelegramNetworkError) as exc:
            log.warning("busy-group notice not sent: %s", exc)  # a courtesy: the relay goes on without it
        return False

    # ------------------------------------------------------------------ one item
    async def _process(self, s: AsyncSession, item: OutboxItem, case: Case) -> Outcome:
        family = await s.get(Family, case.family_id) if case.family_id else None
        if item.target == "family" and family is None:
            return self._fail(item, "family erased")
        try:
            if item.target == "staff":
                return await self._to_staff(s, item, case, family)
            return await self._to_family(s, item, case, family)
        except TelegramRetryAfter as exc:
            item.not_before = utcnow() + timedelta(seconds=exc.retry_after)
            log.info("relay item %s: 429, retry after %ss", item.id, exc.retry_after)
            return LATER
        except TelegramForbiddenError as exc:
            return await self._forbidden(s, item, case, family, exc)
        except TelegramBadRequest as exc:
            return await self._bad_request(s, item, case, family, exc)
        except (TelegramServerError, TelegramNetworkError) as exc:
            return await self._transient(s, item, case, exc)

    async def _transient(self, s: AsyncSession, item: OutboxItem, case: Case, exc: Exception) -> Outcome:
        item.attempts += 1
        if item.attempts >= MAX_ATTEMPTS:
            self._fail(item, f"{type(exc).__name__}: {exc}")
            await self._tell_sender(s, item, case)
            return DONE
        item.not_before = utcnow() + timedelta(seconds=min(60, 0.5 * 2**item.attempts))
        log.warning("relay item %s: %s, attempt %s", item.id, type(exc).__name__, item.attempts)
        return LATER

    # ------------------------------------------------------------------ staff side
    async def ensure_topic(self, s: AsyncSession, case: Case) -> int:
        """The case's topic, created with its card if missing. Called only from the case's lane."""
        if case.thread_id is not None:
            if case.card_message_id is None:  # a crash came between the topic and its card
                family = await s.get(Family, case.family_id) if case.family_id else None
                await self.post_card(s, case, family)
            return case.thread_id
        if case.chat_id is None:
            case.chat_id = self.chats.for_case(case)
        family = await s.get(Family, case.family_id) if case.family_id else None
        with self.staff_locale():
            topic = await self.bot.create_forum_topic(
                case.chat_id, title_for(case, self.catalog, self.locale)
            )
        case.thread_id = topic.message_thread_id
        case.card_message_id = None
        await audit(s, actor_tg_id=None, role="bot", action="case.topic", obj=("case", case.id))
        await s.commit()  # a crash from here on must not create a second topic
        await self.post_card(s, case, family)
        if case.urgency == "emergency" and case.status != CaseStatus.CLOSED:
            await self._alert_crisis_staff(s, case)
        return case.thread_id

    @property
    def locale(self) -> str:
        return self.settings.default_locale

    async def post_card(self, s: AsyncSession, case: Case, family: Family | None) -> None:
        owner = await s.get(Staff, case.owner_id) if case.owner_id else None
        previous = await desk.previous_cases(s, case)
        shared = await checkin.for_card(s, case.family_id)
        with self.staff_locale():
            text = card_text(case, family, owner, previous, self.catalog, self.locale, shared)
            markup = card_kb(case)
        msg = await self.bot.send_message(
            case.chat_id, text, message_thread_id=case.thread_id, reply_markup=markup
        )
        case.card_message_id = msg.message_id
        await s.commit()

    async def _alert_crisis_staff(self, s: AsyncSession, case: Case) -> None:
        on_duty = (await s.scalars(select(Staff).where(Staff.role == "crisis", Staff.active.is_(True)))).all()
        with self.staff_locale():
            text = _("🔴 Emergency request № {number}: please take it now.").format(number=case.id)
            if on_duty:
                text += "\n" + ", ".join(mention(st) for st in on_duty)
        await self.bot.send_message(
            case.chat_id, text, message_thread_id=case.thread_id, reply_parameters=self._on_card(case)
        )

    async def _to_staff(
        self, s: AsyncSession, item: OutboxItem, case: Case, family: Family | None
    ) -> Outcome:
        if case.chat_id is None:
            case.chat_id = self.chats.for_case(case)
        if case.chat_id is None:
            self._fail(item, "no operators' group configured")
            await self._tell_sender(s, item, case)
            return DONE
        thread_id = await self.ensure_topic(s, case)
        if item.kind == "topic":
            return self._sent(item)
        if item.kind == "card":
            with self.staff_locale():
                await sync_topic(self.bot, s, case, self.catalog, self.locale)
            return self._sent(item)
        if item.kind == "text":
            await self.bot.send_message(
                case.chat_id,
                item.payload["text"],
                message_thread_id=thread_id,
                reply_markup=_markup(item.payload.get("markup")),
                reply_parameters=self._on_card(case),
            )
            return self._sent(item)
        if item.kind == "edit":
            return await self._edit(s, item, case, case.chat_id)
        if item.kind == "contact":
            return await self._contact(s, item, case, family, thread_id)
        if item.kind == "erase":
            return await self._erase(item, case, thread_id)
        if item.group_key:
            return await self._album(s, item, case, case.chat_id, thread_id, direction="in")
        return await self._copy(s, item, case, case.chat_id, thread_id, direction="in")

    # ------------------------------------------------------------------ family side
    async def _to_family(self, s: AsyncSession, item: OutboxItem, case: Case, family: Family) -> Outcome:
        chat = family.tg_user_id
        if item.kind == "text":
            await self.bot.send_message(
                chat, item.payload["text"], reply_markup=_markup(item.payload.get("markup"))
            )
            return self._sent(item)
        if item.kind == "media":
            senders: dict[str, Callable[..., Awaitable[Any]]] = {
                "photo": self.bot.send_photo,
                "document": self.bot.send_document,
                "video": self.bot.send_video,
            }
            send = senders[item.payload["media"]]
            await send(chat, item.payload["file"], caption=item.payload["text"])
            return self._sent(item)
        if item.kind == "venue":
            p = item.payload
            await self.bot.send_venue(
                chat, latitude=p["latitude"], longitude=p["longitude"], title=p["title"], address=p["address"]
            )
            return self._sent(item)
        if item.kind == "edit":
            return await self._edit(s, item, case, chat)
        if item.group_key:
            return await self._album(s, item, case, chat, None, direction="out")
        return await self._copy(s, item, case, chat, None, direction="out")

    # ------------------------------------------------------------------ errors
    async def _forbidden(
        self, s: AsyncSession, item: OutboxItem, case: Case, family: Family | None, exc: Exception
    ) -> Outcome:
        self._fail(item, f"forbidden: {exc}")
        if item.target == "family" and family is not None:
            await self.mark_unreachable(s, case, family)
        else:
            log.error("the bot cannot write to the staff group %s: %s", case.chat_id, exc)
            await self._tell_sender(s, item, case)
        return DONE

    async def mark_unreachable(self, s: AsyncSession, case: Case, family: Family) -> None:
        family.is_active = False
        if "unreachable" in TRANSITIONS.get(case.status, frozenset()):
            await transition(s, case, "unreachable", actor_tg_id=None, role="bot")
        with self.staff_locale():
            text = _(
                "🚫 The family has blocked the bot, so messages cannot reach them. "
                "The request is marked «family unreachable»; it becomes active again if they write."
            )
        relay.enqueue_text(s, case, target="staff", text=text, notice="blocked")

    async def _bad_request(
        self, s: AsyncSession, item: OutboxItem, case: Case, family: Family | None, exc: TelegramBadRequest
    ) -> Outcome:
        message = exc.message.lower()
        if item.target == "staff" and ("thread not found" in message or "topic_deleted" in message):
            log.warning("topic of case %s is gone; creating a new one", case.id)
            await audit(s, actor_tg_id=None, role="bot", action="case.topic_lost", obj=("case", case.id))
            case.thread_id = None
            case.card_message_id = None
            return LATER if await self._retry_soon(item) else DONE
        if item.target == "staff" and "topic_closed" in message and case.thread_id:
            await self.bot.reopen_forum_topic(case.chat_id, case.thread_id)
            return LATER if await self._retry_soon(item) else DONE
        if "message to copy not found" in message or "message to edit not found" in message:
            return self._fail(item, exc.message)
        self._fail(item, exc.message)
        await self._tell_sender(s, item, case)
        return DONE

    async def _retry_soon(self, item: OutboxItem) -> bool:
        item.attempts += 1
        if item.attempts >= MAX_ATTEMPTS:
            self._fail(item, "gave up after repeated topic errors")
            return False
        item.not_before = utcnow()
        return True

    async def _tell_sender(self, s: AsyncSession, item: OutboxItem, case: Case) -> None:
        """A message that could not be delivered: whoever wrote it is told, so nothing is lost silently."""
        if item.kind in ("topic", "card", "edit") or (item.kind == "text" and item.target == "staff"):
            return
        if item.target == "staff":  # the family's message did not reach the operators
            family = await s.get(Family, case.family_id) if case.family_id else None
            if family is None:
                return
            with locale_scope(self.i18n, family.language):
                text = _(
                    "Sorry, we could not pass your last message on to a specialist. "
                    "Please send it again, or write it as text."
                )
            relay.enqueue_text(s, case, target="family", text=text)
        elif case.chat_id:
            with self.staff_locale():
                text = _("⚠️ Your message could not be delivered to the family ({error}).").format(
                    error=item.error or "?"
                )
            relay.enqueue_text(s, case, target="staff", text=text)
