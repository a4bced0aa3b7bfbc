"""Links each article to the archive: a `metadata` record concurrent to its response.

The record holds what an archivist needs to check the JSON against the WARC
later: a digest of the article record and the page's outlinks.
"""

from __future__ import annotations

import hashlib
import json
import logging

from itemadapter import ItemAdapter

from crawler.archiving import warc_archive
from crawler.items import to_record
from crawler.signals import write_failed

logger = logging.getLogger(__name__)


def item_digest(record: dict) -> str:
    """sha256 of the record's canonical JSON, fetch time and WARC pointer left out."""
    stable = {k: v for k, v in record.items() if k not in ("fetched_at", "warc")}
    blob = json.dumps(stable, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(blob.encode("utf-8")).hexdigest()


class WarcMetadataPipeline:
    def __init__(self, crawler, archive):
        self.crawler = crawler
        self.archive = archive    # crawler.archiving.WarcArchive: owns the writer

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, warc_archive(crawler))

    def process_item(self, item):
        adapter = ItemAdapter(item)
        pointer = adapter.get("warc")
        if not pointer or not self.archive.wrote(pointer["filename"]):
            # Replayed from an existing archive: this crawl archived nothing to link to.
            return item
        record = to_record(adapter)  # asdict() would walk every outlink
        fields = [("article-digest", item_digest(record)),
                  ("canonical-url", record["canonical_url"])]
        if record.get("title"):
            fields.append(("title", record["title"]))
        fields += [("outlink", url) for url in adapter.get("outlinks") or []]
        try:
            self.archive.writer.write_metadata(
                url=record["url"], concurrent_to=pointer["record_id"], fields=fields)
        except OSError as exc:  # the link record is extra; the article must still reach its JSON line
            self.crawler.stats.inc_value("warc/metadata_errors")
            self.crawler.signals.send_catch_log(write_failed, error=exc,
                                                what=f"the metadata record of {record['url']}")
            return item
        except Exception:
            self.crawler.stats.inc_value("warc/metadata_errors")
            logger.exception("Could not write the metadata record of %s", record["url"])
            return item
        self.crawler.stats.inc_value("warc/metadata_records")
        return item
