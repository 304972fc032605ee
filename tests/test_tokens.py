"""API tokens: made once with their secret shown once, only a hash kept, checked, listed
with their last use, revoked. On SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from presswatch.archive import Archive
from presswatch.errors import UsageError
from presswatch.store import open_store
from presswatch.store.engine import create_archive_engine

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def archive(archive_target: str, clock: Clock) -> Iterator[Archive]:
    with Archive(open_store(archive_target), clock=clock) as opened:
        yield opened


def kept_rows(target: str) -> list[tuple[str, str]]:
    engine = create_archive_engine(target)
    with engine.connect() as conn:
        rows = [(r.name, r.hash) for r in conn.execute(text("SELECT name, hash FROM api_tokens"))]
    engine.dispose()
    return rows


def test_a_token_works_and_only_its_hash_is_kept(archive: Archive, archive_target: str) -> None:
    secret = archive.create_token("ci-bot")
    assert secret.startswith("pw_") and len(secret) >= 40
    assert archive.check_token(secret) is True
    assert kept_rows(archive_target) == [("ci-bot", hashlib.sha256(secret.encode()).hexdigest())]


def test_wrong_or_empty_secrets_are_refused(archive: Archive) -> None:
    secret = archive.create_token("ci-bot")
    assert archive.check_token("") is False
    assert archive.check_token(secret[:-1]) is False
    assert archive.check_token(secret + "x") is False
    assert archive.check_token(hashlib.sha256(secret.encode()).hexdigest()) is False


def test_each_token_has_its_own_secret(archive: Archive) -> None:
    first, second = archive.create_token("one"), archive.create_token("two")
    assert first != second
    assert archive.check_token(first) and archive.check_token(second)


def test_tokens_are_listed_with_their_last_use(archive: Archive, clock: Clock) -> None:
    secret = archive.create_token("reader")
    archive.create_token("unused")
    assert [(t.name, t.created_at, t.last_used_at) for t in archive.tokens()] == [
        ("reader", T0, None),
        ("unused", T0, None),
    ]
    clock.now = T0 + timedelta(hours=1)
    archive.check_token(secret)
    clock.now = T0 + timedelta(hours=1, seconds=30)
    archive.check_token(secret)  # within a minute: not written again
    [reader, unused] = archive.tokens()
    assert reader.last_used_at == T0 + timedelta(hours=1) and unused.last_used_at is None


def test_a_revoked_token_is_refused(archive: Archive) -> None:
    secret = archive.create_token("leaked")
    assert archive.revoke_token("leaked") is True
    assert archive.check_token(secret) is False
    assert archive.tokens() == []
    assert archive.revoke_token("leaked") is False
    assert archive.check_token(archive.create_token("leaked"))  # the name can be used again


def test_names_are_unique_and_plain(archive: Archive) -> None:
    archive.create_token("ci")
    with pytest.raises(UsageError, match="already a token named 'ci'"):
        archive.create_token("ci")
    for bad in ("", "has space", "-dash", "x" * 65, "ci\n"):
        with pytest.raises(UsageError, match="cannot name an API token"):
            archive.create_token(bad)


def test_token_commands(tmp_path: Path) -> None:
    env = {**os.environ, "PRESSWATCH_DB": str(tmp_path / "archive.db")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "presswatch", "token", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )

    created = run("create", "ci")
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    assert secret.startswith("pw_") and "not shown again" in created.stderr
    listed = run("list")
    assert "ci" in listed.stdout and "never" in listed.stdout and secret not in listed.stdout
    assert run("revoke", "ci").stdout.strip() == "Revoked 'ci'."
    again = run("revoke", "ci")
    assert again.returncode == 2 and "no token named 'ci'" in again.stderr
    with Archive(open_store(str(tmp_path / "archive.db"))) as archive:
        assert archive.check_token(secret) is False
