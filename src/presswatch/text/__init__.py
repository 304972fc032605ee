"""Pure text helpers shared by indexing, querying and analysis."""
