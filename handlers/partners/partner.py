"""Partner staff: join by invitation, check a family card (QR deep link or number), propose offers, statistics."""

from __future__ import annotations

import logging
import re
from datetime import date, timedelta

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
from bot.db.models import Partner, PartnerMember, PartnerOffer
from bot.db.session import AsyncSession
from bot.i18n import locale_scope
from bot.middlewares.context import UserContext
from bot.notify import notify_coordinators
from bot.services import card as card_service
from bot.services import card_partners, card_rules
from bot.services.audit import audit
from bot.services.card import CardError
from bot.services.card_partners import OfferDraft
from bot.services.catalog import Catalog
from bot.views.callbacks import OfferMod, PartnerAct, Redeem
from bot.views.card import category_names, offer_scope, offer_status_label, offer_text, short
from bot.views.ui import chunk, kb, show

log = logging.getLogger(__name__)
router = Router(name="partners.partner")

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
        [(_("Check a card"), PartnerAct(a="check"))],
        [(_("Propose an offer"), PartnerAct(a="new")), (_("My offers"), PartnerAct(a="mine"))],
        [(_("Statistics"), PartnerAct(a="stats"))],
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
    return kb([(_("« Partner menu"), PartnerAct(a="menu"))])


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
    partner: Partner,
    member: PartnerMember,
) -> None:
    await run_check(message, command.args, "qr", session, settings, partner, member)


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
    partner: Partner,
    member: PartnerMember,
) -> None:
    await state.set_state(None)
    if not command.args:
        await message.answer(check_hint(), reply_markup=back_kb())
        return
    await run_check(message, command.args, "typed", session, settings, partner, member)


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
    partner: Partner,
    member: PartnerMember,
) -> None:
    if await state.get_state() is not None:
        await state.set_state(None)
    await run_check(message, message.text, "typed", session, settings, partner, member)


