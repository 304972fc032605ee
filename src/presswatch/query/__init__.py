"""The query language: a pure parser to an AST (see docs/query-language.md)."""
