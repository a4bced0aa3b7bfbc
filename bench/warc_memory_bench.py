"""Peak memory of the WARC writer archiving one big response, and a fingerprint of what it wrote.

    .venv/bin/python -m bench.warc_memory_bench [--mib 60] [--out bench/results/warc_memory.json]

A 60 MiB body (DOWNLOAD_MAXSIZE is 64 MiB) is archived, each case in a fresh process: random
bytes (a video or an archive: gzip cannot shrink it, so the compressed record is as big as
the body) and generated text (a huge HTML page), through `write_exchange` (the reactor's
path) and `prepare_exchange` + `commit` (the thread path of WARC_OFFLOAD_MIN_BYTES). The figure
is the process's peak RSS above its RSS with the body already in memory, in MiB and in
copies of the body: what 16 concurrent downloads near the limit multiply.

Record ids and dates are fixed (a counter, a given date), so two versions of the writer can
be compared: `sha256_records` hashes the decompressed records (what warcio reads),
`sha256_file` the gzip bytes; both must stay the same when only memory use changes.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "warc_memory.json"
CASES = [(body, path) for body in ("random", "text") for path in ("write_exchange", "prepare_commit")]


def _status_mib(field: str) -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise KeyError(field)


def _reset_peak() -> None:
    """VmHWM back to the current RSS (Linux: clear_refs 5), so the peak is the write's alone."""
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")


def _body(kind: str, size: int) -> bytes:
    if kind == "random":
        return random.Random(7).randbytes(size)
    words = b"council water plan residents budget school river bridge mayor vote hospital nurses".split()
    rng = random.Random(7)
    line = b" ".join(rng.choice(words) for _ in range(4000)) + b"\n"
    whole, rest = divmod(size, len(line))
    return b"".join([line] * whole + [line[:rest]])     # one allocation: no transient copy in the peak


def one(kind: str, path: str, mib: int) -> dict:
    from archives import records
    from archives.writer import WarcWriter

    counter = itertools.count()
    records.new_record_id = lambda: f"<urn:uuid:00000000-0000-0000-0000-{next(counter):012d}>"
    work = Path(tempfile.mkdtemp(prefix="warc-memory-"))
    writer = WarcWriter(work, cdxj=False, recover=False, hostname="bench", warcinfo={"software": "bench"})
    body = _body(kind, mib * 2**20)
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    exchange = dict(url="http://big.example/file", request_head=b"GET /file HTTP/1.1\r\nHost: big.example\r\n\r\n",
                    response_head=head, response_body=body, ip_address="127.0.0.1", date="2026-12-05T12:00:00Z")
    writer._ensure_open()                       # the warcinfo record: not part of the figure
    _reset_peak()
    before = _status_mib("VmRSS")
    if path == "write_exchange":
        writer.write_exchange(**exchange)
    else:
        writer.commit(writer.prepare_exchange(**exchange))
    peak = _status_mib("VmHWM")
    [warc] = writer.close()
    raw = warc.read_bytes()
    # the warcinfo record carries the file's name (a timestamp): hash from the first exchange on
    records_bytes = gzip.decompress(raw)
    start = records_bytes.index(b"WARC-Type: response")
    gz_start = raw.index(b"\x1f\x8b\x08", 10)
    result = {"body": kind, "path": path, "body_mib": mib, "rss_before_mib": round(before, 1),
              "peak_mib": round(peak, 1), "extra_mib": round(peak - before, 1),
              "extra_copies": round((peak - before) / mib, 2),
              "sha256_records": hashlib.sha256(records_bytes[start:]).hexdigest(),
              "sha256_file": hashlib.sha256(raw[gz_start:]).hexdigest(), "warc_bytes": len(raw)}
    for p in work.iterdir():
        p.unlink()
    work.rmdir()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mib", type=int, default=60)
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.case:
        kind, path = args.case.split(":")
        print(json.dumps(one(kind, path, args.mib)))
        return 0
    results = []
    for kind, path in CASES:
        proc = subprocess.run([sys.executable, "-m", "bench.warc_memory_bench", "--mib", str(args.mib),
                               "--case", f"{kind}:{path}"], cwd=ROOT, capture_output=True, text=True,
                              env=dict(os.environ, PYTHONPATH=str(ROOT)))
        if proc.returncode:
            print(proc.stderr, file=sys.stderr)
            return 1
        results.append(json.loads(proc.stdout))
        print(json.dumps({k: v for k, v in results[-1].items() if not k.startswith("sha")}))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
