"""Pure analysis over search results: attention over time, distinctive terms, charts."""
