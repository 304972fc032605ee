"""Pure normalizers: URLs, dates, HTML and bylines, each a function of its input alone."""

from presswatch.normalize.bylines import (
    extract_byline,
    extract_source_line,
    person_name,
    split_authors,
)
from presswatch.normalize.dates import ParsedDate, parse_date
from presswatch.normalize.html import html_to_text, looks_like_html, sanitize_html, text_to_html
from presswatch.normalize.urls import canonical_url, url_identity

__all__ = [
    "ParsedDate",
    "canonical_url",
    "extract_byline",
    "extract_source_line",
    "html_to_text",
    "looks_like_html",
    "parse_date",
    "person_name",
    "sanitize_html",
    "split_authors",
    "text_to_html",
    "url_identity",
]
