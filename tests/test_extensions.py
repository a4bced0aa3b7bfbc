"""crawler.extensions: crawl-wide settings that act through signals."""

from __future__ import annotations

import gc

import pytest
from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from crawler import settings as project_settings
from crawler.extensions import CollectorTuning


@pytest.fixture
def gc_state():
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_collector_tuned_when_the_spider_opens(gc_state):
    crawler = get_crawler(settings_dict={"GC_FREEZE_ON_OPEN": project_settings.GC_FREEZE_ON_OPEN,
                                         "GC_GEN0_THRESHOLD": project_settings.GC_GEN0_THRESHOLD})
    tuning = CollectorTuning.from_crawler(crawler)  # noqa: F841  (signals hold it weakly)
    gc.unfreeze()
    assert gc.get_freeze_count() == 0 and gc.get_threshold()[0] != 3000
    crawler.signals.send_catch_log(signals.spider_opened, spider=None)
    assert gc.get_freeze_count() > 1000             # the heap alive at that point is left alone
    assert gc.get_threshold()[0] == project_settings.GC_GEN0_THRESHOLD == 3000


def test_collector_left_alone_when_both_settings_are_off(gc_state):
    with pytest.raises(NotConfigured):
        CollectorTuning.from_crawler(get_crawler(settings_dict={"GC_FREEZE_ON_OPEN": False, "GC_GEN0_THRESHOLD": 0}))
    crawler = get_crawler(settings_dict={"GC_FREEZE_ON_OPEN": False, "GC_GEN0_THRESHOLD": 1234})
    tuning = CollectorTuning.from_crawler(crawler)  # noqa: F841  (signals hold it weakly)
    gc.unfreeze()
    crawler.signals.send_catch_log(signals.spider_opened, spider=None)
    assert gc.get_freeze_count() == 0 and gc.get_threshold()[0] == 1234
