"""Just enough of the Chrome DevTools protocol to load a page in Debian's chromium
and see what it fetched, logged and computed: one WebSocket (websocket-client),
flattened target sessions, every wait bounded by a deadline."""

from __future__ import annotations

import itertools
import json
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websocket

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",
)
TIMEOUT = 15.0

Event = dict[str, Any]


class CDPError(AssertionError):
    pass


def poll(what: str, check: Callable[[], Any], timeout: float = TIMEOUT, every: float = 0.05) -> Any:
    """`check()` until it returns something truthy; fails naming `what` past the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise CDPError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(every)


class Browser:
    """A chromium process and its DevTools WebSocket."""

    def __init__(self, executable: str, user_data_dir: Path, log: Path) -> None:
        self._log = log.open("wb")
        self.process = subprocess.Popen(
            [executable, *FLAGS, f"--user-data-dir={user_data_dir}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._ids = itertools.count(1)
        self._pending: list[Event] = []  # events read while waiting for a reply
        try:
            port_file = user_data_dir / "DevToolsActivePort"

            def ready() -> list[str] | None:
                if self.process.poll() is not None:
                    raise CDPError(f"chromium exited with {self.process.returncode}; see {log}")
                lines = port_file.read_text().split() if port_file.exists() else []
                return lines if len(lines) == 2 else None

            port, path = poll("chromium's DevToolsActivePort", ready)
            # suppress_origin: chromium refuses DevTools WebSockets that send an Origin.
            self.ws = websocket.create_connection(
                f"ws://127.0.0.1:{port}{path}", timeout=TIMEOUT, suppress_origin=True
            )
        except BaseException:
            self.kill()
            raise

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> Any:
        message: dict[str, Any] = {"id": next(self._ids), "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        deadline = time.monotonic() + TIMEOUT
        while True:
            reply = self._read(deadline, f"the reply to {method}")
            if reply.get("id") == message["id"]:
                if "error" in reply:
                    raise CDPError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self._pending.append(reply)

    def take(self, session: str, record: Callable[[Event], None]) -> None:
        """Hand the events of `session` read so far to `record`."""
        mine = [e for e in self._pending if e.get("sessionId") == session]
        self._pending = [e for e in self._pending if e.get("sessionId") != session]
        for event in mine:
            record(event)

    def events(self, deadline: float, what: str) -> Iterator[Event]:
        """Events as they come (the ones read while waiting for replies first)."""
        while True:
            while self._pending:
                yield self._pending.pop(0)
            yield self._read(deadline, what)

    def _read(self, deadline: float, what: str) -> Event:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise CDPError(f"timed out waiting for {what}")
        self.ws.settimeout(remaining)
        try:
            message: Event = json.loads(self.ws.recv())
        except websocket.WebSocketTimeoutException:
            raise CDPError(f"timed out waiting for {what}") from None
        return message

    def close(self) -> None:
        """Ask chromium to quit, then make sure its process is gone (by its own PID)."""
        try:
            self.send("Browser.close")
        except Exception:
            pass
        finally:
            self.kill()

    def kill(self) -> None:
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        finally:
            self._log.close()


@dataclass
class Response:
    url: str
    status: int
    headers: dict[str, str]  # names in lower case
    resource_type: str


@dataclass
class Page:
    """One tab: what it requested, what came back, what it logged."""

    browser: Browser
    session: str
    requests: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (url, type)
    responses: dict[str, Response] = field(default_factory=dict)  # url -> last response
    finished: set[str] = field(default_factory=set)  # request ids done or failed
    failures: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # console errors and exceptions

    def send(self, method: str, params: dict[str, Any] | None = None) -> Any:
        result = self.browser.send(method, params, self.session)
        self.browser.take(self.session, self._record)  # events that came before the reply
        return result

    def evaluate(self, expression: str) -> Any:
        """The value of a JS expression; a promise is awaited."""
        result = self.send(
            "Runtime.evaluate", {"expression": expression, "awaitPromise": True, "returnByValue": True}
        )
        if "exceptionDetails" in result:
            raise CDPError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, what: str, done: Callable[[Event], bool], timeout: float = TIMEOUT) -> None:
        """Record events until `done(event)` is true for one of them."""
        for event in self.browser.events(time.monotonic() + timeout, what):
            if event.get("sessionId") == self.session:
                self._record(event)
                if done(event):
                    return

    def idle(self) -> bool:
        return set(self.requests) <= self.finished

    def wait_until_idle(self, timeout: float = TIMEOUT) -> None:
        """Every request the page made has finished or failed."""
        if not self.idle():
            self.wait_for("the page's requests to finish", lambda event: self.idle(), timeout)

    def _record(self, event: Event) -> None:
        method, params = event.get("method"), event.get("params", {})
        if method == "Network.requestWillBeSent":
            self.requests[params["requestId"]] = (params["request"]["url"], params.get("type", ""))
        elif method == "Network.responseReceived":
            r = params["response"]
            headers = {k.lower(): v for k, v in r.get("headers", {}).items()}
            self.responses[r["url"]] = Response(r["url"], r["status"], headers, params.get("type", ""))
        elif method == "Network.loadingFinished":
            self.finished.add(params["requestId"])
        elif method == "Network.loadingFailed":
            self.finished.add(params["requestId"])
            url = self.requests.get(params["requestId"], ("?", ""))[0]
            self.failures.append(f"{url}: {params.get('errorText')}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
            self.errors.append("console.error: " + " ".join(str(a.get("value")) for a in params["args"]))
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            entry = params["entry"]
            self.errors.append(f"log: {entry.get('text')} ({entry.get('url', '')})")
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            self.errors.append(f"exception: {details.get('exception', {}).get('description') or details}")


DOMAINS: Sequence[str] = ("Page.enable", "Network.enable", "Runtime.enable", "Log.enable")


@contextmanager
def open_page(browser: Browser, url: str) -> Iterator[Page]:
    """A fresh tab that has loaded `url` (load event, fonts ready, network idle)."""
    target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    try:
        session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(browser, session)
        for domain in DOMAINS:
            page.send(domain)
        page.send("Page.navigate", {"url": url})
        page.wait_for(f"the load event of {url}", lambda event: event.get("method") == "Page.loadEventFired")
        page.evaluate("document.fonts.ready.then(() => true)")
        page.wait_until_idle()
        yield page
    finally:
        browser.send("Target.closeTarget", {"targetId": target})
