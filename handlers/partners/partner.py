"""Partner staff: join by invitation, check a family card (QR deep link or number), propose offers, statistics."""

from __future__ import annotations

import logging
from datetime import date

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart, Filter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message, TelegramObject
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.markdown import html_decoration as hd
from babel.dates import format_date as babel_date

from bot.config import Settings
from bot.db.base import utcnow
from bot.db.models import Partner, PartnerMember
from bot.db.session import AsyncSession
from bot.middlewares.context import UserContext
from bot.services import card as card_service
from bot.services import card_partners
from bot.services.audit import audit
from bot.services.card import CardError
from bot.services.catalog import Catalog
from bot.views.callbacks import PartnerAct, PartnerAction, Redeem
from bot.views.card import category_names, offer_status_label, offer_text, short
from bot.views.ui import chunk, kb, show

log = logging.getLogger(__name__)
router = Router(name="partners.partner")
others = Router(name="partners.others")

MAX_VALIDITY_DAYS = 2 * 366


class IsPartner(Filter):
    """The user is an active staff member of an active partner; passes `partner` and `member` on."""

    async def __call__(self, event: TelegramObject, session: AsyncSession) -> bool | dict:
        user = getattr(event, "from_user", None)
        if user is None:
            return False
        found = await card_partners.membership(session, user.id)
        return {"partner": found[0], "member": found[1]} if found else False


class OfferFlow(StatesGroup):
    kind = State()
    text = State()
    discount = State()
    conditions = State()
    where = State()
    until = State()
    regions = State()
    categories = State()
    confirm = State()


def menu_kb():
    return kb(
        [(_("Check a card"), PartnerAct(a=PartnerAction.CHECK))],
        [
            (_("Propose an offer"), PartnerAct(a=PartnerAction.NEW)),
            (_("My offers"), PartnerAct(a=PartnerAction.MINE)),
        ],
        [(_("Statistics"), PartnerAct(a=PartnerAction.STATS))],
    )


def menu_text(partner: Partner) -> str:
    return _(
        "<b>{name}</b> · partner of the family card programme\n\n"
        "To check a family card, scan its QR code with the phone camera: it opens this bot. "
        "Or send the card number here (16 digits)."
    ).format(name=hd.quote(partner.name))


def refusal_text() -> str:
    return _(
        "This section is for partner organisations of the family card programme. "
        "To become a partner, contact the coordinator of your regional Family Resource Centre."
    )


def back_kb():
    return kb([(_("« Partner menu"), PartnerAct(a=PartnerAction.MENU))])


# --- joining -----------------------------------------------------------------------------------------------------


@router.message(CommandStart(deep_link=True, magic=F.args.regexp(r"^partner_[A-Za-z0-9_-]{8,}$")))
async def join(message: Message, command: CommandObject, state: FSMContext, session: AsyncSession) -> None:
    token = command.args.removeprefix(card_partners.INVITE_PREFIX)
    try:
        partner, _member = await card_partners.accept_invite(
            session, token, message.from_user.id, message.from_user.full_name
        )
    except CardError as exc:
        log.info("partner invite refused: %s", exc)
        await message.answer(
            _(
                "This invitation link does not work: it has been used or has expired. "
                "Please ask the coordinator for a new one."
            )
        )
        return
    await state.set_state(None)
    await message.answer(
        _("Welcome! You are now on the staff of «{name}» in the family card programme.").format(
            name=hd.quote(partner.name)
        )
        + "\n\n"
        + menu_text(partner),
        reply_markup=menu_kb(),
    )


# --- checking a card ---------------------------------------------------------------------------------------------


@router.message(
    CommandStart(deep_link=True, magic=F.args.startswith(card_service.DEEP_LINK_PREFIX)), IsPartner()
)
async def scanned(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    settings: Settings,
    catalog: Catalog,
    partner: Partner,
    member: PartnerMember,
) -> None:
    await run_check(message, command.args, "qr", session, settings, catalog, partner, member)


@router.message(CommandStart(deep_link=True, magic=F.args.startswith(card_service.DEEP_LINK_PREFIX)))
async def scanned_by_stranger(message: Message, session: AsyncSession, ctx: UserContext) -> None:
    """Anyone but a partner: the card is not checked and nothing about it is said."""
    await audit(
        session,
        actor_tg_id=message.from_user.id,
        role="family" if ctx and ctx.family else None,
        action="card.check_refused",
        details={"source": "qr"},
    )
    await message.answer(
        _(
            "This is a family card of «Family Window». Only partner organisations of the programme can check it. "
            "To see your own card, send /card."
        )
    )


