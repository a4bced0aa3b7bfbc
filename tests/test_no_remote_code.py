"""Nothing in a crawl listens for code over the network or fetches what it did not ask for."""

from scrapy.utils.test import get_crawler

from crawler import settings as project_settings
from crawler.spiders.news import NewsSpider
from tests.conftest import crawl


def _project_settings():
    return {name: getattr(project_settings, name) for name in dir(project_settings) if name.isupper()}


def test_remote_control_and_telnet_are_off(demo_site, tmp_path):
    result = crawl(demo_site.base_url, tmp_path, settings={"CLOSESPIDER_PAGECOUNT": "3"})
    assert result.returncode == 0, result.stderr[-2000:]
    enabled = result.stderr.split("Enabled extensions:", 1)[1].split("]", 1)[0]
    assert "RemoteControl" not in enabled and "TelnetConsole" not in enabled
    assert "OfflineSuffixList" in enabled


def test_suffix_list_is_the_bundled_one():
    from scrapy.downloadermiddlewares import cookies

    from crawler.extensions import OfflineSuffixList

    OfflineSuffixList.from_crawler(get_crawler(NewsSpider, _project_settings()))
    assert cookies._split_domain.suffix_list_urls == ()
    assert cookies._split_domain("news.bbc.co.uk").suffix == "co.uk"  # answered offline
