"""A gzip bomb's buffer is freed the moment decoding stops, even while the error is kept.

Scrapy keeps the IgnoreRequest of a refused response alive in a Failure (and a reference
cycle through its traceback kept the decoder's frame, and its output buffer, alive until a
full collection). Here the exception is held on purpose, as Scrapy holds it, and the memory
Python still has allocated is measured with tracemalloc.
"""

from __future__ import annotations

import gc
import tracemalloc

import pytest
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.utils.test import get_crawler

from crawler import settings as project
from crawler.compression import BoundedHttpCompressionMiddleware
from tests.hostile import MIB, gzip_members

SETTINGS = {name: getattr(project, name) for name in dir(project) if name.isupper()}


def middleware(**overrides) -> BoundedHttpCompressionMiddleware:
    return BoundedHttpCompressionMiddleware.from_crawler(get_crawler(settings_dict={**SETTINGS, **overrides}))


def bomb_response(size: int) -> Response:
    return Response("http://example.com/bomb", body=gzip_members(size, b" "),
                    headers={"Content-Encoding": "gzip", "Content-Type": "text/html"})


def test_bomb_is_refused_counted_and_its_buffer_freed_while_the_error_is_kept():
    mw = middleware(DECOMPRESS_MAX_SIZE=32 * MIB)
    response = bomb_response(256 * MIB)
    gc.disable()                       # only reference counting may free the buffer
    tracemalloc.start()
    try:
        with pytest.raises(IgnoreRequest) as caught:
            mw.process_response(Request(response.url), response)
        kept = caught.value            # held, as Scrapy's Failure holds it
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        gc.enable()
    assert peak > 32 * MIB             # it did inflate up to the cap ...
    assert current < 4 * MIB, f"{current / MIB:.0f} MiB still allocated"   # ... and let it go
    assert "exceeded" in str(kept)
    assert mw.stats.get_value("httpcompression/too_large") == 1


def test_pages_under_the_cap_are_decoded_as_before():
    mw = middleware(DECOMPRESS_MAX_SIZE=32 * MIB)
    response = bomb_response(4 * MIB)
    decoded = mw.process_response(Request(response.url), response)
    assert decoded.body == b" " * (4 * MIB)
    assert not decoded.headers.get("Content-Encoding")


def test_the_cap_never_raises_download_maxsize():
    assert middleware(DECOMPRESS_MAX_SIZE=64 * MIB, DOWNLOAD_MAXSIZE=MIB)._max_size == MIB
    assert middleware(DECOMPRESS_MAX_SIZE=0)._max_size == SETTINGS.get("DOWNLOAD_MAXSIZE", 1024 * MIB)
