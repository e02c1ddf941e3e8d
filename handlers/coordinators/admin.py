"""Staff administration and the audit log, for coordinators."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.markdown import html_decoration as hd

from bot.commands import set_coordinator_menu
from bot.config import Settings
from bot.db.models import AuditLog
from bot.db.session import AsyncSession
from bot.middlewares.context import UserContext
from bot.services import audit_log
from bot.services import staff as staff_service
from bot.services.audit import audit
from bot.views.ui import clip
from handlers.filters import role_of

router = Router(name="coordinators.admin")

# Roles a coordinator may give in the bot. «admin» stays with ADMIN_IDS and the CLI. Partner staff are registered
# by the family-card feature (handlers/partners/, another issue): hook it in here when it lands.
GRANTABLE = ("operator", "specialist", "crisis", "supervisor", "coordinator")


def role_label(role: str) -> str:
    return {
        "operator": _("operator"),
        "specialist": _("specialist"),
        "crisis": _("crisis staff"),
        "supervisor": _("supervisor"),
        "coordinator": _("coordinator"),
        "admin": _("administrator"),
    }.get(role, role)


def specialty_label(code: str | None) -> str:
    return {
        "lawyer": _("lawyer"),
        "psychologist": _("psychologist"),
        "social_consultant": _("social consultant"),
    }.get(code or "", code or "")


def staff_help() -> str:
    return _(
        "<b>Staff</b>\n"
        "/staff: the list\n"
        "/staff add 123456789 operator Anna: add or change (roles: {roles})\n"
        "/staff add 123456789 specialist lawyer Ivan: a specialist with a specialty ({specialties})\n"
        "/staff remove 123456789: remove\n"
        "The number is the person's Telegram id: they can see it by writing to @userinfobot."
    ).format(roles=", ".join(GRANTABLE), specialties=", ".join(staff_service.SPECIALTIES))


@router.message(Command("staff"))
async def staff_cmd(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    ctx: UserContext,
    i18n: I18n,
    settings: Settings,
) -> None:
    args = (command.args or "").split()
    actor, role = ctx.user.id, role_of(ctx)
    if not args or args[0] in ("list", "help"):
        members = await staff_service.members(session)
        lines = [_("<b>Staff</b> ({n})").format(n=len(members))]
        for m in members:
            what = role_label(m.role) + (f" · {specialty_label(m.specialty)}" if m.specialty else "")
            lines.append(
                f"{hd.quote(m.name or '—')} · {m.tg_user_id} · {what}"
                + (f" · {m.region}" if m.region else "")
            )
        lines += ["", staff_help()]
        await message.answer(clip("\n".join(lines)))
        return
    if args[0] == "add" and len(args) >= 3 and args[1].isdigit():
        user_id, new_role, rest = int(args[1]), args[2], args[3:]
        if new_role not in GRANTABLE:
            await message.answer(
                _("Unknown role «{role}». Roles: {roles}.").format(
                    role=hd.quote(new_role), roles=", ".join(GRANTABLE)
                )
            )
            return
        specialty = None
        if new_role == "specialist":
            if not rest or rest[0] not in staff_service.SPECIALTIES:
                await message.answer(
                    _("A specialist needs a specialty: {specialties}.").format(
                        specialties=", ".join(staff_service.SPECIALTIES)
                    )
                )
                return
            specialty, rest = rest[0], rest[1:]
        name = " ".join(rest)[:128] or None
        member = await staff_service.upsert(
            session, user_id, new_role, specialty=specialty, name=name, actor_tg_id=actor, actor_role=role
        )
        await session.commit()
        await refresh_menu(message, session, settings, i18n, user_id)
        await message.answer(
            _("Done: {name} ({id}) is now {role}.").format(
                name=hd.quote(member.name or "—"),
                id=user_id,
                role=role_label(new_role) + (f", {specialty_label(specialty)}" if specialty else ""),
            )
        )
        return
    if args[0] == "remove" and len(args) == 2 and args[1].isdigit():
        if int(args[1]) == ctx.user.id:
            await message.answer(_("You cannot remove yourself."))
            return
        if await staff_service.deactivate(session, int(args[1]), actor_tg_id=actor, actor_role=role):
            await session.commit()
            await refresh_menu(message, session, settings, i18n, int(args[1]))
            await message.answer(_("Done: {id} is no longer staff.").format(id=args[1]))
        else:
            await message.answer(_("There is no active staff member {id}.").format(id=args[1]))
        return
    await message.answer(staff_help())


async def refresh_menu(
    message: Message, session: AsyncSession, settings: Settings, i18n: I18n, user_id: int
) -> None:
    """The person's command menu follows their rights (a coordinator named in the settings keeps theirs)."""
    on = user_id in await staff_service.coordinator_ids(session, settings)
    await set_coordinator_menu(message.bot, i18n, user_id, on=on)


def entry_line(e: AuditLog) -> str:
    who = f"{e.actor_role or '?'} {e.actor_tg_id or ''}".strip()
    obj = f" {e.object_type} {e.object_id}" if e.object_type else ""
    details = ", ".join(f"{k}={v}" for k, v in (e.details or {}).items() if v not in (None, "", [], {}))
    line = f"{e.at:%d.%m.%Y %H:%M} · {who} · {e.action}{obj}"
    return hd.quote(line + (f" ({details[:120]})" if details else ""))


@router.message(Command("audit"))
async def audit_cmd(
    message: Message, command: CommandObject, session: AsyncSession, ctx: UserContext
) -> None:
    args = (command.args or "").split()
    if len(args) != 2 or args[0] not in ("case", "family", "person") or not args[1].isdigit():
        await message.answer(
            _(
                "<b>Audit log</b>\n"
                "/audit case 12: everything about request № 12\n"
                "/audit family 34: about family № 34 and its requests\n"
                "/audit person 123456789: what a person did (by Telegram id) and changes to their staff record"
            )
        )
        return
    kind, number = args[0], int(args[1])
    reader = {"case": audit_log.for_case, "family": audit_log.for_family, "person": audit_log.for_person}[
        kind
    ]
    entries = await reader(session, number)
    await audit(
        session,
        actor_tg_id=ctx.user.id,
        role=role_of(ctx),
        action="audit.read",
        details={"kind": kind, "id": number},
    )
    if not entries:
        await message.answer(_("The audit log has nothing about {kind} {id}.").format(kind=kind, id=number))
        return
    head = _("<b>Audit log: {kind} {id}</b> (UTC, the last {n})").format(kind=kind, id=number, n=len(entries))
    await message.answer(clip("\n".join([head, *map(entry_line, entries)])))