@router.message(Command("check"), IsPartner())
async def check_cmd(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
    catalog: Catalog,
    partner: Partner,
    member: PartnerMember,
) -> None:
    await state.set_state(None)
    if not command.args:
        await message.answer(check_hint(), reply_markup=back_kb())
        return
    await run_check(message, command.args, "typed", session, settings, catalog, partner, member)


def check_hint() -> str:
    return _(
        "Scan the QR code of the family's card with the phone camera, or send the card number here "
        "(16 digits, spaces do not matter)."
    )


@router.message(
    F.text.func(card_service.looks_like_number),
    IsPartner(),
)
async def typed_number(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
    catalog: Catalog,
    partner: Partner,
    member: PartnerMember,
) -> None:
    if await state.get_state() is not None:
        await state.set_state(None)
    await run_check(message, message.text, "typed", session, settings, catalog, partner, member)


async def run_check(
    message: Message,
    raw: str,
    source: str,
    session: AsyncSession,
    settings: Settings,
    catalog: Catalog,
    partner: Partner,
    member: PartnerMember,
) -> None:
    now = utcnow()
    recent = await card_service.checks_in_last(session, member.tg_user_id, 60, now)
    if recent >= settings.card_checks_per_minute:
        await audit(
            session,
            actor_tg_id=member.tg_user_id,
            role="partner",
            action="card.check_rate_limited",
            details={"partner": partner.id},
        )
        await message.answer(_("Too many checks in one minute. Please wait a minute and try again."))
        return
    outcome = await card_service.check(
        session, partner_id=partner.id, member_tg_id=member.tg_user_id, raw=raw, source=source, now=now
    )
    rules = catalog.card
    if outcome.result == "valid":
        text = _("✅ <b>The card is valid.</b>\nCategory: {category}").format(
            category=category_names(rules, outcome.categories[:1], get_i18n().current_locale)
        )
        offers = await card_partners.offers_for_check(session, partner.id, outcome.card, now)
        rows = [
            [(short(f"{o.discount} · {o.text}", 40), Redeem(check=outcome.check_id, offer=o.id))]
            for o in offers
        ]
        if offers:
            text += "\n\n" + _("Which offer did you give? This is for your statistics.")
        else:
            text += "\n\n" + _("You have no published offer for this family's category and region.")
        rows.append([(_("Only a check"), Redeem(check=outcome.check_id, offer=0))])
        await message.answer(text, reply_markup=kb(*rows))
        return
    text = {
        "expired": _(
            "⌛ <b>The card has expired.</b> The family can renew it in the bot; discounts do not apply."
        ),
        "revoked": _("⛔ <b>The card is not valid</b> (revoked). Discounts do not apply."),
    }.get(
        outcome.result,
        _(
            "❓ <b>No such card.</b> Please check the number, or scan the QR code again. Discounts do not apply."
        ),
    )
    await message.answer(text, reply_markup=back_kb())


@router.callback_query(Redeem.filter(), IsPartner())
async def redeemed(
    call: CallbackQuery, callback_data: Redeem, session: AsyncSession, partner: Partner, member: PartnerMember
) -> None:
    if callback_data.offer == 0:
        await call.answer(_("Recorded as a check."))
        if isinstance(call.message, Message):
            await call.message.edit_reply_markup(reply_markup=back_kb())
        return
    offer = await card_partners.offer(session, callback_data.offer)
    if offer is None or offer.partner_id != partner.id:
        await call.answer(_("This button no longer works."), show_alert=True)
        return
    try:
        await card_service.redeem(
            session, callback_data.check, offer.id, partner_id=partner.id, member_tg_id=member.tg_user_id
        )
    except CardError:
        await call.answer(_("This check is already recorded."), show_alert=True)
        return
    await call.answer(_("Recorded."))
    if isinstance(call.message, Message):
        await call.message.edit_text(
            (call.message.html_text or "").split("\n\n")[0]
            + "\n\n"
            + _("Recorded: «{offer}».").format(offer=hd.quote(short(offer.text, 60))),
            reply_markup=back_kb(),
        )


# --- the partner menu --------------------------------------------------------------------------------------------


@router.message(Command("partner"), IsPartner())
async def partner_cmd(message: Message, state: FSMContext, partner: Partner) -> None:
    await state.set_state(None)
    await message.answer(menu_text(partner), reply_markup=menu_kb())


@router.callback_query(PartnerAct.filter(F.a == PartnerAction.MENU), IsPartner())
async def partner_menu(call: CallbackQuery, state: FSMContext, partner: Partner) -> None:
    await state.set_state(None)
    await call.answer()
    await show(call, menu_text(partner), menu_kb())


@router.callback_query(PartnerAct.filter(F.a == PartnerAction.CHECK), IsPartner())
async def check_help(call: CallbackQuery) -> None:
    await call.answer()
    await show(call, check_hint(), back_kb())


