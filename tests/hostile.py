"""Hostile inputs, built in a few milliseconds each: WARCs with lying headers, decompression
bombs (WARC members, Content-Encoding, WACZ indexes, HTTP bodies) and a process-tree RSS probe.

Shared by tests/test_hostile_*.py and bench/hostile_bench.py. Sizes are arguments, so the
tests stay fast and the benchmark can go to gigabytes.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import threading
import time
import zipfile
import zlib
from pathlib import Path

MIB = 1024 * 1024


def gzip_of_repeats(size: int, unit: bytes = b"a", level: int = 9) -> bytes:
    """One gzip member inflating to about `size` bytes of `unit` repeated (about size/1000 bytes)."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = unit * max(1, MIB // len(unit))
    out = [compressor.compress(block) for _ in range(size // len(block))]
    out.append(compressor.flush())
    return b"".join(out)


def gzip_members(size: int, unit: bytes = b"a") -> bytes:
    """Many ~1 MiB gzip members back to back (valid gzip, as `gzip -c a b` writes): a bomb
    built in milliseconds, whatever its size."""
    member = gzip_of_repeats(MIB, unit)
    return member * max(1, size // MIB)


def double_gzip(size: int, byte: bytes = b"a") -> bytes:
    """`Content-Encoding: gzip, gzip`: a few KB that inflate to `size` bytes in two steps."""
    return gzip.compress(gzip_members(size, byte), 9)


def warc_head(headers: list[tuple[str, str]]) -> bytes:
    return ("WARC/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n").encode("utf-8")


def http_response(body: bytes, *, content_type: str = "text/html; charset=utf-8",
                  extra: list[tuple[str, str]] = ()) -> bytes:
    headers = [("Content-Type", content_type), *extra, ("Content-Length", str(len(body)))]
    return ("HTTP/1.1 200 OK\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
            + "\r\n").encode("latin-1") + body


def response_record(url: str, block: bytes, *, content_length: str | None = None,
                    date: str = "2024-05-01T10:00:00Z", number: int = 1, drop: tuple = (),
                    gz: bool = True) -> bytes:
    """A response record (its own gzip member when `gz`), headers as given: lies included."""
    headers = [("WARC-Type", "response"), ("WARC-Target-URI", url), ("WARC-Date", date),
               ("WARC-Record-ID", f"<urn:uuid:00000000-0000-0000-0000-{number:012d}>"),
               ("Content-Type", "application/http; msgtype=response"),
               ("Content-Length", str(len(block)) if content_length is None else content_length)]
    headers = [(k, v) for k, v in headers if k not in drop]
    data = warc_head(headers) + block + b"\r\n\r\n"
    return gzip.compress(data, 6) if gz else data


def record_member_inflating_to(url: str, size: int, number: int = 1) -> bytes:
    """A gzip member holding a response record whose HTTP body is `size` bytes of b"a"."""
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % size
    block_length = len(head) + size
    headers = [("WARC-Type", "response"), ("WARC-Target-URI", url),
               ("WARC-Date", "2024-05-01T10:00:00Z"),
               ("WARC-Record-ID", f"<urn:uuid:00000000-0000-0000-0000-{number:012d}>"),
               ("Content-Type", "application/http; msgtype=response"),
               ("Content-Length", str(block_length))]
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    out = [compressor.compress(warc_head(headers) + head)]
    block = b"a" * MIB
    out += [compressor.compress(block) for _ in range(size // MIB)]
    out.append(compressor.compress(b"a" * (size % MIB) + b"\r\n\r\n"))
    out.append(compressor.flush())
    return b"".join(out)


def head_bomb_member(url: str, size: int, number: int = 1, *, one_line: bool = True) -> bytes:
    """A gzip member whose HTTP head never ends: one `size`-byte header line, or `size` bytes
    of short header lines (warcio keeps every line of a head until the blank line)."""
    filler = b"X-Long: " + b"a" * size if one_line else b"X-Many: 1\r\n" * (size // 11)
    block = b"HTTP/1.1 200 OK\r\n" + filler
    headers = [("WARC-Type", "response"), ("WARC-Target-URI", url),
               ("WARC-Date", "2024-05-01T10:00:00Z"),
               ("WARC-Record-ID", f"<urn:uuid:00000000-0000-0000-0000-{number:012d}>"),
               ("Content-Type", "application/http; msgtype=response"),
               ("Content-Length", str(len(block)))]
    return gzip.compress(warc_head(headers) + block + b"\r\n\r\n", 9)


def article_page(title: str, words: int = 400) -> bytes:
    vocabulary = ("harbour council budget river school bridge market festival railway library "
                  "election museum hospital weather farmers orchestra stadium ferry").split()
    text = " ".join(vocabulary[(i * 7) % len(vocabulary)] for i in range(words))
    sentences = ". ".join(text[i:i + 300].capitalize() for i in range(0, len(text), 300))
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{title}</title>"
            f'<meta property="og:type" content="article"><script type="application/ld+json">'
            f'{{"@type":"NewsArticle","headline":"{title}","datePublished":"2024-05-01T10:00:00Z"}}'
            f"</script></head><body><article><h1>{title}</h1><p>{sentences}.</p></article>"
            f"</body></html>").encode()


def wacz_with_index(path: Path, warc_name: str, warc: bytes, index: bytes, *,
                    index_name: str = "indexes/index.cdxj") -> Path:
    """A WACZ (zip) holding one WARC and the given index member (deflated: it may be a bomb)."""
    with zipfile.ZipFile(path, "w") as package:
        package.writestr(f"archive/{warc_name}", warc, compress_type=zipfile.ZIP_STORED)
        package.writestr(index_name, index, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
        package.writestr("datapackage.json", json.dumps({"profile": "data-package"}))
    return path


class ZipBombMember:
    """Write a deflated zip member of `size` repeated bytes without holding it in memory."""

    @staticmethod
    def add(package: zipfile.ZipFile, name: str, size: int, line: bytes = b"a") -> None:
        with package.open(zipfile.ZipInfo(name), "w", force_zip64=True) as member:
            block = line * (MIB // len(line))
            written = 0
            while written < size:
                member.write(block)
                written += len(block)


# --- peak RSS of a process tree ---------------------------------------------------------

def _children(pid: int) -> list[int]:
    kids = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                kids += [int(k) for k in fh.read().split()]
    except OSError:
        pass
    return kids


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def tree_rss_mb(pid: int) -> float:
    """RSS of `pid` and all its descendants, summed (shared pages counted in each)."""
    total, todo, seen = 0.0, [pid], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        total += _rss_mb(current)
        todo += _children(current)
    return total


def run_measured(cmd: list[str], *, cwd=None, env=None, timeout: float = 600,
                 interval: float = 0.02, preexec_fn=None) -> tuple[subprocess.CompletedProcess, float]:
    """Run `cmd`; (completed process, peak summed RSS in MB of its process tree, sampled)."""
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=preexec_fn)
    peak = [0.0]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], tree_rss_mb(proc.pid))
            time.sleep(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
    finally:
        done.set()
        sampler.join()
    return subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr), peak[0]

