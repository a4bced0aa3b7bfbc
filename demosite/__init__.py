"""Bundled demo news site: the fixture the test suite crawls, and a demo target for `make crawl`.

    from demosite import DemoSite
    with DemoSite() as site:
        site.base_url, site.expected
"""

from .server import DemoSite

__all__ = ["DemoSite"]
