"""«Показать сейчас» under the relay's «ещё N сообщений» notice: staff choose to read a family's backlog first.

The group's budget is shared round robin between families (bot/services/fair_relay.py); a member of staff who needs
one family's waiting messages now spends the group's budget on them knowingly, and the act is audited.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.db.models import Staff
from bot.db.session import AsyncSession
from bot.services import cases, relay
from bot.services.audit import audit
from bot.views.callbacks import Backlog

router = Router(name="operators.backlog")


@router.callback_query(Backlog.filter())
async def show_now(call: CallbackQuery, callback_data: Backlog, staff: Staff, session: AsyncSession) -> None:
    case = await cases.get(session, callback_data.case)
    message = call.message
    if (
        case is None
        or message is None
        or case.chat_id != message.chat.id
        or case.thread_id != getattr(message, "message_thread_id", None)
    ):
        await call.answer(_("This button no longer works."), show_alert=True)
        return
    n = await relay.hurry(session, case)
    await audit(
        session,
        actor_tg_id=call.from_user.id,
        role=staff.role,
        action="case.backlog_shown",
        obj=("case", case.id),
        details={"items": n},
    )
    await call.answer(
        ngettext("{n} waiting message comes next.", "{n} waiting messages come next.", n).format(n=n)
    )
