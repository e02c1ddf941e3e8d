"""A fair share of a staff group's budget for every family.

Telegram lets a bot post 20 messages a minute into one group, shared by all its topics; the flood limit per person
(20 a minute) alone let a few accounts fill that budget for minutes while everyone else waited. The relay worker
therefore takes the items of a group's lane in this order:

0. a danger signal and its notice (marked ``danger``), ahead of everything, even of its own request's earlier items;
1. what must not wait: a request's first items while it has no topic yet, or is an emergency (a few of them), and
   the first message of a family not heard in the group yet;
   Items staff asked for («Показать сейчас» under the «ещё N сообщений» notice, marked ``asked``) go here too;
2. then round robin over requests: every request's oldest waiting item before anyone's second, the request served
   longest ago first. One request's items never overtake each other.

A request whose backlog grows past ``COLLAPSE_AT`` while others wait gets one notice in its topic («ещё N
сообщений»), and the group one warning when more than a window's budget is waiting (see bot/outbox.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

PRIORITY_ITEMS = 3  # how many of a priority request's items go ahead of everything
COLLAPSE_AT = 8  # a request with this many items waiting in a busy group gets one «ещё N сообщений» notice
PER_CASE_WINDOW = 10  # how many of each request's oldest items a lane looks at in one round


FAMILY_WORDS = ("copy", "contact")  # outbox kinds that carry a family's own message into the group


def order(
    rows: Sequence[tuple[Any, Any]], last_served: dict[int, float], heard: set[int] | None = None
) -> list[tuple[Any, Any]]:
    """``rows`` of (outbox item, case) in the order to send them (see the module's docstring); ``heard``: the
    requests whose family's words already reached the group (sent items of a FAMILY_WORDS kind)."""
    rank: dict[int, int] = {}
    keyed = []
    heard = heard if heard is not None else {case.id for _item, case in rows}
    for item, case in sorted(rows, key=lambda r: r[0].id):
        r = rank.get(case.id, 0)
        rank[case.id] = r + 1
        if case.thread_id is None or case.urgency == "emergency":
            urgent = r < PRIORITY_ITEMS
        else:  # a family not heard in the group yet: its first message
            urgent = r == 0 and case.id not in heard
        payload = item.payload or {}
        klass = -1 if payload.get("danger") else 0 if urgent or payload.get("asked") else 1
        item.first_in_line = klass < 1
        keyed.append(((klass, r, last_served.get(case.id, 0.0), item.id), (item, case)))
    keyed.sort(key=lambda k: k[0])
    return [row for _key, row in keyed]


def backlog(rows: Sequence[tuple[Any, Any]]) -> dict[int, int]:
    """Waiting items per request."""
    counts: dict[int, int] = {}
    for _item, case in rows:
        counts[case.id] = counts.get(case.id, 0) + 1
    return counts


def first_in_line(item: Any) -> bool:
    """Whether :func:`order` put ``item`` ahead of the round robin (a danger signal, a new request)."""
    return bool(getattr(item, "first_in_line", False))
