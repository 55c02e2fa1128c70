"""A Scrapy spider that does what a migration audit crawl does: fetch every page of one
site, follow links, record status and depth, and record redirects as hops (Scrapy's
redirect middleware is turned off so that hops are not filtered as duplicates)."""

from urllib.parse import urlparse

import scrapy
from scrapy.linkextractors import LinkExtractor


class AuditSpider(scrapy.Spider):
    name = "audit"

    def __init__(self, start=None, **kwargs):
        super().__init__(**kwargs)
        self.start_urls = [start]
        self.netloc = urlparse(start).netloc
        self.allowed_domains = [self.netloc.split(":")[0]]
        # LinkExtractor's allow_domains compares host:port, so links are filtered here.
        self.links = LinkExtractor(deny_extensions=[])

    def parse(self, response):
        yield {"url": response.url, "status": response.status, "depth": response.meta.get("depth", 0)}
        if 300 <= response.status < 400 and b"Location" in response.headers:
            yield scrapy.Request(response.urljoin(response.headers["Location"].decode()), callback=self.parse)
            return
        if b"text/html" in response.headers.get("Content-Type", b""):
            for link in self.links.extract_links(response):
                if urlparse(link.url).netloc == self.netloc:
                    yield scrapy.Request(link.url, callback=self.parse)
