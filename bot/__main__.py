"""`python -m bot [run|migrate|check|staff|report|import|export|copy-db|demo]`."""

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
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


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


def cmd_copy_db(args: argparse.Namespace) -> int:
    from bot.db.copy import CopyError, copy_database

    try:
        counts = asyncio.run(copy_database(args.source, args.target))
    except CopyError as exc:
        print(f"copy-db: {exc}", file=sys.stderr)
        return 1
    print(f"copied {sum(counts.values())} row(s) in {len(counts)} table(s); counts verified")
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
    if args.stale:
        from bot.services import clock
        from bot.services import content_review as cr

        clock.set_offset_days(settings.clock_offset_days)
        print(cr.stale_report(cr.review_items(settings.data_dir), clock.today(settings.tz)))
    return 0


def cmd_staff(args: argparse.Namespace) -> int:
    from bot.db.engine import make_engine, make_sessionmaker
    from bot.db.migrate import ensure_sqlite_dir, upgrade_to_head
    from bot.services import staff

    settings = load_settings()
    if args.action == "list":
        return cmd_staff_list(settings)
    if args.user_id is None:
        print("error: a Telegram user id is needed", file=sys.stderr)
        return 2

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


def cmd_staff_list(settings) -> int:
    from bot.db.engine import make_engine, make_sessionmaker
    from bot.db.migrate import ensure_sqlite_dir, upgrade_to_head
    from bot.services import staff

    async def go() -> int:
        ensure_sqlite_dir(settings.database_url)
        engine = make_engine(settings.database_url)
        try:
            await upgrade_to_head(engine)
            async with make_sessionmaker(engine)() as session:
                for m in await staff.members(session):
                    print(f"{m.tg_user_id}\t{m.role}\t{m.specialty or ''}\t{m.region or ''}\t{m.name or ''}")
        finally:
            await engine.dispose()
        return 0

    return asyncio.run(go())


def cmd_report(args: argparse.Namespace) -> int:
    """The same XLSX (and CSV) the coordinators get from /stats, written to a file."""
    from datetime import date
    from pathlib import Path

    from bot.db.engine import make_engine, make_sessionmaker
    from bot.db.migrate import ensure_sqlite_dir, upgrade_to_head
    from bot.i18n import locale_scope, make_i18n
    from bot.services import report_files, reports
    from bot.services.catalog import load_catalog

    settings = load_settings()
    try:
        start, end = date.fromisoformat(args.date_from), date.fromisoformat(args.date_to)
    except ValueError:
        print("error: --from and --to must be dates like 2026-01-31", file=sys.stderr)
        return 2
    if end < start:
        print("error: --to is earlier than --from", file=sys.stderr)
        return 2
    if args.region and load_catalog(settings.data_dir).region(args.region) is None:
        print(f"error: unknown region {args.region!r}", file=sys.stderr)
        return 2
    i18n = make_i18n(settings.locales_dir, settings.default_locale)
    if args.monitoring:
        return _monitoring_report(args, settings, i18n, start, end)

    async def go():
        ensure_sqlite_dir(settings.database_url)
        engine = make_engine(settings.database_url)
        try:
            await upgrade_to_head(engine)
            async with make_sessionmaker(engine)() as session:
                fig = await reports.build(session, reports.Period(start, end, settings.tz), args.region)
        finally:
            await engine.dispose()
        return fig

    fig = asyncio.run(go())
    with locale_scope(i18n, args.locale or settings.default_locale):
        from bot.views.coordinators import report_value_label

        value_label = report_value_label(
            load_catalog(settings.data_dir), args.locale or settings.default_locale
        )
        t = i18n.gettext
        out = Path(args.out or f"{report_files.file_stem(fig)}.xlsx")
        out.write_bytes(report_files.xlsx_bytes(fig, t, value_label))
        print(f"wrote {out}")
        if args.csv:
            csv_path = out.with_suffix(".csv")
            csv_path.write_bytes(report_files.csv_bytes(fig, t, value_label))
            print(f"wrote {csv_path}")
        if args.chart:
            png = out.with_suffix(".png")
            png.write_bytes(report_files.chart_png(fig, t, value_label))
            print(f"wrote {png}")
    return 0


