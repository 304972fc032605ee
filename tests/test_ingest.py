"""Ingesting many inputs: worker processes give the same archive as reading one by one."""

from __future__ import annotations

import shutil
from pathlib import Path

from presswatch import open_archive

DATA = Path(__file__).parent / "data"


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "feeds"
    folder.mkdir()
    for path in sorted((DATA / "formats").iterdir()):
        shutil.copy(path, folder / path.name)
    shutil.copy(DATA / "seed.txt", folder / "seed.txt")
    shutil.copy(DATA / "seed.xml", folder / "seed.xml")
    (folder / "broken.xml").write_text("<html><body>not a feed</body></html>")
    (folder / "notes.md").write_text("ignored: not a feed file name")
    return folder


def _content(target: str) -> list[tuple[object, ...]]:
    with open_archive(target) as archive:
        return [
            (a.id, a.key, a.title, a.text, a.published, a.authors, a.source)
            for a in archive.articles(order="oldest")
        ]


def test_parallel_and_serial_ingest_give_the_same_archive(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    serial, parallel = str(tmp_path / "serial.db"), str(tmp_path / "parallel.db")
    with open_archive(serial) as archive:
        one = archive.ingest([str(folder)], workers=1)
    with open_archive(parallel) as archive:
        two = archive.ingest([str(folder)], workers=2)
    assert [(r.location, r.status, r.counts) for r in one] == [
        (r.location, r.status, r.counts) for r in two
    ]
    assert not any(r.location.endswith("notes.md") for r in one)
    [broken] = [r for r in two if r.location.endswith("broken.xml")]
    assert broken.status == "failed" and "HTML page" in (broken.error or "")
    assert sum(r.counts.new for r in two) > 10
    assert _content(serial) == _content(parallel)
    assert _fetch_items(serial) == _fetch_items(parallel)
    assert sum(n for items in _fetch_items(parallel).values() for n in items) > 10


def _fetch_items(target: str) -> dict[str, tuple[int, ...]]:
    """Items read per source, as the fetch records say."""
    with open_archive(target) as archive:
        return {
            Path(s.location).name: tuple(f.items for f in archive.store.fetch_history(s.id))
            for s in archive.store.source_states(subscribed_only=False)
        }
