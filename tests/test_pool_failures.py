"""A page that kills its extraction worker or hangs it loses only itself, in `scrapy crawl` and
in `scrapy reextract` alike (one pool under both): real worker processes, a real crawl of a
raw local server, then reextract of the WARC it wrote.

The worker task is `tests.slow_task.analyze_or_fail` (EXTRACT_TASK): it calls os._exit on a
URL containing "die" and sleeps 600 s on one containing "hang"; EXTRACT_TIMEOUT is 3 s.
More good pages than reextract keeps in flight (4 per worker) surround the two, so pages
read before, beside and after them all go through a worker that was killed or stopped.
About 20-30 s: a crawl, a reextract, two 3 s timeouts and the forkserver's starts; the Ctrl-C
test ~10 s more.
"""

from __future__ import annotations

import json
import os
import platform
import random
import signal
import subprocess
import sys
import time
import uuid

import pytest

from tests.conftest import ROOT, crawl, run_scrapy
from tests.rawserver import RawServer, Route, _head

WORDS = ("harbour council ferry river bridge school budget winter station market library hospital "
         "election museum tunnel railway orchard festival stadium factory village airport canal "
         "garden theatre court police weather tourism island mountain forest coast farmer teacher "
         "nurse driver mayor minister engineer student village planning housing water energy").split()
GOOD = [f"/2024/11/05/story-{n}" for n in range(12)]
BAD = ["/2024/11/05/story-die", "/2024/11/05/story-hang"]   # the hook's markers, nowhere else in a URL
SETTINGS = {"EXTRACT_WORKERS": "2", "EXTRACT_TIMEOUT": "3", "EXTRACT_TASK": "tests.slow_task.analyze_or_fail"}


def _article(path: str, seed: int) -> bytes:
    rng = random.Random(seed)   # distinct prose per page: no two are near-duplicates
    paragraphs = "".join("<p>" + " ".join(rng.choice(WORDS) for _ in range(40)).capitalize() + ".</p>"
                         for _ in range(5))
    headline = f"Report number {seed} from the valley"
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{headline}</title>
<meta property="og:type" content="article"><link rel="canonical" href="{path}">
<script type="application/ld+json">{{"@context": "https://schema.org", "@type": "NewsArticle",
 "headline": "{headline}", "datePublished": "2024-11-05T18:00:00Z"}}</script>
</head><body><main><article><h1>{headline}</h1>{paragraphs}</article></main></body></html>""".encode()


def _ok(body: bytes, content_type: str = "text/html; charset=utf-8") -> Route:
    head = _head("HTTP/1.1 200 OK", [("Content-Type", content_type),
                                     ("Content-Length", str(len(body))), ("Connection", "close")])
    return Route([head, body], close=True)


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    paths = GOOD[:6] + BAD[:1] + GOOD[6:9] + BAD[1:] + GOOD[9:]
    home = b"<!doctype html><html><body><ul>" + b"".join(
        b"<li><a href='%s'>Story</a></li>" % p.encode() for p in paths) + b"</ul></body></html>"
    routes = {"/": _ok(home), "/robots.txt": _ok(b"User-agent: *\nAllow: /\n", "text/plain")}
    routes.update({path: _ok(_article(path, n)) for n, path in enumerate(paths)})
    out = tmp_path_factory.mktemp("pool-failures")
    with RawServer(routes=routes) as server:
        result = crawl(server.base_url + "/", out, settings={**SETTINGS, "RETRY_ENABLED": "False"})
        base = server.base_url
    return {"out": out, "base": base, "result": result}


def _paths(jsonl, base) -> set[str]:
    return {json.loads(line)["url"][len(base):] for line in jsonl.read_text(encoding="utf-8").splitlines()}


def test_crawl_loses_only_the_page_that_killed_or_hung_its_worker(crawled):
    result, out = crawled["result"], crawled["out"]
    assert result.returncode == 0, result.stderr[-3000:]
    assert _paths(out / "articles.jsonl", crawled["base"]) == set(GOOD)
    stats = json.loads((out / "report.json").read_text())["stats"]
    assert stats.get("extract/timeouts") == 1
    assert stats.get("extract/pool_restarts") == 2     # the "die" page's worker, and the one it was retried on
    assert stats.get("extract/errors") == 2
    failed = [line for line in result.stderr.splitlines() if "extraction failed for" in line]
    assert len(failed) == 2
    assert all(any(f"extraction failed for {crawled['base']}{path}:" in line for line in failed) for path in BAD)


def test_reextract_loses_only_the_page_that_killed_or_hung_its_worker(crawled, tmp_path):
    assert crawled["result"].returncode == 0
    out = tmp_path / "again.jsonl"
    settings = [arg for name, value in SETTINGS.items() for arg in ("-s", f"{name}={value}")]
    result = run_scrapy("reextract", str(crawled["out"]), "-O", str(out), *settings)
    assert result.returncode == 0, result.stderr[-3000:]
    assert _paths(out, crawled["base"]) == set(GOOD)
    problems = [line for line in result.stderr.splitlines() if "extraction failed for" in line]
    assert len(problems) == 2
    (died,) = [line for line in problems if "story-die" in line]
    (hung,) = [line for line in problems if "story-hang" in line]
    assert "WorkerDied" in died and "TaskTimeout" in hung
    assert result.stderr.splitlines()[-1].endswith("; 2 problem(s)")


def _processes_with(marker: str) -> list[int]:
    """Process ids whose environment holds `marker` (a reextract and everything it started)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/environ", "rb") as fh:
                    if marker.encode() in fh.read():
                        found.append(int(entry))
            except OSError:     # gone meanwhile, or not ours
                pass
    return found


