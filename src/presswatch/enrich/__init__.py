"""Enrichment: what an analyst wants to know of each article beyond its text (its
language first; entities, quotes, key phrases and syndication clusters build on the same
runner). Enrichers are pure: a batch of articles in, one result per article out.
"""
