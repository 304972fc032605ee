"""Shared fixtures for the real-browser tests: the web app served on loopback over a real
archive, and Debian's chromium driven by Playwright (never a downloaded browser).

Loaded by the browser test modules with `pytest_plugins = ["browser"]` (they import
nothing else from here, so pytest can rewrite its asserts). A module defines the
`app_archive` it wants served; `tab` skips when chromium is missing. Every test that uses
`tab` fails when the page logs a console error, throws, opens a dialog or asks for
anything outside the app (no CDN, no payload URL); its screenshots are kept under
test-artifacts/browser/ (PRESSWATCH_TEST_ARTIFACTS moves them).
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Dialog,
    Page,
    Playwright,
    Response,
    Route,
    sync_playwright,
)

from presswatch.archive import Archive, open_archive

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "csto-strategic-culture.txt"
ARTIFACTS = Path(os.environ.get("PRESSWATCH_TEST_ARTIFACTS", ROOT / "test-artifacts")) / "browser"
TIMEOUT_MS = 10_000
_FAILED_LOAD = "Failed to load resource: the server responded with a status of"

NO_CHROMIUM = (
    f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium); "
    "the web UI tests drive it and never download a browser"
)
ArchiveMaker = Callable[..., Archive]


# -- the app ------------------------------------------------------------------------------


def build_archive(target: str, inputs: Sequence[Path], *, enrich: bool = True) -> Archive:
    """A real archive holding `inputs`, enriched (languages, entities, quotes, clusters)."""
    archive = open_archive(target)
    for report in archive.ingest([str(p) for p in inputs], workers=1):
        assert report.status == "ok", f"{report.location}: {report.error}"
    if enrich:
        archive.enrich()
    archive.search_service.catch_up()
    return archive


@contextmanager
def serve(archive: Archive) -> Iterator[str]:
    """The app over `archive`, served by uvicorn in a thread on 127.0.0.1; its base URL.

    The socket is bound here (port 0), so there is no race for a free port.
    """
    from presswatch.web.app import create_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(archive), log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the web app did not start (see the log above)")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@contextmanager
def env(**values: str) -> Iterator[None]:
    """Environment settings for the app while it serves (it runs in this process)."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in values.items():
            patch.setenv(name, value)
        yield


@pytest.fixture(scope="module")
def make_archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ArchiveMaker]:
    """Builds archives for a module (`make_archive(inputs)`), closed when it ends."""
    made: list[Archive] = []

    def make(inputs: Sequence[Path], *, enrich: bool = True) -> Archive:
        target = tmp_path_factory.mktemp("archive") / "archive.db"
        made.append(build_archive(str(target), inputs, enrich=enrich))
        return made[-1]

    try:
        yield make
    finally:
        for archive in made:
            archive.close()


@pytest.fixture(scope="module")
def app_url(app_archive: Archive) -> Iterator[str]:
    """The app over the module's `app_archive` (each module defines its own), allowed to
    fetch from loopback servers, as `presswatch serve` would be."""
    with (
        env(PRESSWATCH_ALLOW_NETWORKS="loopback"),
        serve(app_archive) as url,
    ):
        yield url


# -- the browser --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(NO_CHROMIUM)
    chromium = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    try:
        yield chromium
    finally:
        chromium.close()


@dataclass
class Tab:
    """One page in a fresh browser context, with everything that went wrong in it."""

    page: Page
    base: str
    name: str
    errors: list[tuple[str, str]] = field(default_factory=list)
    """(message, url of the resource it is about)"""
    expected_failures: set[tuple[int, str]] = field(default_factory=set)
    dialogs: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    """(url, resource type) of everything the page asked for"""
    shots: list[Path] = field(default_factory=list)

    def go(self, path: str, *, status: int = 200) -> Response:
        """Open a page of the app; a page that answers another status fails the test.

        A page expected to answer 4xx (a bad query, a missing article) may, since Chromium
        logs any such document as a failed load in the console."""
        url = self.base + path
        if status >= 400:
            self.allow_status(status, path)
        response = self.page.goto(url, wait_until="load")
        assert response is not None, f"no response for {path}"
        assert response.status == status, (
            f"{path} answered {response.status}: {self.page.inner_text('body')[:2000]}"
        )
        return response

    def allow_status(self, status: int, path: str) -> None:
        """A page at `path` is meant to answer `status` (e.g. a form sent back with an
        error): Chromium's console note about it is then not a problem."""
        self.expected_failures.add((status, self.base + path))

    def path(self) -> str:
        """The current URL without the app's base."""
        return self.page.url.removeprefix(self.base)

    def shot(self, label: str) -> Path:
        """A full-page screenshot kept as a test artifact."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        target = ARTIFACTS / f"{self.name}-{label}.png"
        self.page.screenshot(path=str(target), full_page=True)
        self.shots.append(target)
        return target

    def _expected(self, text: str, url: str) -> bool:
        return any(
            url == failed and text.startswith(f"{_FAILED_LOAD} {status} ")
            for status, failed in self.expected_failures
        )

    def problems(self) -> list[str]:
        return (
            [
                f"console error: {text} ({url})"
                for text, url in self.errors
                if not self._expected(text, url)
            ]
            + [f"dialog opened: {d}" for d in self.dialogs]
            + [f"request outside the app: {u}" for u in self.outside]
        )


def open_tab(browser: Browser, base: str, name: str) -> Generator[Tab, None, None]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    tab = Tab(page, base, re.sub(r"[^A-Za-z0-9_.-]+", "_", name))

    def route(r: Route) -> None:
        url = r.request.url
        tab.requests.append((url, r.request.resource_type))
        if url.startswith(base + "/") or url == base:
            r.continue_()
        else:
            tab.outside.append(url)
            r.abort()

    def dialog(d: Dialog) -> None:
        tab.dialogs.append(f"{d.type}: {d.message}")
        d.dismiss()

    context.route("**/*", route)

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            tab.errors.append((message.text, message.location.get("url", "")))

    page.on("console", console)
    page.on("pageerror", lambda exc: tab.errors.append((f"uncaught: {exc}", page.url)))
    page.on("dialog", dialog)
    try:
        yield tab
    finally:
        try:
            tab.shot("end")
        finally:
            context.close()


@pytest.fixture
def tab(browser: Browser, app_url: str, request: pytest.FixtureRequest) -> Iterator[Tab]:
    """A fresh browser context on the app serving the module's `app_archive`."""
    yield from open_tab(browser, app_url, f"{request.module.__name__}-{request.node.name}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """A test whose page logged a console error (or opened a dialog, or asked for anything
    outside the app) fails, even when its own assertions passed."""
    tab = getattr(item, "funcargs", {}).get("tab")
    try:
        result = yield
    except BaseException as exc:
        if isinstance(tab, Tab) and (problems := tab.problems()):
            exc.add_note("the browser also reported:\n  " + "\n  ".join(problems))
        raise
    if isinstance(tab, Tab) and (problems := tab.problems()):
        pytest.fail("the browser reported problems:\n  " + "\n  ".join(problems), pytrace=False)
    return result
