"""Live collection: follow sources over HTTP (update, run), find feeds (discovery), fill in
the past (backfill) and fetch article pages where a feed has only a summary.

The collector is the async shell around the pure decisions in fetch/ and extract/; it
stores through the Archive facade, one transaction per fetch, from a single writer thread.
"""
