"""Callback data of the coordinators' buttons and of the buttons on announcements families receive."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


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
