"""What a light `scrapy` command costs to start: peak RSS, modules loaded, wall time.

    python -m bench.command_bench                        # this checkout
    python -m bench.command_bench --before ../old-copy   # and another checkout, back to back

Scrapy imports every module of COMMANDS_MODULE to find a command by name, so a heavy
top-level import in one command (numpy, lxml, the extraction pool) is paid by all of them.
Each command runs --repeat times in a fresh interpreter (the same one as `scrapy`, through
scrapy.cmdline); peak RSS is the child's ru_maxrss from wait4, and the interpreter reports at
exit how many modules it loaded and whether scrapy's heavy neighbours were among them. With
--before, each repeat runs both checkouts one after the other (a shared machine's speed
drifts); medians are printed and written to bench/results/commands.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WARC = Path("tests/data/warc/warcio-example.warc.gz")   # relative to the checkout measured
HEAVY = ("numpy", "trafilatura", "crawler.workerpool", "crawler.extraction", "crawler.extraction.pool")

WRAPPER = """
import atexit, json, os, sys
def _report():
    with open(os.environ["COMMAND_BENCH_OUT"], "w") as fh:
        json.dump({"modules": len(sys.modules),
                   "heavy": [m for m in json.loads(os.environ["COMMAND_BENCH_HEAVY"]) if m in sys.modules]}, fh)
atexit.register(_report)
from scrapy.cmdline import execute
sys.argv = ["scrapy", *sys.argv[1:]]
execute()
"""

COMMANDS = {
    "list": ["list"],
    "warc-check": ["warc-check", str(WARC)],
    "version": ["version"],
}


def run_once(checkout: Path, args: list[str]) -> dict:
    with tempfile.TemporaryDirectory(prefix="command-bench-") as tmp:
        out = Path(tmp) / "probe.json"
        env = {**os.environ, "COMMAND_BENCH_OUT": str(out), "COMMAND_BENCH_HEAVY": json.dumps(HEAVY),
               "PYTHONPATH": str(checkout), "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", WRAPPER, *args], cwd=checkout, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        stderr = proc.stderr.read().decode(errors="replace")
        proc.stderr.close()
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1) or not out.exists():
            raise SystemExit(f"error: {' '.join(args)} in {checkout} exited {code}: {stderr.strip()[-500:]}")
        probe = json.loads(out.read_text())
        return {"rss_mb": usage.ru_maxrss / 1024, "wall_s": wall, **probe}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="another checkout to measure alongside this one")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "commands.json")
    args = parser.parse_args(argv)
    checkouts = {"after": ROOT}
    if args.before:
        checkouts = {"before": args.before.resolve(), "after": ROOT}
    runs: dict = {label: {name: [] for name in COMMANDS} for label in checkouts}
    for _ in range(args.repeat):
        for name, command in COMMANDS.items():
            for label, checkout in checkouts.items():
                runs[label][name].append(run_once(checkout, command))
    result = {}
    print(f"{'command':<12} {'checkout':<8} {'RSS MB':>7} {'modules':>8} {'wall s':>7}  heavy modules loaded")
    for name in COMMANDS:
        for label in checkouts:
            samples = runs[label][name]
            row = {"rss_mb": round(statistics.median(s["rss_mb"] for s in samples), 1),
                   "modules": statistics.median(s["modules"] for s in samples),
                   "wall_s": round(statistics.median(s["wall_s"] for s in samples), 3),
                   "heavy": samples[-1]["heavy"]}
            result.setdefault(name, {})[label] = row
            print(f"{name:<12} {label:<8} {row['rss_mb']:>7} {row['modules']:>8} {row['wall_s']:>7}  "
                  f"{', '.join(row['heavy']) or '-'}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"repeat": args.repeat, "commands": result}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
