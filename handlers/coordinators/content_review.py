"""/content: what in data/ is past its review date, with counts; `/content ok id note` marks an item re-checked;
`/content import kind` with a file attached loads a corrected file after a dry run (content_import.py)."""

from __future__ import annotations

from datetime import date

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot.config import Settings
from bot.db.session import AsyncSession
from bot.middlewares.context import UserContext
from bot.services import clock
from bot.services import content_review as cr
from bot.services.catalog import Catalog
from bot.views import content_review as views
from bot.views.ui import clip
from handlers.coordinators import content_import
from handlers.filters import role_of

router = Router(name="coordinators.content")

NOTE_LIMIT = 500


@router.message(Command("content"))
async def content_cmd(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    settings: Settings,
    catalog: Catalog,
    ctx: UserContext,
    bot: Bot,
    state: FSMContext,
) -> None:
    args = (command.args or "").split(maxsplit=2)
    if args and args[0] == "import":
        await content_import.dry_run(message, bot, state, catalog, args[1] if len(args) > 1 else None)
        return
    today = clock.today(settings.tz)
    items = cr.review_items(catalog.data_dir)
    if not args:
        due = await cr.due(session, items, today)
        await message.answer(clip(views.review_text(due, len(items), today, ctx.locale, digest=False)))
        return
    if args[0] != "ok" or len(args) < 3:
        await message.answer(views.usage_text())
        return
    item = cr.find(items, args[1])
    if item is None:
        await message.answer(views.unknown_item_text(args[1][:100]))
        return
    note = args[2]
    until: date | None = None
    first, _sep, rest = note.partition(" ")
    try:
        until = date.fromisoformat(first)
    except ValueError:
        until = None
    else:
        note = rest
    if (until is not None and until <= today) or not note.strip():
        await message.answer(views.usage_text())
        return
    row = await cr.mark_rechecked(
        session,
        item,
        note=note[:NOTE_LIMIT],
        today=today,
        next_review=until,
        actor_tg_id=ctx.user.id,
        role=role_of(ctx),
    )
    await session.commit()
    await message.answer(views.marked_text(item, row.next_review, ctx.locale))