async def run_check(
    message: Message,
    raw: str,
    source: str,
    session: AsyncSession,
    settings: Settings,
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
    rules = card_rules.load(settings.data_dir)
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


@router.callback_query(PartnerAct.filter(F.a == "menu"), IsPartner())
async def partner_menu(call: CallbackQuery, state: FSMContext, partner: Partner) -> None:
    await state.set_state(None)
    await call.answer()
    await show(call, menu_text(partner), menu_kb())


@router.callback_query(PartnerAct.filter(F.a == "check"), IsPartner())
async def check_help(call: CallbackQuery) -> None:
    await call.answer()
    await show(call, check_hint(), back_kb())


@router.callback_query(PartnerAct.filter(F.a == "stats"), IsPartner())
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


@router.callback_query(PartnerAct.filter(F.a == "mine"), IsPartner())
async def my_offers(
    call: CallbackQuery, session: AsyncSession, settings: Settings, catalog: Catalog, partner: Partner
) -> None:
    await call.answer()
    await show(call, *(await my_offers_screen(session, settings, catalog, partner)))


async def my_offers_screen(session: AsyncSession, settings: Settings, catalog: Catalog, partner: Partner):
    offers = await card_partners.partner_offers(session, partner.id)
    rules = card_rules.load(settings.data_dir)
    locale = get_i18n().current_locale
    if not offers:
        return _(
            "You have no offers yet. Propose the first one: a coordinator reviews it, usually within a few working days."
        ), kb([(_("Propose an offer"), PartnerAct(a="new"))], [(_("« Partner menu"), PartnerAct(a="menu"))])
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
    return "\n\n".join(parts)[:4000], kb(*chunk(buttons, 2), [(_("« Partner menu"), PartnerAct(a="menu"))])


@router.callback_query(PartnerAct.filter(F.a == "withdraw"), IsPartner())
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


# --- proposing an offer ------------------------------------------------------------------------------------------


def cancel_row():
    return [(_("Cancel"), PartnerAct(a="menu"))]


@router.callback_query(PartnerAct.filter(F.a == "new"), IsPartner())
async def new_offer(call: CallbackQuery, state: FSMContext, settings: Settings) -> None:
    await call.answer()
    rules = card_rules.load(settings.data_dir)
    locale = get_i18n().current_locale
    await state.set_state(OfferFlow.kind)
    await state.update_data(offer={})
    buttons = [(k.name.get(locale), PartnerAct(a="kind", v=k.id)) for k in rules.offer_kinds]
    await show(
        call,
        _("<b>New offer</b> (step 1 of 8)\n\nWhat kind of offer is it?"),
        kb(*chunk(buttons, 2), cancel_row()),
    )


@router.callback_query(OfferFlow.kind, PartnerAct.filter(F.a == "kind"), IsPartner())
async def got_kind(
    call: CallbackQuery, callback_data: PartnerAct, state: FSMContext, settings: Settings
) -> None:
    if card_rules.load(settings.data_dir).kind(callback_data.v) is None:
        await call.answer(_("This button no longer works."), show_alert=True)
        return
    await call.answer()
    await _put(state, kind=callback_data.v)
    await state.set_state(OfferFlow.text)
    await show(
        call,
        _(
            "Step 2 of 8. Describe the offer in one or two sentences: what exactly families get "
            "(for example, «A discount on all children's shoes»)."
        ),
        kb(cancel_row()),
    )


async def _put(state: FSMContext, **values) -> dict:
    data = await state.get_data()
    offer = {**data.get("offer", {}), **values}
    await state.update_data(offer=offer)
    return offer


def _text_of(message: Message, limit: int) -> str | None:
    text = (message.text or "").strip()
    return text[:limit] if text and not text.startswith("/") else None


@router.message(OfferFlow.text, IsPartner())
async def got_text(message: Message, state: FSMContext) -> None:
    text = _text_of(message, card_partners.TEXT_MAX)
    if text is None:
        await message.answer(_("Please write the offer as text."), reply_markup=kb(cancel_row()))
        return
    await _put(state, text=text)
    await state.set_state(OfferFlow.discount)
    await message.answer(
        _("Step 3 of 8. What is the discount? For example: «10%», «15% on weekdays», «a free lesson»."),
        reply_markup=kb(cancel_row()),
    )


@router.message(OfferFlow.discount, IsPartner())
async def got_discount(message: Message, state: FSMContext) -> None:
    text = _text_of(message, card_partners.SHORT_MAX)
    if text is None:
        await message.answer(_("Please write the discount as text."), reply_markup=kb(cancel_row()))
        return
    await _put(state, discount=text)
    await state.set_state(OfferFlow.conditions)
    await message.answer(
        _("Step 4 of 8. Conditions, if any: for example, «on purchases from 1000 ₽» or «by appointment»."),
        reply_markup=kb([(_("No conditions"), PartnerAct(a="noconditions"))], cancel_row()),
    )


async def ask_where(event: Message | CallbackQuery, state: FSMContext) -> None:
    await state.set_state(OfferFlow.where)
    await show(
        event,
        _("Step 5 of 8. Where does it work? Send the address (or several), or choose «Online only»."),
        kb([(_("Online only"), PartnerAct(a="online"))], cancel_row()),
    )


@router.message(OfferFlow.conditions, IsPartner())
async def got_conditions(message: Message, state: FSMContext) -> None:
    text = _text_of(message, card_partners.TEXT_MAX)
    if text is None:
        await message.answer(_("Please write the conditions as text."), reply_markup=kb(cancel_row()))
        return
    await _put(state, conditions=text)
    await ask_where(message, state)


@router.callback_query(OfferFlow.conditions, PartnerAct.filter(F.a == "noconditions"), IsPartner())
async def no_conditions(call: CallbackQuery, state: FSMContext) -> None:
    await call.answer()
    await _put(state, conditions=None)
    await ask_where(call, state)


def until_kb():
    return kb(
        [(_("1 month"), PartnerAct(a="until", v="1")), (_("3 months"), PartnerAct(a="until", v="3"))],
        [(_("6 months"), PartnerAct(a="until", v="6")), (_("1 year"), PartnerAct(a="until", v="12"))],
        cancel_row(),
    )


async def ask_until(event: Message | CallbackQuery, state: FSMContext) -> None:
    await state.set_state(OfferFlow.until)
    await show(
        event,
        _("Step 6 of 8. Until when is the offer valid? Choose or send a date like 31.12.2026."),
        until_kb(),
    )


@router.message(OfferFlow.where, IsPartner())
async def got_address(message: Message, state: FSMContext) -> None:
    text = _text_of(message, 300)
    if text is None:
        await message.answer(_("Please write the address as text."), reply_markup=kb(cancel_row()))
        return
    await _put(state, address=text, online=False)
    await ask_until(message, state)


@router.callback_query(OfferFlow.where, PartnerAct.filter(F.a == "online"), IsPartner())
async def online_only(call: CallbackQuery, state: FSMContext) -> None:
    await call.answer()
    await _put(state, address=None, online=True)
    await ask_until(call, state)


def parse_date(text: str) -> date | None:
    m = re.fullmatch(r"\s*(\d{1,2})[./-](\d{1,2})[./-](\d{2}|\d{4})\s*", text or "")
    if not m:
        return None
    day, month, year = (int(x) for x in m.groups())
    if year < 100:
        year += 2000
    try:
        return date(year, month, day)
    except ValueError:
        return None


async def set_until(
    event: Message | CallbackQuery, state: FSMContext, settings: Settings, catalog: Catalog, day: date
) -> None:
    today = card_service.local_date(utcnow(), settings.tz)
    if not today <= day <= today + timedelta(days=MAX_VALIDITY_DAYS):
        await show(event, _("The date must be between today and two years from now."), until_kb())
        return
    await _put(state, until=day.isoformat())
    await ask_regions(event, state, catalog)


@router.message(OfferFlow.until, IsPartner())
async def got_until(message: Message, state: FSMContext, settings: Settings, catalog: Catalog) -> None:
    day = parse_date(message.text or "")
    if day is None:
        await message.answer(
            _("Please send a date like 31.12.2026, or choose below."), reply_markup=until_kb()
        )
        return
    await set_until(message, state, settings, catalog, day)


@router.callback_query(OfferFlow.until, PartnerAct.filter(F.a == "until"), IsPartner())
async def until_button(
    call: CallbackQuery, callback_data: PartnerAct, state: FSMContext, settings: Settings, catalog: Catalog
) -> None:
    if callback_data.v not in ("1", "3", "6", "12"):
        await call.answer(_("This button no longer works."), show_alert=True)
        return
    await call.answer()
    today = card_service.local_date(utcnow(), settings.tz)
    await set_until(call, state, settings, catalog, card_service.add_months(today, int(callback_data.v)))


def _regions_kb(catalog: Catalog, chosen: list[str], locale: str):
    buttons = [
        (("✓ " if r.code in chosen else "") + r.name.get(locale), PartnerAct(a="reg", v=r.code))
        for r in catalog.regions
        if r.code != "other"
    ]
    return kb(
        *chunk(buttons, 2),
        [(_("All regions"), PartnerAct(a="reg_all")), (_("Next »"), PartnerAct(a="reg_done"))],
        cancel_row(),
    )


async def ask_regions(event: Message | CallbackQuery, state: FSMContext, catalog: Catalog) -> None:
    offer = await _put(state)
    await state.set_state(OfferFlow.regions)
    await show(
        event, regions_question(), _regions_kb(catalog, offer.get("regions", []), get_i18n().current_locale)
    )


def regions_question() -> str:
    return _(
        "Step 7 of 8. In which regions does it work? Tap the regions, then «Next», or choose «All regions»."
    )


@router.callback_query(
    OfferFlow.regions, PartnerAct.filter(F.a.in_({"reg", "reg_all", "reg_done"})), IsPartner()
)
async def regions_step(
    call: CallbackQuery, callback_data: PartnerAct, state: FSMContext, settings: Settings, catalog: Catalog
) -> None:
    offer = await _put(state)
    chosen = list(offer.get("regions", []))
    locale = get_i18n().current_locale
    if callback_data.a == "reg":
        if catalog.region(callback_data.v) is None or callback_data.v == "other":
            await call.answer(_("This button no longer works."), show_alert=True)
            return
        chosen = (
            [c for c in chosen if c != callback_data.v]
            if callback_data.v in chosen
            else [*chosen, callback_data.v]
        )
        await _put(state, regions=chosen)
        await call.answer()
        await show(
            call,
            regions_question(),
            _regions_kb(catalog, chosen, locale),
        )
        return
    if callback_data.a == "reg_all":
        await _put(state, regions=[])
    elif not chosen:
        await call.answer(_("Choose at least one region, or «All regions»."), show_alert=True)
        return
    await call.answer()
    await ask_categories(call, state, settings)


def _categories_kb(settings: Settings, chosen: list[str], locale: str):
    rules = card_rules.load(settings.data_dir)
    buttons = [
        (("✓ " if c.id in chosen else "") + c.name.get(locale), PartnerAct(a="cat", v=c.id))
        for c in rules.categories
    ]
    return kb(
        *chunk(buttons, 1),
        [(_("Every family with a card"), PartnerAct(a="cat_all")), (_("Next »"), PartnerAct(a="cat_done"))],
        cancel_row(),
    )


def _categories_question() -> str:
    return _(
        "Step 8 of 8. Is the offer for every family with a card, or only for some categories? "
        "Tap the categories, then «Next», or choose «Every family with a card»."
    )


async def ask_categories(call: CallbackQuery, state: FSMContext, settings: Settings) -> None:
    offer = await _put(state)
    await state.set_state(OfferFlow.categories)
    await show(
        call,
        _categories_question(),
        _categories_kb(settings, offer.get("categories", []), get_i18n().current_locale),
    )


@router.callback_query(
    OfferFlow.categories, PartnerAct.filter(F.a.in_({"cat", "cat_all", "cat_done"})), IsPartner()
)
async def categories_step(
    call: CallbackQuery, callback_data: PartnerAct, state: FSMContext, settings: Settings, catalog: Catalog
) -> None:
    rules = card_rules.load(settings.data_dir)
    offer = await _put(state)
    chosen = list(offer.get("categories", []))
    if callback_data.a == "cat":
        if rules.category(callback_data.v) is None:
            await call.answer(_("This button no longer works."), show_alert=True)
            return
        chosen = (
            [c for c in chosen if c != callback_data.v]
            if callback_data.v in chosen
            else [*chosen, callback_data.v]
        )
        await _put(state, categories=chosen)
        await call.answer()
        await show(call, _categories_question(), _categories_kb(settings, chosen, get_i18n().current_locale))
        return
    if callback_data.a == "cat_all":
        offer = await _put(state, categories=[])
    elif not chosen:
        await call.answer(_("Choose at least one category, or «Every family with a card»."), show_alert=True)
        return
    await call.answer()
    await state.set_state(OfferFlow.confirm)
    draft = draft_of(offer, settings)
    preview = PartnerOffer(**{k: getattr(draft, k) for k in draft.__dataclass_fields__})
    locale = get_i18n().current_locale
    text = "\n\n".join(
        [
            _("<b>Check the offer</b>"),
            offer_text(preview, None, rules, catalog, locale, settings.tz),
            offer_scope(preview, rules, catalog, locale),
            _("After you send it, a coordinator reviews it; families see it once it is published."),
        ]
    )
    await show(call, text, kb([(_("Send for review"), PartnerAct(a="send"))], cancel_row()))


def draft_of(offer: dict, settings: Settings) -> OfferDraft:
    return OfferDraft(
        kind=offer["kind"],
        text=offer["text"],
        discount=offer["discount"],
        conditions=offer.get("conditions"),
        address=offer.get("address"),
        online=bool(offer.get("online")),
        valid_until=card_service.end_of_day(date.fromisoformat(offer["until"]), settings.tz),
        regions=list(offer.get("regions", [])),
        categories=list(offer.get("categories", [])),
    )


@router.callback_query(OfferFlow.confirm, PartnerAct.filter(F.a == "send"), IsPartner())
async def send_offer(
    call: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
    partner: Partner,
    member: PartnerMember,
) -> None:
    data = await state.get_data()
    await state.set_state(None)
    await state.update_data(offer=None)
    try:
        offer = await card_partners.propose(
            session, partner, draft_of(data.get("offer") or {}, settings), member_tg_id=member.tg_user_id
        )
    except (CardError, KeyError, ValueError) as exc:
        log.info("offer not proposed: %s", exc)
        await call.answer(_("This button no longer works."), show_alert=True)
        await show(call, menu_text(partner), menu_kb())
        return
    await call.answer()
    await show(
        call,
        _(
            "Thank you! Offer № {number} is sent for review. We will write here when the coordinator decides."
        ).format(number=offer.id),
        back_kb(),
    )
    with locale_scope(get_i18n(), settings.default_locale):
        text = _("🆕 Offer № {number} from «{partner}» is waiting for review.").format(
            number=offer.id, partner=hd.quote(partner.name)
        )
        markup = kb([(_("Review"), OfferMod(offer=offer.id, a="open"))])
    await notify_coordinators(call.bot, session, settings, text, markup)


# --- anyone else -------------------------------------------------------------------------------------------------


@router.callback_query(PartnerAct.filter())
@router.callback_query(Redeem.filter())
async def stranger_button(call: CallbackQuery) -> None:
    await call.answer(refusal_text(), show_alert=True)


@router.message(Command("check"))
@router.message(Command("partner"))
async def not_a_partner(message: Message, session: AsyncSession) -> None:
    await audit(
        session,
        actor_tg_id=message.from_user.id,
        role=None,
        action="partner.refused",
        details={"what": "command"},
    )
    await message.answer(refusal_text())
