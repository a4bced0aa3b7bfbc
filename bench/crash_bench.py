"""Crash-safety property run (issue 17): interrupt a crawl at random points, restart it with the
same command each time, and check that the end result is the uninterrupted crawl's.

    .venv/bin/python -m bench.crash_bench [--articles 300] [--kills 24] [--seed 17]
                                          [--variants jobdir,nojobdir]

A generated news site (`DemoSite(synthetic_articles=N)`, with its URL variants and duplicate
groups) is served on 127.0.0.1. One uninterrupted crawl gives the reference: the stories it
archived as articles (a story is a duplicate group of the site's ground truth, or one page).
Then, per variant (with `-s JOBDIR=DIR`, or without), the same command is started again and
again into one OUTPUT_DIR and interrupted at a random moment of its crawl (a random delay after
Scrapy logs "Spider opened"; a moment during start-up is the same for every crawl) by each in
turn of:

- `sigkill`: SIGKILL to the crawl's whole process group (crawl process, extraction workers);
- `double_ctrl_c`: SIGINT to the group twice (Scrapy's "forced shutdown": no clean close);
- `ctrl_c`: SIGINT once (graceful stop; Scrapy saves its JOBDIR queue).

until `--kills` interruptions happened; then it runs to its end. Checked at the end, as the
issue states the property: every story of the reference present exactly once in
articles.jsonl, every WARC passes `warcio check` and `scrapy warc-check`, every JSON line of
every *.jsonl parses, no `*.open` / `*.partial` / empty file left, the last run exits 0 and
every interrupted run exits non-zero. tests/test_crash_safety.py runs a smaller version of
this; here it runs at scale. Writes bench/results/crash.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results" / "crash.json"
FAULTS = ("sigkill", "double_ctrl_c", "ctrl_c")
# Fast settings for a site on loopback (the shipped defaults stay polite).
LOOPBACK = {"DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "False", "LOG_LEVEL": "INFO"}


@dataclass
class Attempt:
    fault: str | None        # None: left to run to its end
    delay: float             # seconds after "Spider opened" the fault was sent
    returncode: int
    seconds: float
    lines_after: int         # article lines in the file after this attempt
    warc_bytes: int = 0      # bytes of WARC files in OUTPUT_DIR after it
    log_tail: str = ""       # the end of its output, kept when it exited unexpectedly


@dataclass
class Outcome:
    variant: str
    attempts: list[Attempt] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    stories: int = 0
    lost: int = 0            # stories of the uninterrupted crawl missing at the end
    twice: int = 0           # stories written more than once
    invalid: int = 0         # problems with the files (debris, bad JSON line, a WARC check failed)

    @property
    def interruptions(self) -> int:
        return sum(1 for a in self.attempts if a.fault and a.returncode != 0)


def crawl_command(base_url: str, out: Path, jobdir: Path | None, settings: dict) -> list[str]:
    command = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"urls={base_url}",
               "-s", f"OUTPUT_DIR={out}"]
    for name, value in {**LOOPBACK, **settings, **({"JOBDIR": str(jobdir)} if jobdir else {})}.items():
        command += ["-s", f"{name}={value}"]
    return command


def _start(command: list[str], log: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with open(log, "ab") as fh:     # its own session: the faults go to its process group only
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT,
                                start_new_session=True)


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    _signal_group_pgid(proc.pid, sig)


def _wait_group_gone(pgid: int, timeout: float = 30.0) -> None:
    """SIGKILL of the group also reaches extraction workers; wait until none is left, so the
    next attempt's recovery never races a dying writer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    _signal_group_pgid(pgid, signal.SIGKILL)


