"""Full text from article pages, for feeds that carry only a summary (pure: bytes in)."""
