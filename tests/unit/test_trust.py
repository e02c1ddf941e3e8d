"""The pure parts behind issue 21's fixes: spreadsheet cells, notice look-alikes, the relay's fair order."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from bot.services import fair_relay
from bot.services.cells import escape, unescape
from bot.services.impersonation import looks_like_notice, shift_entities


@pytest.mark.parametrize("text", ["=1+1", "+7 800", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_formula_cells_are_escaped_and_read_back(text: str) -> None:
    assert escape(text) == "'" + text
    assert unescape(escape(text)) == text


@pytest.mark.parametrize("value", ["нет юриста", "8 800 2000 122", 5, -3, None, "'quoted"])
def test_other_cells_are_left_alone(value) -> None:
    assert escape(value) == value
    assert unescape(value) == value


@pytest.mark.parametrize(
    "text",
    [
        "⚠️ В новом сообщении семьи",
        "Семья удалила свои данные",
        "«Обращение № 5»",
        "🔴 срочно",
        "bot says",
        " - x",
    ],
)
def test_notice_look_alikes_are_caught(text: str) -> None:
    assert looks_like_notice(text)


@pytest.mark.parametrize("text", ["Здравствуйте", "Мне нужна помощь", "2 детей", "", None, "«Помогите»"])
def test_ordinary_messages_are_not_labelled(text) -> None:
    assert not looks_like_notice(text)


def test_entities_move_behind_the_label() -> None:
    assert shift_entities([{"type": "bold", "offset": 0, "length": 3}], 5) == [
        {"type": "bold", "offset": 5, "length": 3}
    ]


def _row(item_id: int, case_id: int, *, thread: int | None = 1, urgency: str = "routine", **payload):
    return SimpleNamespace(id=item_id, payload=payload), SimpleNamespace(
        id=case_id, thread_id=thread, urgency=urgency
    )


def test_round_robin_puts_every_request_before_anyones_second_and_keeps_each_requests_order() -> None:
    rows = [_row(i, 1) for i in range(1, 6)] + [_row(10, 2), _row(11, 2), _row(20, 3)]
    order = [item.id for item, _case in fair_relay.order(rows, {}, heard={1, 2, 3})]
    assert order[:3] == [1, 10, 20] and order[3:5] == [2, 11]
    per_case = [item.id for item, case in fair_relay.order(rows, {}, heard={1, 2, 3}) if case.id == 1]
    assert per_case == sorted(per_case)


def test_danger_a_new_topic_and_a_first_message_go_first() -> None:
    rows = [_row(i, 1) for i in range(1, 4)]
    rows += [_row(7, 1, danger=True), _row(8, 4, thread=None), _row(9, 5)]
    order = [item.id for item, _case in fair_relay.order(rows, {}, heard={1})]
    assert order[0] == 7 and set(order[1:3]) == {8, 9}


def test_the_request_served_longest_ago_goes_first() -> None:
    rows = [_row(1, 1), _row(2, 2)]
    order = [item.id for item, _case in fair_relay.order(rows, {1: 100.0, 2: 50.0}, heard={1, 2})]
    assert order == [2, 1]