def _monitoring_report(args: argparse.Namespace, settings, i18n, start, end) -> int:
    """`report --monitoring`: the monitoring XLSX (and with --chart its PNG) of the wellbeing check-in."""
    from pathlib import Path

    from bot.db.engine import make_engine, make_sessionmaker
    from bot.db.migrate import ensure_sqlite_dir, upgrade_to_head
    from bot.services import checkin, monitoring, reports
    from bot.services.catalog import load_catalog

    catalog = load_catalog(settings.data_dir)
    instrument = checkin.load(settings.data_dir)
    locale = args.locale or settings.default_locale

    async def go():
        ensure_sqlite_dir(settings.database_url)
        engine = make_engine(settings.database_url)
        try:
            await upgrade_to_head(engine)
            async with make_sessionmaker(engine)() as session:
                period = reports.Period(start, end, settings.tz)
                return await monitoring.build(session, period, args.region, instrument)
        finally:
            await engine.dispose()

    report = asyncio.run(go())

    def region_name(code: str) -> str:
        region = catalog.region(code)
        return region.name.get(locale) if region else code

    with i18n.context(), i18n.use_locale(locale):
        t = i18n.gettext
        out = Path(args.out or f"{monitoring.file_stem(report)}.xlsx")
        out.write_bytes(monitoring.xlsx_bytes(report, instrument, locale, t, region_name))
        print(f"wrote {out}")
        if args.chart:
            png = out.with_suffix(".png")
            label = region_name(args.region) if args.region else t("all")
            png.write_bytes(monitoring.chart_png(report, instrument, locale, t, label))
            print(f"wrote {png}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.services import content_io, yamlsafe

    settings = load_settings()
    try:
        plan = content_io.apply(args.kind, settings.data_dir, Path(args.file), dry_run=args.dry_run)
    except content_io.ImportError_ as exc:
        print("import refused, nothing written:", file=sys.stderr)
        for e in exc.errors:
            print(f"  error: {e}", file=sys.stderr)
        return 1
    except (OSError, ValueError, yamlsafe.YAMLError) as exc:  # a duplicate key is refused too
        print(f"import refused, nothing written: {exc}", file=sys.stderr)
        return 1
    print(("dry run, nothing written — " if args.dry_run else "imported — ") + plan.summary())
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.services import content_io

    settings = load_settings()
    if args.kind == "map":
        text = _export_map(settings, args.lang)
    else:
        text = content_io.export(args.kind, settings.data_dir, args.format)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
    else:
        sys.stdout.write(text)
    return 0


def _export_map(settings, lang: str | None) -> str:
    """The website map of the directory (bot/services/map_export.py), in `lang`."""
    from datetime import date

    from bot.i18n import compile_catalogs, make_i18n
    from bot.services.catalog import load_catalog
    from bot.services.map_export import build_html

    compile_catalogs(settings.locales_dir)
    i18n = make_i18n(settings.locales_dir, settings.default_locale)
    catalog = load_catalog(settings.data_dir)
    locale = lang or settings.default_locale
    with i18n.context(), i18n.use_locale(locale):
        return build_html(catalog.places, lang=locale, t=i18n.gettext, exported=date.today().isoformat())


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
    p_check.add_argument(
        "--stale", action="store_true", help="also list what is past its review date and where to check it"
    )
    p_staff = sub.add_parser("staff", help="add or remove a staff member (operator, specialist, crisis, …)")
    p_staff.add_argument("action", choices=["add", "remove", "list"])
    p_staff.add_argument("user_id", type=int, nargs="?", help="Telegram user id")
    p_staff.add_argument("role", nargs="?", default="operator")
    p_staff.add_argument("--specialty", choices=["lawyer", "psychologist", "social_consultant"])
    p_staff.add_argument("--region")
    p_staff.add_argument("--name")
    p_report = sub.add_parser(
        "report", help="write the coordinators' report (XLSX, optionally CSV and chart)"
    )
    p_report.add_argument("--from", dest="date_from", required=True, help="first day, e.g. 2026-01-01")
    p_report.add_argument("--to", dest="date_to", required=True, help="last day, e.g. 2026-03-31")
    p_report.add_argument("--region", help="region code such as RU-PNZ (default: all)")
    p_report.add_argument("--out", help="the .xlsx file (default: report_<from>_<to>_<region>.xlsx)")
    p_report.add_argument("--csv", action="store_true", help="also write the CSV next to it")
    p_report.add_argument("--chart", action="store_true", help="also write the chart (PNG) next to it")
    p_report.add_argument("--locale", choices=["ru", "en"])
    p_report.add_argument(
        "--monitoring",
        action="store_true",
        help="the monitoring report of «Как дела у семьи?» instead (no cell under 5 families)",
    )
    p_import = sub.add_parser(
        "import", help="import organisations or canned answers (YAML/CSV), validated first"
    )
    p_import.add_argument("kind", choices=["organisations", "canned"])
    p_import.add_argument("file")
    p_import.add_argument("--dry-run", action="store_true", help="show what would change, write nothing")
    p_export = sub.add_parser(
        "export", help="export organisations or canned answers, or write the website map (one HTML page)"
    )
    p_export.add_argument("kind", choices=["organisations", "canned", "map"])
    p_export.add_argument("--format", choices=["yaml", "csv"], default="yaml")
    p_export.add_argument(
        "--lang", choices=["ru", "en"], help="map: the page's language (default: DEFAULT_LOCALE)"
    )
    p_export.add_argument("--out")
    p_copy = sub.add_parser("copy-db", help="copy all data into a new database (e.g. SQLite to PostgreSQL)")
    p_copy.add_argument(
        "--from", dest="source", required=True, help="e.g. sqlite+aiosqlite:///var/bot.sqlite3"
    )
    p_copy.add_argument(
        "--to", dest="target", required=True, help="e.g. postgresql+asyncpg://bot:pw@host/bot"
    )
    p_demo = sub.add_parser("demo", help="play a scripted conversation against the local fake Bot API")
    p_demo.add_argument("--keep", action="store_true", help="keep the demo database")
    args = parser.parse_args(argv)
    handlers = {
        "run": cmd_run,
        "migrate": cmd_migrate,
        "check": cmd_check,
        "demo": cmd_demo,
        "staff": cmd_staff,
        "report": cmd_report,
        "import": cmd_import,
        "export": cmd_export,
        "copy-db": cmd_copy_db,
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
