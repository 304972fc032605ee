"""Search: the query plan both engines compile, the engines, and snippets."""
