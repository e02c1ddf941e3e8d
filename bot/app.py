"""One factory for polling, webhook, tests and the demo."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from dataclasses import dataclass

from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.broadcaster import BroadcastSender
from bot.commands import set_commands, set_coordinator_menu
from bot.config import Settings
from bot.db.engine import make_engine, make_sessionmaker
from bot.db.migrate import ensure_sqlite_dir, upgrade_to_head
from bot.dispatcher import ClaimingDispatcher, run_sync_callbacks_inline, skip_routers_by_callback_prefix
from bot.fsm_storage import ChatLock, ShortRedisLock, SqlStorage
from bot.i18n import DbI18nMiddleware, make_i18n
from bot.lazy_aiogram import warm_up
from bot.leader import Leadership
from bot.liveness import Liveness
from bot.middlewares.context import ContextMiddleware
from bot.middlewares.db import DbSessionMiddleware
from bot.middlewares.fsm import ChatTurnMiddleware, StateReadMiddleware
from bot.middlewares.logging import HandlerNameMiddleware, UpdateLogMiddleware
from bot.outbox import OutboxWorker
from bot.replay import sweep_orphans
from bot.scheduler import JobContext, start_scheduler, stop_scheduler
from bot.services import clock
from bot.services.catalog import Catalog, load_catalog
from bot.services.desk import DeskChats
from bot.services.moderation import FloodDoor
from bot.services.staff import coordinator_ids
from bot.telegram import build_bot
from handlers import get_routers
from handlers.errors import on_error

log = logging.getLogger(__name__)


def desk_chats(settings: Settings, catalog: Catalog) -> DeskChats:
    regional = {r.code: r.operator_chat_id for r in catalog.regions if r.operator_chat_id}
    return DeskChats(settings.operator_chat_id, settings.crisis_chat, regional)


@dataclass
class App:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker
    bot: Bot
    dp: Dispatcher
    i18n: I18n
    catalog: Catalog
    liveness: Liveness


def make_storage(
    settings: Settings, sessionmaker: async_sessionmaker
) -> tuple[BaseStorage, BaseEventIsolation]:
    if settings.redis_url:
        from aiogram.fsm.storage.base import DefaultKeyBuilder
        from aiogram.fsm.storage.redis import RedisStorage

        storage = RedisStorage.from_url(
            settings.redis_url, key_builder=DefaultKeyBuilder(with_bot_id=True, with_destiny=True)
        )
        return storage, ShortRedisLock(storage.redis, storage.key_builder)
    return SqlStorage(sessionmaker), ChatLock()


def build_dispatcher(
    settings: Settings,
    sessionmaker: async_sessionmaker,
    i18n: I18n,
    catalog: Catalog,
    liveness: Liveness | None = None,
) -> Dispatcher:
    storage, isolation = make_storage(settings, sessionmaker)
    # aiogram's FSM middleware in two parts: the chat's lock first, the state read in the update's session
    dp = ClaimingDispatcher(storage=storage, events_isolation=isolation, disable_fsm=True)
    dp.fsm = ChatTurnMiddleware(storage=storage, events_isolation=isolation)
    dp.update.outer_middleware(dp.fsm)
    dp["settings"] = settings
    dp["sessionmaker"] = sessionmaker
    dp["catalog"] = catalog
    dp["i18n"] = i18n
    dp["desk_chats"] = desk_chats(settings, catalog)
    dp["flood_door"] = FloodDoor()  # a flood's excess dropped before its claim (bot/dispatcher.py)
    dp.update.outer_middleware(UpdateLogMiddleware())
    dp.claims = DbSessionMiddleware(
        sessionmaker, liveness, chat_salt=settings.bot_token.get_secret_value().encode()
    )
    dp.update.outer_middleware(dp.claims)
    dp.update.outer_middleware(ContextMiddleware(settings))  # reads the chat's state with the person (SQLite)
    dp.update.outer_middleware(StateReadMiddleware())
    DbI18nMiddleware(i18n).setup(dp)
    for observer in dp.observers.values():
        if observer.event_name not in {"update", "error"}:
            observer.middleware(HandlerNameMiddleware())
    dp.errors.register(on_error)
    dp.include_routers(*get_routers(settings))
    run_sync_callbacks_inline(dp)
    skip_routers_by_callback_prefix(dp)
    return dp


async def build_app(settings: Settings, *, migrate: bool = True) -> App:
    ensure_sqlite_dir(settings.database_url)
    engine = make_engine(settings.database_url, sqlite_threads=settings.sqlite_threads)
    if migrate:
        await upgrade_to_head(engine)
    sessionmaker = make_sessionmaker(engine)
    i18n = make_i18n(settings.locales_dir, settings.default_locale)
    clock.set_offset_days(settings.clock_offset_days)
    catalog = load_catalog(settings.data_dir, settings.cache_dir)
    warm_up()
    bot = build_bot(settings)
    liveness = Liveness(settings.redis_url, settings.redis_key("alive"))
    dp = build_dispatcher(settings, sessionmaker, i18n, catalog, liveness)
    return App(settings, engine, sessionmaker, bot, dp, i18n, catalog, liveness)


async def _on_startup(app: App) -> None:
    me = await app.bot.get_me()
    log.info("started as @%s (id %s)", me.username, me.id)
    await set_commands(app.bot, app.i18n)
    async with app.sessionmaker() as session:
        coordinators = await coordinator_ids(session, app.settings)
    for chat_id in coordinators:
        await set_coordinator_menu(app.bot, app.i18n, chat_id, on=True)


# the scheduler's running jobs, then the relay and the broadcasts, each get this long to stop
STOP_GRACE_SECONDS = 5


async def run(settings: Settings) -> None:
    app = await build_app(settings)
    # What start-up built (the modules, the catalogue, the detector's tables: some 230,000 objects) lives as long as
    # the process. Out of the collector's sight, a full collection no longer walks it: during the closed-loop
    # benchmark the two full collections held the event loop 150 ms each, every family's answer waiting; frozen, 14 ms.
    gc.freeze()
    leadership = Leadership(settings.redis_url, settings.redis_key("leader"), settings.leader_ttl_seconds)
    leader_task: asyncio.Task | None = None
    await app.liveness.start()
    background = [asyncio.create_task(app.liveness.run(), name="liveness")]
    if app.liveness.shared:
        sweep = sweep_orphans(app.dp, app.bot, app.sessionmaker, app.liveness.ttl)
        background.append(asyncio.create_task(sweep, name="sweep-orphans"))
    try:
        await _on_startup(app)
        leader_task = asyncio.create_task(leadership.run(lambda: _leader_duties(app)), name="leader")
        if settings.webhook_url:
            await _run_webhook(app)
        else:
            await app.bot.delete_webhook(drop_pending_updates=False)
            await app.dp.start_polling(
                app.bot,
                polling_timeout=settings.polling_timeout,
                allowed_updates=app.dp.resolve_used_update_types(),
                handle_signals=True,
                close_bot_session=False,
            )
    finally:
        if leader_task is not None:
            leadership.stop()
            await asyncio.wait([leader_task], timeout=35)
        app.liveness.stop()
        for task in background[1:]:
            task.cancel()
        await asyncio.wait(background, timeout=5)
        await app.dp.storage.close()
        await app.bot.session.close()
        await app.engine.dispose()
        log.info("stopped")


async def _leader_duties(app: App) -> None:
    """The scheduler, the relay worker and the broadcast sender: run only by the leader (bot/leader.py)."""
    settings = app.settings
    worker = OutboxWorker(app.bot, app.sessionmaker, settings, app.catalog, app.i18n, app.dp["desk_chats"])
    sender = BroadcastSender(app.bot, app.sessionmaker, settings, app.i18n)
    scheduler = start_scheduler(JobContext(app.bot, app.sessionmaker, settings, app.catalog, app.i18n))
    relay_task = asyncio.create_task(worker.run(), name="relay")
    sender_task = asyncio.create_task(sender.run(), name="broadcasts")
    try:
        await asyncio.wait([relay_task, sender_task], return_when=asyncio.FIRST_COMPLETED)
    finally:
        await stop_scheduler(scheduler, grace=STOP_GRACE_SECONDS)
        worker.stop()
        sender.stop()
        # a send waiting on a group's limit (up to its window) is not waited out: the outbox keeps it for the next
        # start, as after a kill
        _done, pending = await asyncio.wait([relay_task, sender_task], timeout=STOP_GRACE_SECONDS)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=2)


async def _run_webhook(app: App) -> None:
    from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
    from aiohttp import web
    from sqlalchemy import text as sa_text

    settings = app.settings
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    web_app = web.Application()
    SimpleRequestHandler(app.dp, app.bot, secret_token=secret, handle_in_background=False).register(
        web_app, path="/webhook"
    )

    async def health(_request: web.Request) -> web.Response:
        """Database and Telegram reachable (each within 5 s): 200, else 503 naming what failed."""
        checks: dict[str, bool] = {}
        try:
            async with app.sessionmaker() as session:
                await asyncio.wait_for(session.execute(sa_text("SELECT 1")), 5)
            checks["database"] = True
        except Exception:
            checks["database"] = False
        try:
            await asyncio.wait_for(app.bot.get_me(), 5)
            checks["telegram"] = True
        except Exception:
            checks["telegram"] = False
        ok = all(checks.values())
        return web.json_response({"ok": ok, **checks}, status=200 if ok else 503)

    web_app.router.add_get("/health", health)
    setup_application(web_app, app.dp, bot=app.bot)
    await app.bot.set_webhook(
        f"{settings.webhook_url}/webhook",
        secret_token=secret,
        allowed_updates=app.dp.resolve_used_update_types(),
    )
    runner = web.AppRunner(web_app)
    await runner.setup()
    site = web.TCPSite(runner, "0.0.0.0", settings.webhook_port)
    await site.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info("webhook server on port %s", settings.webhook_port)
    await stop.wait()
    await runner.cleanup()
