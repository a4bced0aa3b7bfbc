"""A DNS_RESOLVER for crawls of made-up host names: every name under `.example` (RFC 2606)
resolves to 127.0.0.1, so a test serves an internationalized host (bücher.example, asked for as
xn--bcher-kva.example) from a local server. Other names resolve as usual."""

from __future__ import annotations

from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer


class LoopbackExampleResolver(CachingThreadedResolver):
    def getHostByName(self, name: str, timeout=()):
        if name.endswith(".example"):
            return defer.succeed("127.0.0.1")
        return super().getHostByName(name, timeout)
