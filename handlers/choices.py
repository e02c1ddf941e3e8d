"""A multiple choice kept in the flow's data: shared by the family's and the volunteers' flows."""

from __future__ import annotations

from aiogram.fsm.context import FSMContext


async def toggle_choice(state: FSMContext, key: str, value: str) -> list[str]:
    """Add ``value`` to the list under ``key`` or take it out if it is there; returns the new list."""
    chosen = list((await state.get_data()).get(key) or [])
    chosen = [c for c in chosen if c != value] if value in chosen else [*chosen, value]
    await state.update_data({key: chosen})
    return chosen