def _signal_group_pgid(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def _wait_for_line(proc: subprocess.Popen, log: Path, start: int, marker: bytes,
                   timeout: float = 120.0) -> None:
    """Until `marker` appears in `log` past `start` (or the process ends, or `timeout`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if _logged(log, start, marker):
            return
        time.sleep(0.05)


def _logged(log: Path, start: int, marker: bytes) -> bool:
    with open(log, "rb") as fh:
        fh.seek(start)
        return marker in fh.read()


def warc_bytes(out: Path) -> int:
    return sum(p.stat().st_size for p in out.glob("*.warc*")) if out.is_dir() else 0


def article_lines(out: Path) -> int:
    path = out / "articles.jsonl"
    return len(path.read_bytes().splitlines()) if path.exists() else 0


def run_interrupted(command: list[str], out: Path, *, kills: int, rng: random.Random,
                    delays: tuple[float, float], faults=FAULTS, max_attempts: int | None = None,
                    variant: str = "") -> Outcome:
    """Start `command` until `kills` attempts were interrupted, then once more to its end."""
    outcome = Outcome(variant)
    log = out.parent / f"{out.name}.log"
    max_attempts = max_attempts or kills * 3
    while outcome.interruptions < kills and len(outcome.attempts) < max_attempts:
        fault, delay = faults[len(outcome.attempts) % len(faults)], rng.uniform(*delays)
        started = time.monotonic()
        log_start = log.stat().st_size if log.exists() else 0
        proc = _start(command, log)
        try:
            _wait_for_line(proc, log, log_start, b"Spider opened")
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            if fault == "sigkill":
                _signal_group(proc, signal.SIGKILL)
            else:
                _signal_group(proc, signal.SIGINT)
                if fault == "double_ctrl_c":
                    time.sleep(rng.uniform(0.05, 0.5))
                    _signal_group(proc, signal.SIGINT)
            try:
                proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                outcome.problems.append(f"attempt {len(outcome.attempts) + 1} ({fault}) hung: killed")
                _signal_group(proc, signal.SIGKILL)
                proc.wait()
        else:
            fault = None if proc.returncode == 0 else fault   # finished before the fault came
        if fault and proc.returncode == 0 and _logged(log, log_start, b"Spider closed (finished)"):
            fault = None            # it finished as the fault came: no interruption (exit 0 is right)
        _wait_group_gone(proc.pid)
        tail = ""
        if (fault == "sigkill") != (proc.returncode == -signal.SIGKILL) or proc.returncode == 0:
            with open(log, "rb") as fh:
                fh.seek(log_start)
                tail = " | ".join(fh.read().decode("utf-8", "replace").splitlines()[-12:])
        outcome.attempts.append(Attempt(fault, round(delay, 2), proc.returncode,
                                        round(time.monotonic() - started, 2), article_lines(out),
                                        warc_bytes=warc_bytes(out), log_tail=tail))
        if fault is None:
            break
    if not outcome.attempts or outcome.attempts[-1].fault is not None:
        started = time.monotonic()
        proc = _start(command, log)
        proc.wait(timeout=600)
        outcome.attempts.append(Attempt(None, 0.0, proc.returncode,
                                        round(time.monotonic() - started, 2), article_lines(out),
                                        warc_bytes=warc_bytes(out)))
    return outcome


def story_key(url: str, groups: dict[str, str]) -> str:
    """The story an article is: its duplicate group's first member, else its own path."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return groups.get(path, path)


def duplicate_groups(expected: dict, base_url: str) -> dict[str, str]:
    from crawler.urls import canonicalize_url

    groups = {}
    for group in expected["duplicate_groups"]:
        first = group["members"][0]
        for member in group["members"]:
            parts = urlsplit(canonicalize_url(base_url.rstrip("/") + member))
            groups[parts.path + (f"?{parts.query}" if parts.query else "")] = first
    return groups


def stories(out: Path, groups: dict[str, str]) -> Counter:
    counts = Counter()
    with open(out / "articles.jsonl", encoding="utf-8") as fh:
        for line in fh:
            counts[story_key(json.loads(line)["canonical_url"], groups)] += 1
    return counts


def check_files(out: Path) -> list[str]:
    """Problems with the files left in `out` (empty list: all good)."""
    problems = []
    for path in sorted(out.iterdir()):
        if path.name.endswith((".open", ".partial")):
            problems.append(f"left behind: {path.name}")
        elif path.is_file() and path.stat().st_size == 0 and not path.name.endswith(
                (".lock", "-wal", "-shm")):     # lock files and an idle SQLite WAL are empty
            problems.append(f"empty file: {path.name}")
    for path in sorted(out.glob("*.jsonl")):
        with open(path, "rb") as fh:
            for number, line in enumerate(fh, 1):
                try:
                    json.loads(line)
                except ValueError:
                    problems.append(f"{path.name}:{number}: not JSON: {line[:80]!r}")
    warcs = sorted(str(p) for p in out.glob("*.warc.gz"))
    if not warcs:
        return problems + ["no WARC file"]
    warcio = subprocess.run([str(Path(sys.executable).with_name("warcio")), "check", *warcs],
                            capture_output=True, text=True)
    if warcio.returncode != 0:
        problems.append(f"warcio check failed: {(warcio.stdout + warcio.stderr)[-500:]}")
    own = subprocess.run([sys.executable, "-m", "scrapy", "warc-check", *warcs], cwd=ROOT,
                         capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    if own.returncode != 0:
        problems.append(f"scrapy warc-check failed: {(own.stdout + own.stderr)[-500:]}")
    return problems


def check_outcome(outcome: Outcome, out: Path, reference: Counter, groups: dict[str, str]) -> Outcome:
    """Fill `outcome.problems` with every way the interrupted crawl differs from the property."""
    problems = outcome.problems
    # 130: the crawl's own "interrupted"; -SIGINT: Ctrl-C while Python was still importing,
    # before Scrapy set its handlers (KeyboardInterrupt; a shell shows 130 for both).
    interrupted = (130, -signal.SIGINT)
    expected_codes = {"sigkill": (-signal.SIGKILL,), "double_ctrl_c": interrupted, "ctrl_c": interrupted}
    for number, attempt in enumerate(outcome.attempts, 1):
        if attempt.fault and attempt.returncode not in expected_codes[attempt.fault]:
            problems.append(f"attempt {number} ({attempt.fault} at {attempt.delay} s): exit "
                            f"{attempt.returncode}; its log ends: {attempt.log_tail}")
    if outcome.attempts[-1].returncode != 0:
        problems.append(f"last run exit {outcome.attempts[-1].returncode}, not 0")
    file_problems = check_files(out)
    problems += file_problems
    got = stories(out, groups)
    outcome.stories = len(got)
    twice = sorted(k for k, n in got.items() if n > 1)
    missing = sorted(set(reference) - set(got))
    outcome.lost, outcome.twice, outcome.invalid = len(missing), len(twice), len(file_problems)
    extra = sorted(set(got) - set(reference))
    if twice:
        urls = Counter(json.loads(line)["canonical_url"]
                       for line in (out / "articles.jsonl").read_text(encoding="utf-8").splitlines())
        same_url = sum(1 for n in urls.values() if n > 1)
        problems.append(f"{len(twice)} stories written more than once ({same_url} canonical URLs "
                        f"twice, the rest as other pages of their duplicate group): {twice[:5]}")
    if missing:
        problems.append(f"{len(missing)} stories of the uninterrupted crawl missing: {missing[:5]}")
    if extra:
        problems.append(f"{len(extra)} stories the uninterrupted crawl does not have: {extra[:5]}")
    return outcome


def reference_crawl(base_url: str, out: Path, settings: dict, groups: dict[str, str]) -> tuple[Counter, float]:
    started = time.monotonic()
    result = subprocess.run(crawl_command(base_url, out, None, settings), cwd=ROOT, capture_output=True,
                            text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=900)
    if result.returncode != 0:
        raise RuntimeError(f"reference crawl failed ({result.returncode}): {result.stderr[-2000:]}")
    return stories(out, groups), time.monotonic() - started


def main(argv=None) -> int:
    import tempfile

    from demosite import DemoSite

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=300, help="generated articles on the site")
    parser.add_argument("--kills", type=int, default=24, help="interruptions per variant")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--variants", default="jobdir,nojobdir")
    parser.add_argument("--workers", default="2", help="EXTRACT_WORKERS of the crawls")
    parser.add_argument("--delays", default="0,3", help="MIN,MAX seconds after 'Spider opened' before a fault")
    parser.add_argument("-s", dest="settings", action="append", default=[], metavar="NAME=VALUE",
                        help="more crawl settings (e.g. DOWNLOAD_DELAY=0.03 for a longer crawl)")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    settings = {"EXTRACT_WORKERS": args.workers, **dict(s.split("=", 1) for s in args.settings)}
    delays = tuple(float(x) for x in args.delays.split(","))
    report = {"articles": args.articles, "kills": args.kills, "seed": args.seed, "settings": settings,
              "delays": delays,
              "load": os.getloadavg(), "variants": {}}
    with tempfile.TemporaryDirectory(prefix="crash-bench-") as tmp, \
            DemoSite(synthetic_articles=args.articles) as site:
        tmp = Path(tmp)
        groups = duplicate_groups(site.expected, site.base_url)
        reference, seconds = reference_crawl(site.base_url, tmp / "reference", settings, groups)
        report["reference"] = {"stories": len(reference), "seconds": round(seconds, 1)}
        print(f"reference: {len(reference)} stories in {seconds:.1f} s")
        for variant in args.variants.split(","):
            out = tmp / variant
            jobdir = tmp / f"{variant}.job" if variant == "jobdir" else None
            command = crawl_command(site.base_url, out, jobdir, settings)
            outcome = run_interrupted(command, out, kills=args.kills, rng=rng, delays=delays,
                                      variant=variant)
            check_outcome(outcome, out, reference, groups)
            faults = Counter(a.fault for a in outcome.attempts if a.fault)
            print(f"{variant}: {outcome.interruptions} interruptions ({dict(faults)}), "
                  f"{len(outcome.attempts)} runs, {outcome.stories}/{len(reference)} stories: "
                  f"{outcome.lost} lost, {outcome.twice} twice, {outcome.invalid} invalid file(s); "
                  f"{len(outcome.problems)} problem(s)")
            for problem in outcome.problems:
                print(f"  - {problem}")
            report["variants"][variant] = {**asdict(outcome), "interruptions": outcome.interruptions}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    return 1 if any(v["problems"] for v in report["variants"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