@router.callback_query(PartnerAct.filter(F.a == PartnerAction.STATS), IsPartner())
async def stats(call: CallbackQuery, session: AsyncSession, settings: Settings, partner: Partner) -> None:
    await call.answer()
    await show(call, await stats_text(session, settings, partner), back_kb())


async def stats_text(session: AsyncSession, settings: Settings, partner: Partner) -> str:
    months = await card_partners.partner_stats(session, partner.id, settings.tz)
    locale = get_i18n().current_locale
    lines = [_("<b>Statistics of «{name}»</b>").format(name=hd.quote(partner.name))]
    if not months:
        lines.append(_("No checks yet. Every check of a card and every discount given will show here."))
        return "\n\n".join(lines)
    offers = {o.id: o for o in await card_partners.partner_offers(session, partner.id)}
    for m in months:
        year, month = (int(x) for x in m.month.split("-"))
        title = babel_date(date(year, month, 1), "LLLL yyyy", locale=locale).capitalize()
        block = [
            f"<b>{title}</b>",
            _("Checks: {checks} (valid cards: {valid})").format(checks=m.checks, valid=m.valid),
            _("Discounts given: {count}").format(count=sum(m.redemptions.values())),
        ]
        for offer_id, count in sorted(m.redemptions.items(), key=lambda kv: -kv[1]):
            offer = offers.get(offer_id)
            name = short(offer.text, 40) if offer else f"№ {offer_id}"
            block.append(f" · {hd.quote(name)}: {count}")
        lines.append("\n".join(block))
    return "\n\n".join(lines)


@router.callback_query(PartnerAct.filter(F.a == PartnerAction.MINE), IsPartner())
async def my_offers(
    call: CallbackQuery, session: AsyncSession, settings: Settings, catalog: Catalog, partner: Partner
) -> None:
    await call.answer()
    await show(call, *(await my_offers_screen(session, settings, catalog, partner)))


async def my_offers_screen(session: AsyncSession, settings: Settings, catalog: Catalog, partner: Partner):
    offers = await card_partners.partner_offers(session, partner.id)
    rules = catalog.card
    locale = get_i18n().current_locale
    if not offers:
        return _(
            "You have no offers yet. Propose the first one: a coordinator reviews it, usually within a few working days."
        ), kb(
            [(_("Propose an offer"), PartnerAct(a=PartnerAction.NEW))],
            [(_("« Partner menu"), PartnerAct(a=PartnerAction.MENU))],
        )
    parts = [_("<b>Your offers</b>")]
    buttons = []
    for o in offers[:10]:
        status = card_partners.offer_status(o)
        line = _("№ {number} · {status}").format(number=o.id, status=offer_status_label(status))
        if status == "rejected" and o.reason:
            line += "\n" + _("Reason: {reason}").format(reason=hd.quote(o.reason))
        parts.append(line + "\n" + offer_text(o, None, rules, catalog, locale, settings.tz))
        if status in ("proposed", "live"):
            buttons.append(
                (_("Withdraw № {number}").format(number=o.id), PartnerAct(a="withdraw", v=str(o.id)))
            )
    return "\n\n".join(parts)[:4000], kb(
        *chunk(buttons, 2), [(_("« Partner menu"), PartnerAct(a=PartnerAction.MENU))]
    )


@router.callback_query(PartnerAct.filter(F.a == PartnerAction.WITHDRAW), IsPartner())
async def withdraw(
    call: CallbackQuery,
    callback_data: PartnerAct,
    session: AsyncSession,
    settings: Settings,
    catalog: Catalog,
    partner: Partner,
    member: PartnerMember,
) -> None:
    offer = await card_partners.offer(session, int(callback_data.v)) if callback_data.v.isdigit() else None
    if offer is None or offer.partner_id != partner.id:
        await call.answer(_("This button no longer works."), show_alert=True)
        return
    try:
        await card_partners.withdraw_offer(session, offer, member_tg_id=member.tg_user_id)
    except CardError:
        await call.answer(_("This button no longer works."), show_alert=True)
        return
    await call.answer(_("The offer is withdrawn: families no longer see it."))
    await show(call, *(await my_offers_screen(session, settings, catalog, partner)))


# --- anyone else (mounted after the offer wizard) ------------------------------------------------------------


@others.callback_query(PartnerAct.filter())
@others.callback_query(Redeem.filter())
async def stranger_button(call: CallbackQuery) -> None:
    await call.answer(refusal_text(), show_alert=True)


@others.message(Command("check"))
@others.message(Command("partner"))
async def not_a_partner(message: Message, session: AsyncSession) -> None:
    await audit(
        session,
        actor_tg_id=message.from_user.id,
        role=None,
        action="partner.refused",
        details={"what": "command"},
    )
    await message.answer(refusal_text())
