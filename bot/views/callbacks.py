"""Callback data of every inline button. Values are validated again by the handler that reads them."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class Nav(CallbackData, prefix="nav"):
    to: str


class Lang(CallbackData, prefix="lang"):
    code: str


class Consent(CallbackData, prefix="consent"):
    action: str  # yes | later | notice | back


class Region(CallbackData, prefix="region"):
    code: str


class Prof(CallbackData, prefix="prof"):
    f: str  # field
    v: str  # value
    m: str = "w"  # w = walk through every question, e = edit one answer
    i: int = 0  # child index for birth years


class Tri(CallbackData, prefix="tri"):
    node: str
    opt: str


class Crisis(CallbackData, prefix="crisis"):
    action: str  # safe | unsafe | connect


class Dir(CallbackData, prefix="dir"):
    kind: str


class Specialist(CallbackData, prefix="spec"):
    kind: str  # lawyer | psychologist | social_consultant | crisis


class Setting(CallbackData, prefix="set"):
    name: str


class FollowUpAnswer(CallbackData, prefix="fu"):
    id: int  # the follow-up's number
    a: str  # got | wait | refused | no | stop (no more such reminders)


class FollowUpReason(CallbackData, prefix="fur"):
    id: int
    r: str  # how | docs | time | other


class Rate(CallbackData, prefix="rate"):
    case: int
    v: int  # 1..5; 0 = skip the comment


class Req(CallbackData, prefix="req"):
    case: int
    a: str  # close | reopen


class CheckIn(CallbackData, prefix="chk"):
    case: int
    a: str  # safe | help


# --- coordinators: broadcasts and statistics; the buttons on announcements families receive ---


class BcAct(CallbackData, prefix="bca"):
    """A coordinator's action on a broadcast."""

    id: int
    a: str  # menu | aud | dim | tog | clr | btn | nobtn | poll | nopoll | prev | now | when | at | go | cancel | stop | del | report
    v: str = ""


class BcFamily(CallbackData, prefix="bcf"):
    """A family's tap on an announcement."""

    b: int
    a: str  # off | on | show | ans
    o: int = -1


class Stat(CallbackData, prefix="stat"):
    p: str  # 7 | 30 | 90 | 365
    r: str = "all"
    go: int = 0


# --- the social family card: families, partners and coordinators ---


class CardAct(CallbackData, prefix="card"):
    """A family's action on the card screens."""

    a: str  # home | apply | doc | submit | withdraw | offers | kind | notify_on | notify_off | cancel
    k: str = ""  # offer kind for `kind`


class CardDecision(CallbackData, prefix="cap"):
    """A coordinator's action on a card application."""

    app: int
    a: str  # open | take | approve | reject | r<n> (a preset reason) | other | next


class OfferMod(CallbackData, prefix="ofm"):
    """A coordinator's action on a proposed offer."""

    offer: int
    a: str  # open | approve | reject | next


class PartnerAdm(CallbackData, prefix="padm"):
    """A coordinator's action on a partner organisation."""

    p: int
    a: str  # open | invite | disable | enable | remove | new | list
    m: int = 0  # member id for `remove`


class CoordCards(CallbackData, prefix="cc"):
    to: str  # home | apps | offers | partners


class PartnerAct(CallbackData, prefix="pa"):
    """A partner's action: menu, offer draft steps, own offers."""

    a: str
    v: str = ""


class Redeem(CallbackData, prefix="rd"):
    check: int
    offer: int  # 0 = only a check, no offer given


# --- the operators' case card in each topic ---


class CaseAct(CallbackData, prefix="case"):
    id: int
    a: str  # take | transfer | note | close | reopen | spec | crisis | region | back
    v: str = ""


# --- support measures: screener and browsing ---


class MsAction(StrEnum):
    """What an MsNav button does: browsing (handlers/family/measures.py) or the screener (screener.py)."""

    MENU = "menu"
    SITUATIONS = "sits"
    SIT = "sit"
    LEVEL = "lvl"
    BACK = "back"
    START = "start"
    RESTART = "restart"
    DONE = "done"
    RESULTS = "results"
    OTHER = "other"
    SAVE = "save"
    ASK = "ask"


class MsNav(CallbackData, prefix="ms"):
    a: str  # an MsAction (a plain string, so a forged one reaches the section's polite refusal)
    v: str = ""  # its value (life situation id, level or region code)


class MsQ(CallbackData, prefix="msq"):
    q: str  # question id
    o: int  # option index


class MsY(CallbackData, prefix="msy"):
    i: int  # child index
    y: int  # year; 0 = older than the buttons; -1 = don't know


class MsM(CallbackData, prefix="msm"):
    v: str  # view: c card | w why | h how to apply | d details
    f: str  # from: r screener results | b browsing
    m: str  # measure code (see measure_code)
