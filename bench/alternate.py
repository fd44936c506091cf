#!/usr/bin/env python3
"""bench/alternate.py: wall times of shell commands run in alternation, for benchmarks whose cost
depends on the state of a shared resource (the disk's write-back queue, the page cache).

hyperfine runs all of one command's runs before the next command's, so a disk that slows down or
speeds up during the benchmark favours one command. Here every round runs each command once, after
the same --prepare command, and the order rotates from round to round; the JSON output has the shape
of hyperfine's --export-json (results[].command, .median, .times) so the same readers work.

usage: alternate.py --runs N --prepare CMD --export-json FILE -n NAME CMD [-n NAME CMD ...]
"""

import argparse
import json
import statistics
import subprocess
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=1, help="rounds run first and not counted")
    parser.add_argument("--prepare", default="true", help="shell command run before every timed command")
    parser.add_argument("--export-json", required=True)
    parser.add_argument("-n", "--name", action="append", nargs=2, metavar=("NAME", "CMD"), required=True)
    args = parser.parse_args()

    commands = args.name
    times = {name: [] for name, _ in commands}
    for round_number in range(args.warmup + args.runs):
        shift = round_number % len(commands)
        for name, command in commands[shift:] + commands[:shift]:
            subprocess.run(args.prepare, shell=True, check=True)
            start = time.perf_counter()
            result = subprocess.run(command, shell=True)
            elapsed = time.perf_counter() - start
            if result.returncode != 0:
                print(f"alternate.py: {name!r} exited with {result.returncode}: {command}", file=sys.stderr)
                return 3
            if round_number >= args.warmup:
                times[name].append(elapsed)

    results = [{"command": name, "median": statistics.median(times[name]), "mean": statistics.mean(times[name]),
                "min": min(times[name]), "max": max(times[name]), "times": times[name]}
               for name, _ in commands]
    with open(args.export_json, "w", encoding="utf-8") as out:
        json.dump({"results": results}, out, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
