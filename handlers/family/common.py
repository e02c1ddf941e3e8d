"""What the family-side handlers share: leaving a flow (the FSM). Screens and keyboards: bot/views/family.py."""

from __future__ import annotations

from aiogram.fsm.context import FSMContext

# FSM data keys that outlive a flow (the pre-consent language choice).
KEEP_KEYS = ("lang",)


async def end_flow(state: FSMContext) -> None:
    """Leave any flow but keep what must survive it (never `state.clear()`: it would forget the language)."""
    data = await state.get_data()
    await state.set_state(None)
    await state.set_data({k: data[k] for k in KEEP_KEYS if k in data})
