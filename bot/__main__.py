"""`python -m bot [run|migrate|check|staff|demo]`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot.config import SettingsError, load_settings


def _setup_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)


def cmd_run(_args: argparse.Namespace) -> int:
    from bot.app import run

    settings = load_settings()
    _setup_logging(settings.log_level)
    asyncio.run(run(settings))
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from alembic import command

    from bot.db.migrate import alembic_config, ensure_sqlite_dir

    settings = load_settings()
    ensure_sqlite_dir(settings.database_url)
    command.upgrade(alembic_config(settings.database_url), args.revision)
    print(f"database migrated to {args.revision}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from bot.services.catalog import check_catalog

    settings = load_settings()
    strict = args.strict or settings.strict_content
    errors, warnings = check_catalog(settings.data_dir, strict=strict)
    for w in warnings:
        print(f"warning: {w}")
    for e in errors:
        print(f"error: {e}")
    if errors:
        print(f"check failed: {len(errors)} error(s), {len(warnings)} warning(s)")
        return 1
    print(f"settings and data are valid ({len(warnings)} warning(s))")
    return 0


def cmd_staff(args: argparse.Namespace) -> int:
    from bot.db.engine import make_engine, make_sessionmaker
    from bot.db.migrate import ensure_sqlite_dir, upgrade_to_head
    from bot.services import staff

    settings = load_settings()

    async def go() -> int:
        ensure_sqlite_dir(settings.database_url)
        engine = make_engine(settings.database_url)
        try:
            await upgrade_to_head(engine)
            async with make_sessionmaker(engine)() as session:
                if args.action == "add":
                    member = await staff.upsert(
                        session,
                        args.user_id,
                        args.role,
                        specialty=args.specialty,
                        region=args.region,
                        name=args.name,
                    )
                    print(f"staff {member.tg_user_id}: {member.role} {member.specialty or ''}".rstrip())
                elif not await staff.deactivate(session, args.user_id):
                    print(f"no staff member {args.user_id}", file=sys.stderr)
                    return 1
                else:
                    print(f"staff {args.user_id} removed")
                await session.commit()
        finally:
            await engine.dispose()
        return 0

    try:
        return asyncio.run(go())
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def cmd_demo(args: argparse.Namespace) -> int:
    from bot.demo import main as demo_main

    return asyncio.run(demo_main(keep=args.keep))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="«Семейное окно» Telegram bot")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="migrate, compile translations and start the bot (default)")
    p_migrate = sub.add_parser("migrate", help="migrate the database")
    p_migrate.add_argument("revision", nargs="?", default="head")
    p_check = sub.add_parser("check", help="validate settings and every file in data/")
    p_check.add_argument("--strict", action="store_true", help="a past review_by date is an error")
    p_staff = sub.add_parser("staff", help="add or remove a staff member (operator, specialist, crisis, …)")
    p_staff.add_argument("action", choices=["add", "remove"])
    p_staff.add_argument("user_id", type=int, help="Telegram user id")
    p_staff.add_argument("role", nargs="?", default="operator")
    p_staff.add_argument("--specialty", choices=["lawyer", "psychologist", "social_consultant"])
    p_staff.add_argument("--region")
    p_staff.add_argument("--name")
    p_demo = sub.add_parser("demo", help="play a scripted conversation against the local fake Bot API")
    p_demo.add_argument("--keep", action="store_true", help="keep the demo database")
    args = parser.parse_args(argv)
    handlers = {
        "run": cmd_run,
        "migrate": cmd_migrate,
        "check": cmd_check,
        "demo": cmd_demo,
        "staff": cmd_staff,
        None: cmd_run,
    }
    try:
        return handlers[args.command](args)
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
