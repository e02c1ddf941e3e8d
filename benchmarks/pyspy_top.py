"""Sum a py-spy profile (`py-spy record -f raw`: collapsed stacks, one `frame;frame;… count` per line) by function:
the share of samples in which a function is on the stack (inclusive) and at the top (self), the largest first.

    .venv/bin/python benchmarks/pyspy_top.py profile.txt [--top 30] [--only bot,handlers]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("profile")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--only", default="", help="comma-separated path parts a frame must contain")
    args = parser.parse_args()
    only = [p for p in args.only.split(",") if p]
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in Path(args.profile).read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        # a frame: "function (path/to/file.py:line)"; the line number is dropped so a function counts once
        frames = [re.sub(r":\d+\)$", ")", f) for f in stack.split(";")]
        for frame in set(frames):
            if not only or any(p in frame for p in only):
                inclusive[frame] += n
        if frames and (not only or any(p in frames[-1] for p in only)):
            own[frames[-1]] += n
    print(f"{total} samples")
    print("inclusive (on the stack):")
    for frame, n in inclusive.most_common(args.top):
        print(f"  {100 * n / total:5.1f} %  {frame}")
    print("self (at the top):")
    for frame, n in own.most_common(args.top):
        print(f"  {100 * n / total:5.1f} %  {frame}")


if __name__ == "__main__":
    main()
