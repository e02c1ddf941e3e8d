"""`/content import organisations|canned` with a YAML or CSV file attached: a dry run first (what would be added
or changed, or why the file is refused), then «Записать» writes it into data/ (audited). The same import as
`python -m bot import … --dry-run`; the running bot reads the new file after a restart."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from aiogram import Bot, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.db.session import AsyncSession
from bot.middlewares.context import UserContext
from bot.services import content_io, yamlsafe
from bot.services.audit import audit
from bot.services.catalog import Catalog
from bot.views import content_review as views
from bot.views.callbacks import CImp
from bot.views.ui import clip, kb
from handlers.filters import role_of

router = Router(name="coordinators.content_import")

MAX_BYTES = 512 * 1024
SUFFIXES = (".yaml", ".yml", ".csv")
STATE_KEY = "content_import"


def _apply(kind: str, data_dir: Path, name: str, text: str, *, dry_run: bool) -> content_io.Plan:
    with tempfile.TemporaryDirectory(prefix="content-import-") as tmp:
        path = Path(tmp) / Path(name).name
        path.write_text(text, encoding="utf-8")
        try:
            return content_io.apply(kind, data_dir, path, dry_run=dry_run)
        except yamlsafe.YAMLError as exc:  # not YAML, or a duplicate key: say where
            raise content_io.ImportError_([f"{path.name}: {exc}"]) from exc
        except (KeyError, TypeError, AttributeError) as exc:  # a shape the import does not know
            raise content_io.ImportError_(
                [f"{path.name}: not a list of entries ({type(exc).__name__})"]
            ) from exc


async def dry_run(message: Message, bot: Bot, state: FSMContext, catalog: Catalog, kind: str | None) -> None:
    document = message.document
    if kind not in content_io.KINDS or document is None:
        await message.answer(views.import_usage_text())
        return
    name = document.file_name or "import.yaml"
    if not name.lower().endswith(SUFFIXES) or (document.file_size or 0) > MAX_BYTES:
        await message.answer(views.import_usage_text())
        return
    buf = io.BytesIO()
    await bot.download(document, destination=buf)
    try:
        text = buf.getvalue().decode("utf-8-sig")
        plan = _apply(kind, catalog.data_dir, name, text, dry_run=True)
    except UnicodeDecodeError:
        await message.answer(views.import_refused_text(["the file is not UTF-8 text"]))
        return
    except content_io.ImportError_ as exc:
        await message.answer(clip(views.import_refused_text(exc.errors)))
        return
    await state.update_data({STATE_KEY: {"kind": kind, "name": name, "text": text}})
    changes = len(plan.added) + len(plan.changed)
    markup = kb([(views.import_write_label(), CImp(a="go")), (views.import_cancel_label(), CImp(a="no"))])
    await message.answer(
        clip(views.import_plan_text(plan, dry_run=True)), reply_markup=markup if changes else None
    )


@router.callback_query(CImp.filter())
async def decide(
    call: CallbackQuery,
    callback_data: CImp,
    state: FSMContext,
    session: AsyncSession,
    catalog: Catalog,
    ctx: UserContext,
) -> None:
    data = (await state.get_data()).get(STATE_KEY)
    await state.update_data({STATE_KEY: None})
    if not data or callback_data.a not in ("go", "no"):
        await call.answer(views.import_stale_text(), show_alert=True)
        return
    await call.answer()
    if callback_data.a == "no":
        if call.message is not None:
            await call.message.answer(views.import_cancelled_text())
        return
    try:
        plan = _apply(data["kind"], catalog.data_dir, data["name"], data["text"], dry_run=False)
    except content_io.ImportError_ as exc:  # the data changed since the dry run
        if call.message is not None:
            await call.message.answer(clip(views.import_refused_text(exc.errors)))
        return
    await audit(
        session,
        actor_tg_id=ctx.user.id,
        role=role_of(ctx),
        action="content.imported",
        obj=("content", data["kind"]),
        details={"file": data["name"], "added": plan.added, "changed": plan.changed},
    )
    await session.commit()
    if call.message is not None:
        await call.message.answer(clip(views.import_plan_text(plan, dry_run=False)))
