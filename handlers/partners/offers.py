"""A partner proposes an offer, step by step: kind, text, discount, conditions, where, until when, regions and
categories; a coordinator reviews it before families see it (handlers/coordinators/cards.py)."""

from __future__ import annotations

import logging
import re
from datetime import date, timedelta

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.markdown import html_decoration as hd

from bot.config import Settings
from bot.db.base import utcnow
from bot.db.models import Partner, PartnerMember, PartnerOffer
from bot.db.session import AsyncSession
from bot.i18n import locale_scope
from bot.notify import notify_coordinators
from bot.services import card as card_service
from bot.services import card_partners
from bot.services.card import CardError
from bot.services.card_partners import OfferDraft
from bot.services.catalog import Catalog
from bot.views.callbacks import OfferMod, OfferModAction, PartnerAct, PartnerAction
from bot.views.card import offer_scope, offer_text
from bot.views.ui import chunk, kb, show
from handlers.partners.partner import MAX_VALIDITY_DAYS, IsPartner, OfferFlow, back_kb, menu_kb, menu_text

log = logging.getLogger(__name__)
router = Router(name="partners.offers")


# --- proposing an offer ------------------------------------------------------------------------------------------


def cancel_row():
    return [(_("Cancel"), PartnerAct(a=PartnerAction.MENU))]


@router.callback_query(PartnerAct.filter(F.a == PartnerAction.NEW), IsPartner())
async def new_offer(call: CallbackQuery, state: FSMContext, settings: Settings, catalog: Catalog) -> None:
    await call.answer()
    rules = catalog.card
    locale = get_i18n().current_locale
    await state.set_state(OfferFlow.kind)
    await state.update_data(offer={})
    buttons = [(k.name.get(locale), PartnerAct(a=PartnerAction.KIND, v=k.id)) for k in rules.offer_kinds]
    await show(
        call,
        _("<b>New offer</b> (step 1 of 8)\n\nWhat kind of offer is it?"),
        kb(*chunk(buttons, 2), cancel_row()),
    )


@router.callback_query(OfferFlow.kind, PartnerAct.filter(F.a == PartnerAction.KIND), IsPartner())
async def got_kind(
    call: CallbackQuery, callback_data: PartnerAct, state: FSMContext, settings: Settings, catalog: Catalog
) -> None:
    if catalog.card.kind(callback_data.v) is None:
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
        reply_markup=kb([(_("No conditions"), PartnerAct(a=PartnerAction.NOCONDITIONS))], cancel_row()),
    )


async def ask_where(event: Message | CallbackQuery, state: FSMContext) -> None:
    await state.set_state(OfferFlow.where)
    await show(
        event,
        _("Step 5 of 8. Where does it work? Send the address (or several), or choose «Online only»."),
        kb([(_("Online only"), PartnerAct(a=PartnerAction.ONLINE))], cancel_row()),
    )


@router.message(OfferFlow.conditions, IsPartner())
async def got_conditions(message: Message, state: FSMContext) -> None:
    text = _text_of(message, card_partners.TEXT_MAX)
    if text is None:
        await message.answer(_("Please write the conditions as text."), reply_markup=kb(cancel_row()))
        return
    await _put(state, conditions=text)
    await ask_where(message, state)


@router.callback_query(
    OfferFlow.conditions, PartnerAct.filter(F.a == PartnerAction.NOCONDITIONS), IsPartner()
)
async def no_conditions(call: CallbackQuery, state: FSMContext) -> None:
    await call.answer()
    await _put(state, conditions=None)
    await ask_where(call, state)


def until_kb():
    return kb(
        [
            (_("1 month"), PartnerAct(a=PartnerAction.UNTIL, v="1")),
            (_("3 months"), PartnerAct(a=PartnerAction.UNTIL, v="3")),
        ],
        [
            (_("6 months"), PartnerAct(a=PartnerAction.UNTIL, v="6")),
            (_("1 year"), PartnerAct(a=PartnerAction.UNTIL, v="12")),
        ],
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


@router.callback_query(OfferFlow.where, PartnerAct.filter(F.a == PartnerAction.ONLINE), IsPartner())
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


@router.callback_query(OfferFlow.until, PartnerAct.filter(F.a == PartnerAction.UNTIL), IsPartner())
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
        (("✓ " if r.code in chosen else "") + r.name.get(locale), PartnerAct(a=PartnerAction.REG, v=r.code))
        for r in catalog.regions
        if r.code != "other"
    ]
    return kb(
        *chunk(buttons, 2),
        [
            (_("All regions"), PartnerAct(a=PartnerAction.REG_ALL)),
            (_("Next »"), PartnerAct(a=PartnerAction.REG_DONE)),
        ],
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
    OfferFlow.regions,
    PartnerAct.filter(F.a.in_({PartnerAction.REG, PartnerAction.REG_ALL, PartnerAction.REG_DONE})),
    IsPartner(),
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
    await ask_categories(call, state, catalog)


def _categories_kb(catalog: Catalog, chosen: list[str], locale: str):
    rules = catalog.card
    buttons = [
        (("✓ " if c.id in chosen else "") + c.name.get(locale), PartnerAct(a=PartnerAction.CAT, v=c.id))
        for c in rules.categories
    ]
    return kb(
        *chunk(buttons, 1),
        [
            (_("Every family with a card"), PartnerAct(a=PartnerAction.CAT_ALL)),
            (_("Next »"), PartnerAct(a=PartnerAction.CAT_DONE)),
        ],
        cancel_row(),
    )


def _categories_question() -> str:
    return _(
        "Step 8 of 8. Is the offer for every family with a card, or only for some categories? "
        "Tap the categories, then «Next», or choose «Every family with a card»."
    )


async def ask_categories(call: CallbackQuery, state: FSMContext, catalog: Catalog) -> None:
    offer = await _put(state)
    await state.set_state(OfferFlow.categories)
    await show(
        call,
        _categories_question(),
        _categories_kb(catalog, offer.get("categories", []), get_i18n().current_locale),
    )


@router.callback_query(
    OfferFlow.categories,
    PartnerAct.filter(F.a.in_({PartnerAction.CAT, PartnerAction.CAT_ALL, PartnerAction.CAT_DONE})),
    IsPartner(),
)
async def categories_step(
    call: CallbackQuery, callback_data: PartnerAct, state: FSMContext, settings: Settings, catalog: Catalog
) -> None:
    rules = catalog.card
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
        await show(call, _categories_question(), _categories_kb(catalog, chosen, get_i18n().current_locale))
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
    await show(call, text, kb([(_("Send for review"), PartnerAct(a=PartnerAction.SEND))], cancel_row()))


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


@router.callback_query(OfferFlow.confirm, PartnerAct.filter(F.a == PartnerAction.SEND), IsPartner())
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
    await session.commit()  # the offer is safe before anyone is told
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
        markup = kb([(_("Review"), OfferMod(offer=offer.id, a=OfferModAction.OPEN))])
    await notify_coordinators(call.bot, session, settings, text, markup)