_SYS_TGKILL = {"x86_64": 234, "aarch64": 131}.get(platform.machine())


def _ctrl_c_taken_by_another_thread(pid: int, marker: str) -> None:
    """SIGINT to every process of the group, as a terminal sends it, with reextract's own taken
    by a thread other than its main one, as the kernel may choose for a signal sent to a
    process (tgkill). Where the syscall's number is not known here, a plain kill."""
    for other in _processes_with(marker):
        if other != pid:
            os.kill(other, signal.SIGINT)
    threads = [int(t) for t in os.listdir(f"/proc/{pid}/task") if int(t) != pid]
    assert threads, "reextract has no thread besides its main one (numpy's OpenBLAS gives it one)"
    if _SYS_TGKILL is None:
        os.kill(pid, signal.SIGINT)
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.syscall(_SYS_TGKILL, pid, threads[0], signal.SIGINT) == 0, os.strerror(ctypes.get_errno())


def test_ctrl_c_stops_reextract_writes_what_it_has_and_leaves_no_worker(tmp_path):
    """Ctrl-C (SIGINT to every process of the group, as a terminal sends it) while both workers
    are stuck on pages that hang: reextract stops within seconds, writes the items it had (the
    pages before the stuck ones), says it was interrupted, exits 130, and no worker or forkserver
    outlives it. Reextract's SIGINT is taken by its OpenBLAS thread: under load the kernel did
    so now and then, and reextract slept on in select() until a 120 s timer (60 s failures)."""
    from archives.writer import WarcWriter

    good = [f"/2024/11/05/story-{n}" for n in range(3)]
    stuck = [f"/2024/11/05/story-hang-{n}" for n in range(4)]
    with WarcWriter(tmp_path / "warcs", prefix="t") as writer:
        for n, path in enumerate(good + stuck):
            body = _article(path, n)
            writer.write_exchange(url=f"http://site.test{path}", request_head=f"GET {path} HTTP/1.1\r\n\r\n".encode(),
                                  response_head=b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                                                b"Content-Length: %d\r\n\r\n" % len(body), response_body=body)
    notices = tmp_path / "stuck"
    notices.mkdir()
    marker = f"POOL_TEST_MARK={uuid.uuid4()}"
    # PYTHONFAULTHANDLER: if it hangs after the Ctrl-C, SIGABRT makes it print where each thread is
    # OPENBLAS_NUM_THREADS=2: numpy's thread pool has a thread besides the main one, on one core too
    env = dict(os.environ, HANG_NOTICE_DIR=str(notices), POOL_TEST_MARK=marker.split("=", 1)[1], PYTHONFAULTHANDLER="1",
               OPENBLAS_NUM_THREADS="2")
    env.setdefault("PYTHONPATH", str(ROOT))
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "scrapy", "reextract", str(tmp_path / "warcs"), "-O", str(out),
                             "-s", "EXTRACT_WORKERS=2", "-s", "EXTRACT_TASK=tests.slow_task.analyze_or_hang"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while len(os.listdir(notices)) < 2:
            assert proc.poll() is None and time.monotonic() < deadline, "the workers never got stuck"
            time.sleep(0.2)
        time.sleep(3)    # the pages before the stuck ones were answered before those started: let them be read
        assert len(_processes_with(marker)) >= 4       # reextract, the forkserver, two workers
        _ctrl_c_taken_by_another_thread(proc.pid, marker)
        try:
            _, stderr = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGABRT)
            pytest.fail("reextract still running 60 s after Ctrl-C; its threads:\n" + proc.communicate(timeout=30)[1][-6000:])
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, stderr[-3000:]
    assert stderr.splitlines()[-1].startswith("reextract: interrupted: 1 file(s)")
    items = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(item["url"] for item in items) == sorted(f"http://site.test{path}" for path in good)
    deadline = time.monotonic() + 15      # the forkserver leaves when it reads its pipe's EOF
    while _processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _processes_with(marker) == []


def test_ctrl_c_as_the_crawl_starts_is_a_clean_stop(tmp_path, demo_site):
    """Ctrl-C (SIGINT to the process group) the moment the spider opens, while the pool's
    forkserver is still importing the extraction code: before the fix the forkserver died with a
    KeyboardInterrupt traceback and the pool logged that it could not start a worker. Now the
    crawl stops with exit 130 and one plain line, and no process it started outlives it."""
    from tests.conftest import crawl_args, scrapy_command, scrapy_env

    marker = str(uuid.uuid4())
    args = crawl_args(demo_site.base_url, tmp_path / "out", {"EXTRACT_WORKERS": "2"})
    proc = subprocess.Popen(scrapy_command(*args), cwd=ROOT,
                            env=scrapy_env({"POOL_TEST_MARK": marker}), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        seen = []
        for line in proc.stderr:
            seen.append(line)
            if "Spider opened" in line:
                os.killpg(proc.pid, signal.SIGINT)
                break
        assert any("Spider opened" in line for line in seen), "".join(seen)[-3000:]
        _, rest = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    stderr = "".join(seen) + rest
    assert proc.returncode == 130, stderr[-3000:]
    assert "Traceback" not in stderr and "could not start a worker" not in stderr, stderr[-3000:]
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("Crawl interrupted"), last
    deadline = time.monotonic() + 15
    while _processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _processes_with(marker) == []
