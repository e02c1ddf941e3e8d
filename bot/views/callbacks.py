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


class Near(CallbackData, prefix="near"):
    kind: str = ""  # a kind of help from organisations.yaml, or "" for every kind


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


class CImp(CallbackData, prefix="cimp"):
    """A coordinator's answer to a content import's dry run."""

    a: str  # go | no


class Backlog(CallbackData, prefix="blg"):
    """«Show them now» under the relay's «N more messages» notice in a request's topic."""

    case: int


class BcAction(StrEnum):
    """A coordinator's action on a broadcast."""

    AT = "at"
    AUD = "aud"
    BTN = "btn"
    CANCEL = "cancel"
    CHK = "chk"
    CLR = "clr"
    DEL = "del"
    DIM = "dim"
    GO = "go"
    KEEP = "keep"
    MENU = "menu"
    NOBTN = "nobtn"
    NOPOLL = "nopoll"
    NOW = "now"
    POLL = "poll"
    PREV = "prev"
    REPORT = "report"
    STOP = "stop"
    TOG = "tog"
    WHEN = "when"


class BcAct(CallbackData, prefix="bca"):
    """A coordinator's action on a broadcast."""

    id: int
    a: str  # a BcAction
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


class CardAction(StrEnum):
    """A family's action on the card screens."""

    APPLY = "apply"
    DOC = "doc"
    HOME = "home"
    KIND = "kind"
    NOTIFY_OFF = "notify_off"
    NOTIFY_ON = "notify_on"
    OFFERS = "offers"
    SUBMIT = "submit"
    WITHDRAW = "withdraw"


class CardAct(CallbackData, prefix="card"):
    """A family's action on the card screens."""

    a: str  # a CardAction
    k: str = ""  # offer kind for `kind`


class CardDecisionAction(StrEnum):
    """A coordinator's action on a card application (besides r<n>, a preset reason)."""

    APPROVE = "approve"
    NEXT = "next"
    OPEN = "open"
    OTHER = "other"
    REJECT = "reject"
    TAKE = "take"


class CardDecision(CallbackData, prefix="cap"):
    """A coordinator's action on a card application."""

    app: int
    a: str  # open | take | approve | reject | r<n> (a preset reason) | other | next


class OfferModAction(StrEnum):
    """A coordinator's action on a proposed offer."""

    APPROVE = "approve"
    NEXT = "next"
    OPEN = "open"
    REJECT = "reject"


class OfferMod(CallbackData, prefix="ofm"):
    """A coordinator's action on a proposed offer."""

    offer: int
    a: str  # open | approve | reject | next


class PartnerAdmAction(StrEnum):
    """A coordinator's action on a partner organisation."""

    DISABLE = "disable"
    ENABLE = "enable"
    INVITE = "invite"
    LIST = "list"
    NEW = "new"
    OPEN = "open"
    REMOVE = "remove"


class PartnerAdm(CallbackData, prefix="padm"):
    """A coordinator's action on a partner organisation."""

    p: int
    a: str  # a PartnerAdmAction
    m: int = 0  # member id for `remove`


class CoordCards(CallbackData, prefix="cc"):
    to: str  # home | apps | offers | partners


class PartnerAction(StrEnum):
    """A partner's action: menu, card checks, the offer wizard's steps, own offers."""

    CAT = "cat"
    CAT_ALL = "cat_all"
    CAT_DONE = "cat_done"
    CHECK = "check"
    KIND = "kind"
    MENU = "menu"
    MINE = "mine"
    NEW = "new"
    NOCONDITIONS = "noconditions"
    ONLINE = "online"
    REG = "reg"
    REG_ALL = "reg_all"
    REG_DONE = "reg_done"
    SEND = "send"
    STATS = "stats"
    UNTIL = "until"
    WITHDRAW = "withdraw"


class PartnerAct(CallbackData, prefix="pa"):
    """A partner's action: menu, offer draft steps, own offers."""

    a: str  # a PartnerAction
    v: str = ""


class Redeem(CallbackData, prefix="rd"):
    check: int
    offer: int  # 0 = only a check, no offer given


# --- the operators' case card in each topic ---


class CaseAction(StrEnum):
    """A staff member's button on the case card."""

    BACK = "back"
    CLOSE = "close"
    CRISIS = "crisis"
    NOTE = "note"
    REGION = "region"
    REOPEN = "reopen"
    SPEC = "spec"
    TAKE = "take"
    TRANSFER = "transfer"


