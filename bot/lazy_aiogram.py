"""aiogram's ~300 pydantic models built when first used, not all at import.

aiogram 3.31 declares its models with ``defer_build=True`` but then calls ``model_rebuild()`` on every one of them
at the end of ``aiogram/types/__init__.py`` (to resolve their forward references), which builds a full validator
and serializer for each: 160 MB of memory and seconds of CPU per process start, most of it for types the bot
never receives or sends (passport data, games, business accounts, gifts...).

``install()`` imports aiogram with that loop turned into bookkeeping: the names it would resolve the forward
references with (every type, imported in aiogram's modules only for type checkers) are added to the globals of
aiogram's type and method modules — where pydantic looks when it builds a deferred model on its first use, also as
part of another model (``Response[Message]`` of the Bot API client). The models are the same, built by pydantic
the same way, only later and only those used; ``tests/unit/test_lazy_aiogram.py`` builds every one of them after
``install()`` and compares parsed updates with the eager build. If aiogram changes that loop, nothing is deferred
and everything works as before.
"""

from __future__ import annotations

import re
import sys
from typing import Any

_NAMESPACE: dict[str, Any] = {}


def install() -> None:
    """Import aiogram with its models deferred. Must run before anything imports aiogram; later, it does nothing."""
    if "aiogram" in sys.modules:
        return
    from pydantic import BaseModel

    original = BaseModel.__dict__["model_rebuild"]

    def deferred(cls, *, force=False, raise_errors=True, _parent_namespace_depth=2, _types_namespace=None):
        if _types_namespace is not None and not force and cls.__module__.startswith("aiogram."):
            _NAMESPACE.update(_types_namespace)
            return None
        return original.__func__(
            cls,
            force=force,
            raise_errors=raise_errors,
            _parent_namespace_depth=_parent_namespace_depth,
            _types_namespace=_types_namespace,
        )

    BaseModel.model_rebuild = classmethod(deferred)  # type: ignore[method-assign,assignment]
    try:
        import aiogram.methods  # noqa: F401  (imports aiogram.types first)
    finally:
        BaseModel.model_rebuild = original  # type: ignore[method-assign]
    # (nothing to add when aiogram no longer has that loop: then its models were built as usual)
    for module in _aiogram_model_modules():
        for name in _names_wanted_by(module):
            module.__dict__.setdefault(name, _NAMESPACE[name])


_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")


def _names_wanted_by(module: Any) -> set[str]:
    """The names of the namespace that the annotations of the module's models (and of their bases) mention: added
    to its globals, not all 451 of them — in all 629 modules that was 8 MB of dictionaries."""
    from pydantic import BaseModel

    wanted: set[str] = set()
    for value in list(vars(module).values()):
        if isinstance(value, type) and issubclass(value, BaseModel):
            for cls in value.__mro__:
                for annotation in vars(cls).get("__annotations__", {}).values():
                    if isinstance(annotation, str):
                        wanted.update(_IDENTIFIER.findall(annotation))
    return wanted & _NAMESPACE.keys()


def _aiogram_model_modules() -> list[Any]:
    return [
        module
        for name, module in list(sys.modules.items())
        if module is not None and name.startswith(("aiogram.types", "aiogram.methods"))
    ]


def aiogram_models() -> list[type]:
    """Every pydantic model class defined in aiogram's types and methods."""
    from pydantic import BaseModel

    found: dict[type, None] = {}
    for module in _aiogram_model_modules():
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, BaseModel)
                and value.__module__.startswith(("aiogram.types", "aiogram.methods"))
            ):
                found[value] = None
    return list(found)


HOT = (
    "Update",
    "Message",
    "CallbackQuery",
    "SendMessage",
    "EditMessageText",
    "AnswerCallbackQuery",
    "CopyMessage",
)


def warm_up(names: tuple[str, ...] = HOT) -> None:
    """Build the models of every update and of the commonest answers now (about a quarter of a second), so that
    the first family after a start — perhaps one in danger — does not wait for them."""
    import aiogram.methods
    import aiogram.types

    for name in names:
        cls = getattr(aiogram.types, name, None) or getattr(aiogram.methods, name)
        if not cls.__pydantic_complete__:
            cls.model_rebuild(_parent_namespace_depth=0)
