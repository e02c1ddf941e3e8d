"""Run the fake standalone: ``python -m tests.fake_telegram --port 8081 --token 123:abc``."""

from __future__ import annotations

import argparse
import asyncio
import logging

from .server import FakeTelegram


async def _serve(args: argparse.Namespace) -> None:
    fake = FakeTelegram(token=args.token, host=args.host, port=args.port, enforce_limits=args.enforce_limits)
    await fake.start()
    print(f"fake Telegram {fake.spec.version} listening on {fake.base_url} (token {fake.token})", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await fake.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fake_telegram", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123456789:TEST-fake-token")
    parser.add_argument("--enforce-limits", action="store_true")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args()
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        asyncio.run(_serve(args))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