class CaseAct(CallbackData, prefix="case"):
    id: int
    a: str  # a CaseAction
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


# --- material help («окна помощи») and volunteers ---


class AidAskAction(StrEnum):
    """A family's step in asking for things, and its answers on its own request."""

    START = "start"
    ITEM = "item"
    ITEMS_DONE = "items_done"
    CITY = "city"
    URGENCY = "urg"
    SEND = "send"
    GOT = "got"
    NOT_GOT = "notgot"
    CANCEL = "cancel"


class AidAsk(CallbackData, prefix="aid"):
    """A family's step in asking for things (v: an item, city or urgency key) or an answer on request ``id``."""

    a: str  # an AidAskAction
    v: str = ""
    id: int = 0


class AidDeskAction(StrEnum):
    """A coordinator's action on a material-help request."""

    LIST = "list"
    OPEN = "open"
    TAKE = "take"
    COLLECT = "collect"
    READY = "ready"
    PLACE = "place"
    PICKUP_TEXT = "pickup"
    HANDED = "handed"
    MATCH = "match"
    ASSIGN = "assign"
    UNMET = "unmet"
    UNMET_REASON = "unmet_r"


class AidDesk(CallbackData, prefix="aidc"):
    """A coordinator's action on request ``id`` (v: a region filter, a volunteer id, a place id or a reason)."""

    id: int
    a: str  # an AidDeskAction
    v: str = ""


class VolSignAction(StrEnum):
    """A step of offering to volunteer."""

    START = "start"
    AGREE = "agree"
    REGION = "region"
    SKILL = "skill"
    SKILLS_DONE = "skills_done"


class VolSign(CallbackData, prefix="vs"):
    a: str  # a VolSignAction
    v: str = ""


class VolDeskAction(StrEnum):
    """A coordinator's action on volunteers."""

    LIST = "list"
    OPEN = "open"
    APPROVE = "approve"
    DECLINE = "decline"


class VolDesk(CallbackData, prefix="vd"):
    """A coordinator's action on volunteer ``id`` (0 for the list; s: status, r: region, k: skill filters)."""

    id: int
    a: str  # a VolDeskAction
    s: str = "applied"
    r: str = ""
    k: str = ""


class VolTaskAction(StrEnum):
    """A volunteer's action in «Мои задания»."""

    LIST = "list"
    ACCEPT = "accept"
    DECLINE = "decline"
    DONE = "done"
    PAUSE = "pause"
    RESUME = "resume"


class VolTask(CallbackData, prefix="vt"):
    id: int  # the task (0 for the list, pause and resume)
    a: str  # a VolTaskAction


# --- events, courses and clubs ---


class EvAction(StrEnum):
    """A family's step in «Мероприятия»."""

    LIST = "list"
    OPEN = "open"  # id: the event
    JOIN = "join"  # id: the event
    JOIN_ALL = "join_all"  # id: a session of the series
    CANCEL = "cancel"  # id: the family's registration
    USEFUL = "useful"  # id: the registration, v: 1 | 0


class Ev(CallbackData, prefix="ev"):
    a: str  # an EvAction
    id: int = 0
    v: str = ""


class EvDeskAction(StrEnum):
    """A coordinator's action on events (and a step of creating one)."""

    LIST = "list"
    OPEN = "open"
    NEW = "new"
    KIND = "kind"
    REGION = "region"
    PLACE = "place"  # v: a place id of the directory
    ONLINE = "online"
    ADDRESS = "address"
    AUDIENCE = "aud"  # v: a profile tag
    AUDIENCE_DONE = "aud_done"
    CLOSE = "close"  # v: minutes before the start
    OPENS = "opens"  # v: days before the start
    SAVE = "save"
    WHO = "who"
    ATTEND = "attend"  # v: a registration id
    MESSAGE = "msg"
    EXPORT = "xlsx"
    MATCH = "match"
    ASSIGN = "assign"  # v: a volunteer id
    CANCEL = "cancel"
    CANCEL_SURE = "cancel_ok"


class EvDesk(CallbackData, prefix="evc"):
    """A coordinator's action on event ``id`` (0: the list or the wizard; v: a key of the step)."""

    a: str  # an EvDeskAction
    id: int = 0
    v: str = ""
