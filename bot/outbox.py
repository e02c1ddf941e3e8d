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
from dataclasses import dataclass
from datetime import timedelta

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity, ReplyParameters
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _
from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.db.base import utcnow
from bot.db.models import Case, Family, OutboxItem, Staff
from bot.services import desk, fair_relay, relay
from bot.services.audit import audit
from bot.services.cases import TRANSITIONS, transition
from bot.services.catalog import Catalog
from bot.services.impersonation import looks_like_notice, shift_entities, utf16_len

log = logging.getLogger(__name__)

TOPIC_CAPTION_LIMIT = (
    1000  # media with a longer caption cannot be copied into a topic (tdlib/telegram-bot-api#334)
)
MAX_ATTEMPTS = 8
BATCH = 200


@dataclass
class Outcome:
    done: bool  # False: try again later (the case's later items wait too)


DONE = Outcome(True)
LATER = Outcome(False)


def split_text(text: str, limit: int) -> list[str]:
    """Split at whitespace near ``limit`` so nothing is cut mid-word where avoidable."""
    parts = []
    while len(text) > limit:
        cut = text.rfind(" ", limit // 2, limit)
        cut = cut if cut > 0 else limit
        parts.append(text[:cut])
        text = text[cut:].lstrip()
    if text:
        parts.append(text)
    return parts


class OutboxWorker:
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
                from handlers.operators.backlog import Backlog

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

    @staticmethod
    def _fail(item: OutboxItem, error: str) -> Outcome:
        item.status = "failed"
        item.error = error[:255]
        log.warning("relay item %s failed: %s", item.id, error)
        return DONE

    @staticmethod
    def _sent(item: OutboxItem) -> Outcome:
        item.status = "sent"
        item.sent_at = utcnow()
        return DONE

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
            from handlers.operators.card import title_for

            topic = await self.bot.create_forum_topic(
                case.chat_id, title_for(case, self.catalog, self.locale)
            )
        case.thread_id = topic.message_thread_id
        case.card_message_id = None
        await audit(s, actor_tg_id=None, role="bot", action="case.topic", obj=("case", case.id))
        await s.commit()  # a crash from here on must not create a second topic
        await self.post_card(s, case, family)
        if case.urgency == "emergency" and case.status != "closed":
            await self._alert_crisis_staff(s, case)
        return case.thread_id

    @property
    def locale(self) -> str:
        return self.settings.default_locale

    def staff_locale(self):
        return _LocaleScope(self.i18n, self.settings.default_locale)

    async def post_card(self, s: AsyncSession, case: Case, family: Family | None) -> None:
        from handlers.operators.card import card_kb, card_text

        owner = await s.get(Staff, case.owner_id) if case.owner_id else None
        previous = await desk.previous_cases(s, case)
        with self.staff_locale():
            text = card_text(case, family, owner, previous, self.catalog, self.locale)
            markup = card_kb(case)
        msg = await self.bot.send_message(
            case.chat_id, text, message_thread_id=case.thread_id, reply_markup=markup
        )
        case.card_message_id = msg.message_id
        await s.commit()

    async def _alert_crisis_staff(self, s: AsyncSession, case: Case) -> None:
        from handlers.operators.card import mention

        on_duty = (await s.scalars(select(Staff).where(Staff.role == "crisis", Staff.active.is_(True)))).all()
        with self.staff_locale():
            text = _("🔴 Emergency request № {number}: please take it now.").format(number=case.id)
            if on_duty:
                text += "\n" + ", ".join(mention(st) for st in on_duty)
        await self.bot.send_message(
            case.chat_id, text, message_thread_id=case.thread_id, reply_parameters=self._on_card(case)
        )

    @staticmethod
    def _on_card(case: Case) -> ReplyParameters | None:
        """The bot's own notices in a topic are replies to the request's card: a relayed message of a family can
        never be one, so the quoted card tells staff the notice is the bot's (services/impersonation)."""
        if case.card_message_id is None:
            return None
        return ReplyParameters(message_id=case.card_message_id, allow_sending_without_reply=True)

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
            from handlers.operators.card import sync_topic

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
            send = {
                "photo": self.bot.send_photo,
                "document": self.bot.send_document,
                "video": self.bot.send_video,
            }[item.payload["media"]]
            await send(chat, item.payload["file"], caption=item.payload["text"])
            return self._sent(item)
        if item.kind == "edit":
            return await self._edit(s, item, case, chat)
        if item.group_key:
            return await self._album(s, item, case, chat, None, direction="out")
        return await self._copy(s, item, case, chat, None, direction="out")

    # ------------------------------------------------------------------ kinds
    async def _copy(
        self,
        s: AsyncSession,
        item: OutboxItem,
        case: Case,
        chat: int,
        thread_id: int | None,
        *,
        direction: str,
    ) -> Outcome:
        assert item.from_chat_id is not None and item.from_message_id is not None
        if await relay.counterpart(
            s, chat_id=item.from_chat_id, message_id=item.from_message_id, other_chat_id=chat
        ):
            return self._sent(item)  # already delivered before a restart
        reply = None
        if item.payload.get("reply_to"):
            twin = await relay.counterpart(
                s, chat_id=item.from_chat_id, message_id=item.payload["reply_to"], other_chat_id=chat
            )
            if twin:
                reply = ReplyParameters(message_id=twin, allow_sending_without_reply=True)
        caption = item.payload.get("caption")
        rest: list[str] = []
        kwargs: dict = {}
        label = ""
        if item.payload.get("framed"):  # opens like a notice of the bot: labelled as the family's own words
            with self.staff_locale():
                label = _("💬 The family writes:") + "\n"
            if "text" in item.payload:
                return await self._framed_text(s, item, case, chat, thread_id, label, reply)
            caption = label + (caption or "")
            kwargs = {
                "caption": caption,
                "parse_mode": None,
                "caption_entities": _entities(shift_entities(item.payload.get("entities"), utf16_len(label))),
            }
        if caption and thread_id is not None and len(caption) > TOPIC_CAPTION_LIMIT:
            head, *rest = split_text(caption, TOPIC_CAPTION_LIMIT)
            kwargs = {"caption": head, "parse_mode": None}
        result = await self.bot.copy_message(
            chat,
            item.from_chat_id,
            item.from_message_id,
            message_thread_id=thread_id,
            reply_parameters=reply,
            **kwargs,
        )
        relay.link(
            s,
            case,
            from_chat=item.from_chat_id,
            from_id=item.from_message_id,
            to_chat=chat,
            to_id=result.message_id,
            direction=direction,
        )
        self._sent(item)
        await s.commit()
        for part in rest:  # the caption's continuation, as replies to the copied media
            sent = await self.bot.send_message(
                chat,
                part,
                message_thread_id=thread_id,
                parse_mode=None,
                reply_parameters=ReplyParameters(
                    message_id=result.message_id, allow_sending_without_reply=True
                ),
            )
            self._link_part(s, item, case, chat, sent.message_id)
            await s.commit()
        return DONE

    @staticmethod
    def _link_part(s: AsyncSession, item: OutboxItem, case: Case, chat: int, message_id: int) -> None:
        """A continuation the bot sent for a family's message (a long caption's rest): kept with the item, so that
        /forget deletes it from the topic too (services/privacy)."""
        payload = item.payload or {}
        item.payload = {**payload, "parts": [*payload.get("parts", []), [chat, message_id]]}

    async def _framed_text(
        self,
        s: AsyncSession,
        item: OutboxItem,
        case: Case,
        chat: int,
        thread_id: int | None,
        label: str,
        reply: ReplyParameters | None,
    ) -> Outcome:
        text = label + item.payload["text"]
        entities = _entities(shift_entities(item.payload.get("entities"), utf16_len(label)))
        parts = [text]
        if utf16_len(text) > 4096:  # the label pushed it over Telegram's limit: plain parts, nothing cut
            parts, entities = split_text(text, 4000), None
        first = None
        for part in parts:
            sent = await self.bot.send_message(
                chat,
                part,
                message_thread_id=thread_id,
                parse_mode=None,
                entities=entities if first is None else None,
                reply_parameters=reply
                if first is None
                else ReplyParameters(message_id=first, allow_sending_without_reply=True),
            )
            if first is not None:
                self._link_part(s, item, case, chat, sent.message_id)
                await s.commit()
            else:
                first = sent.message_id
                relay.link(
                    s,
                    case,
                    from_chat=item.from_chat_id,
                    from_id=item.from_message_id,
                    to_chat=chat,
                    to_id=sent.message_id,
                    direction="in",
                )
                self._sent(item)
                await s.commit()
        return DONE

    async def _contact(
        self, s: AsyncSession, item: OutboxItem, case: Case, family: Family | None, thread_id: int
    ) -> Outcome:
        """A family's shared contact as a new card: the phone, a name only if it is someone else's card or the
        family allowed its name; never the Telegram id of the account (no ``user_id``)."""
        assert item.from_chat_id is not None and item.from_message_id is not None
        if await relay.counterpart(
            s, chat_id=item.from_chat_id, message_id=item.from_message_id, other_chat_id=case.chat_id
        ):
            return self._sent(item)
        name = item.payload.get("name")
        if not name:
            with self.staff_locale():
                name = _("Family № {number}").format(number=case.family_id or "—")
            if family is not None and family.share_name and family.display_name:
                name = family.display_name
        reply = None
        if item.payload.get("reply_to"):
            twin = await relay.counterpart(
                s, chat_id=item.from_chat_id, message_id=item.payload["reply_to"], other_chat_id=case.chat_id
            )
            if twin:
                reply = ReplyParameters(message_id=twin, allow_sending_without_reply=True)
        result = await self.bot.send_contact(
            case.chat_id,
            phone_number=item.payload["phone"],
            first_name=name[:64],
            message_thread_id=thread_id,
            reply_parameters=reply,
        )
        relay.link(
            s,
            case,
            from_chat=item.from_chat_id,
            from_id=item.from_message_id,
            to_chat=case.chat_id,
            to_id=result.message_id,
            direction="in",
        )
        return self._sent(item)

    async def _erase(self, item: OutboxItem, case: Case, thread_id: int) -> Outcome:
        """/forget reached the topics: delete the family's relayed messages (the bot's own copies; an
        administrator may delete any message of its supergroup), then tell staff exactly what happened."""
        by_chat: dict[int, list[int]] = {}
        for chat_id, message_id in item.payload.get("messages") or []:
            by_chat.setdefault(chat_id, []).append(message_id)
        deleted = failed = 0
        for chat_id, ids in by_chat.items():
            for start in range(0, len(ids), 100):  # deleteMessages takes up to 100 ids
                chunk = sorted(ids[start : start + 100])
                try:
                    await self.bot.delete_messages(chat_id, chunk)
                    deleted += len(chunk)
                    continue
                except TelegramBadRequest:
                    pass  # one of them could not go: one by one, to count exactly
                for message_id in chunk:
                    try:
                        await self.bot.delete_message(chat_id, message_id)
                        deleted += 1
                    except TelegramBadRequest as exc:
                        if "not found" in exc.message:
                            deleted += 1  # already gone (deleted by staff)
                        else:
                            failed += 1
        with self.staff_locale():
            lines = [item.payload.get("note") or ""]
            lines.append(
                ngettext(
                    "Deleted from the operators' topics: {n} message of the family.",
                    "Deleted from the operators' topics: {n} messages of the family.",
                    deleted,
                ).format(n=deleted)
            )
            if failed:
                lines.append(
                    ngettext(
                        "⚠️ Telegram did not let the bot delete {n} message of the family (for example, it is "
                        "older than 48 hours). Please delete it by hand, or delete this topic.",
                        "⚠️ Telegram did not let the bot delete {n} messages of the family (for example, they "
                        "are older than 48 hours). Please delete them by hand, or delete this topic.",
                        failed,
                    ).format(n=failed)
                )
        await self.bot.send_message(
            case.chat_id,
            "\n".join(filter(None, lines)),
            message_thread_id=thread_id,
            reply_parameters=self._on_card(case),
        )
        item.payload = {"deleted": deleted, "failed": failed}  # the ids are not kept once done
        if failed:
            log.warning("erasure: %s relayed message(s) of case %s could not be deleted", failed, case.id)
        return self._sent(item)

    async def _album(
        self,
        s: AsyncSession,
        item: OutboxItem,
        case: Case,
        chat: int,
        thread_id: int | None,
        *,
        direction: str,
    ) -> Outcome:
        items = list(
            (
                await s.scalars(
                    select(OutboxItem).where(
                        OutboxItem.group_key == item.group_key,
                        OutboxItem.case_id == case.id,
                        OutboxItem.target == item.target,
                        OutboxItem.status == "pending",
                    )
                )
            ).all()
        )
        newest = max(i.created_at for i in items)
        if utcnow() - newest < relay.ALBUM_SETTLE:
            item.not_before = newest + relay.ALBUM_SETTLE
            return LATER
        items.sort(key=lambda i: i.from_message_id or 0)
        result = await self.bot.copy_messages(
            chat, item.from_chat_id, [i.from_message_id for i in items], message_thread_id=thread_id
        )
        for src, dst in zip(items, result, strict=False):
            relay.link(
                s,
                case,
                from_chat=src.from_chat_id,
                from_id=src.from_message_id,
                to_chat=chat,
                to_id=dst.message_id,
                direction=direction,
            )
            self._sent(src)
        for src in items[len(result) :]:
            self._fail(src, "not copied (deleted before it could be sent)")
        return DONE

    async def _edit(self, s: AsyncSession, item: OutboxItem, case: Case, chat: int) -> Outcome:
        assert item.from_chat_id is not None and item.from_message_id is not None
        twin = await relay.counterpart(
            s, chat_id=item.from_chat_id, message_id=item.from_message_id, other_chat_id=chat
        )
        if twin is None:
            pending = await s.scalar(
                select(OutboxItem.id).where(
                    OutboxItem.status == "pending",
                    OutboxItem.kind == "copy",
                    OutboxItem.from_chat_id == item.from_chat_id,
                    OutboxItem.from_message_id == item.from_message_id,
                )
            )
            if pending:
                item.not_before = utcnow() + timedelta(seconds=1)
                return LATER
            return self._fail(item, "the original was never relayed")
        text = item.payload["text"]
        raw_entities = item.payload.get("entities") or []
        if item.target == "staff" and looks_like_notice(text):  # an edit may not dress up as a notice either
            with self.staff_locale():
                label = _("💬 The family writes:") + "\n"
            text, raw_entities = label + text, shift_entities(raw_entities, utf16_len(label))
        entities = _entities(raw_entities)
        try:
            if item.payload.get("caption"):
                await self.bot.edit_message_caption(
                    chat_id=chat,
                    message_id=twin,
                    caption=text,
                    caption_entities=entities,
                    parse_mode=None,
                )
            else:
                await self.bot.edit_message_text(
                    chat_id=chat,
                    message_id=twin,
                    text=text,
                    entities=entities,
                    parse_mode=None,
                )
        except TelegramBadRequest as exc:
            if "not modified" not in exc.message:
                raise
        return self._sent(item)

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
            with _LocaleScope(self.i18n, family.language):
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


class _LocaleScope:
    """Translations outside an update (the worker and scheduled jobs)."""

    def __init__(self, i18n: I18n, locale: str) -> None:
        self.i18n = i18n
        self.locale = locale

    def __enter__(self) -> None:
        self._ctx = self.i18n.context()
        self._ctx.__enter__()
        self._use = self.i18n.use_locale(self.locale)
        self._use.__enter__()

    def __exit__(self, *exc: object) -> None:
        self._use.__exit__(*exc)
        self._ctx.__exit__(*exc)


def locale_scope(i18n: I18n, locale: str) -> _LocaleScope:
    return _LocaleScope(i18n, locale)


def _entities(data: list[dict] | None) -> list[MessageEntity] | None:
    return [MessageEntity.model_validate(e) for e in data] if data else None


def _markup(data: dict | None) -> InlineKeyboardMarkup | None:
    return InlineKeyboardMarkup.model_validate(data) if data else None
