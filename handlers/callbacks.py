"""Callback data of every inline button. Values are validated again by the handler that reads them."""

from __future__ import annotations

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
