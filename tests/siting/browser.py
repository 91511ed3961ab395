"""Load a local HTML file in headless Chromium, with the network blocked, and report what happened.

Chromium is driven through the Chrome DevTools Protocol over ``--remote-debugging-pipe`` (file
descriptors 3 and 4, NUL-terminated JSON messages): no WebSocket client and no extra package.
The page is loaded from ``file://``; every request to another scheme goes to an unroutable proxy
(host names resolve to nothing), fails, and is recorded, so a map that needs a CDN shows up both as requests
and as errors. Uncaught exceptions, ``console.error`` calls and browser log errors are collected.

Only for tests: Debian's ``/usr/bin/chromium``, flags that keep it from calling home on a closed
network (it hangs otherwise), a fresh profile folder per run.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"

_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--disable-dev-shm-usage",
    "--mute-audio",
    "--hide-scrollbars",
    "--proxy-server=http://127.0.0.1:9",  # nothing listens there: any escaped request fails
    "--proxy-bypass-list=<-loopback>",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--remote-debugging-pipe",
)


class BrowserError(RuntimeError):
    """Chromium did not start, crashed, or did not answer in time."""


@dataclass
class PageReport:
    """What happened while the page loaded."""

    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    screenshot: Path | None = None


def available() -> bool:
    return Path(CHROMIUM).exists()


#: Opens every popup and every tooltip of every Leaflet map in the page, as a planner would by
#: clicking and hovering each feature: every overlay is switched on in the layer list first,
#: then each drawn layer gets a ``click`` and a ``mouseover`` (then ``mouseout``) event that
#: bubbles to the group the popup or tooltip is bound to. Returns the number of popups and
#: tooltips opened and the text each one showed (``innerText``).
OPEN_EVERY_POPUP_AND_TOOLTIP_JS = """(() => {
  document.querySelectorAll('.leaflet-control-layers-overlays input').forEach(i => {
    if (!i.checked) i.click();
  });
  const maps = Object.keys(window).filter(k => k.startsWith('map_'))
    .map(k => window[k]).filter(v => v instanceof L.Map);
  const out = {maps: maps.length, popups: 0, tooltips: 0, texts: []};
  for (const m of maps) {
    m.on('popupopen', e => { out.popups++; out.texts.push(e.popup.getElement().innerText); });
    m.on('tooltipopen', e => { out.tooltips++; out.texts.push(e.tooltip.getElement().innerText); });
    const leaves = [];
    m.eachLayer(l => { if (!(l instanceof L.LayerGroup)) leaves.push(l); });
    for (const l of leaves) {
      const at = l.getLatLng ? l.getLatLng() : (l.getBounds ? l.getBounds().getCenter() : null);
      if (!at) continue;
      m.closePopup();
      l.fire('click', {latlng: at}, true);
      l.fire('mouseover', {latlng: at}, true);
      l.fire('mouseout', {latlng: at}, true);
    }
    m.closePopup();
  }
  return out;
})()"""


class _Pipe:
    def __init__(self, write_fd: int, read_fd: int, proc: subprocess.Popen) -> None:
        self.w = write_fd
        self.r = read_fd
        self.proc = proc
        self.buf = b""
        self.next_id = 0
        self.events: list[dict] = []

    def _read_message(self, deadline: float) -> dict:
        import select

        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError("Chromium did not answer in time")
            ready, _, _ = select.select([self.r], [], [], min(left, 0.5))
            if not ready:
                if self.proc.poll() is not None:
                    raise BrowserError(f"Chromium exited with status {self.proc.returncode}")
                continue
            chunk = os.read(self.r, 1 << 16)
            if not chunk:
                raise BrowserError("Chromium closed the DevTools pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def send(
        self,
        method: str,
        params: dict | None = None,
        *,
        session: str | None = None,
        timeout: float = 30.0,
    ) -> dict:
        self.next_id += 1
        msg: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, method: str, *, timeout: float = 30.0) -> dict:
        deadline = time.monotonic() + timeout
        for i, ev in enumerate(self.events):
            if ev.get("method") == method:
                return self.events.pop(i)
        while True:
            ev = self._read_message(deadline)
            if ev.get("method") == method:
                return ev
            self.events.append(ev)

    def drain(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        try:
            while True:
                self.events.append(self._read_message(deadline))
        except BrowserError:
            pass


def _event_errors(events: list[dict]) -> tuple[list[str], list[str]]:
    """(errors, URLs requested from a server) from the DevTools events."""
    errors, requests = [], []
    urls: dict[str, str] = {}
    for ev in events:
        method, p = ev.get("method"), ev.get("params", {})
        if method == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            text = d.get("exception", {}).get("description") or d.get("text", "")
            errors.append(f"exception: {text} (line {d.get('lineNumber')})")
        elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            args = " ".join(
                str(a.get("value", a.get("description", ""))) for a in p.get("args", [])
            )
            errors.append(f"console.{p['type']}: {args}")
        elif method == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            e = p["entry"]
            errors.append(f"log: {e.get('text')} {e.get('url', '')}".strip())
        elif method == "Network.requestWillBeSent":
            url = p.get("request", {}).get("url", "")
            urls[p.get("requestId", "")] = url
            if not url.startswith(("file:", "data:", "blob:", "about:")):
                requests.append(url)
        elif method == "Network.loadingFailed" and not p.get("canceled"):
            url = urls.get(p.get("requestId", ""), "?")
            errors.append(f"load failed: {p.get('errorText')} {url}")
    return errors, requests


def load_page(
    html: Path,
    *,
    evaluate: dict[str, str] | None = None,
    screenshot: Path | None = None,
    evaluate_after: dict[str, str] | None = None,
    pause_s: float = 0.0,
    width: int = 1400,
    height: int = 900,
    settle_s: float = 1.0,
    timeout_s: float = 60.0,
    print_pdf: Path | None = None,
) -> PageReport:
    """Open ``html`` in headless Chromium with the network blocked.

    Parameters
    ----------
    evaluate
        JavaScript expressions to evaluate once the page has loaded, by name; their JSON values
        land in ``PageReport.values``.
    screenshot
        Where to save a PNG of the viewport (taken after ``evaluate``).
    evaluate_after
        Expressions evaluated after the screenshot (e.g. clicks that open popups).
    pause_s
        Seconds to wait after ``evaluate`` (before the screenshot and ``evaluate_after``), so
        that what it started has happened: an image it inserted has failed to load, say.
    settle_s
        Seconds to wait after the load event (tiles, canvas layers, late errors).
    print_pdf
        Where to save the page printed as Ctrl+P would (the page's print stylesheet and
        ``@page`` size), after ``evaluate_after``.
    """
    if not available():
        raise BrowserError(f"{CHROMIUM} not found")
    profile = Path(tempfile.mkdtemp(prefix="siting-chromium-"))
    to_child_r, to_child_w = os.pipe()
    from_child_r, from_child_w = os.pipe()

    def _fds() -> None:  # the child reads commands on fd 3 and writes replies on fd 4
        a = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10)
        b = fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
        os.dup2(a, 3)
        os.dup2(b, 4)

    cmd = [
        CHROMIUM,
        *_FLAGS,
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
        "about:blank",
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOOGLE_")}
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=_fds,  # fds 3/4 must be in place before exec
        pass_fds=(3, 4),  # kept open across exec; closing of the others happens after _fds
        env=env,
    )
    os.close(to_child_r)
    os.close(from_child_w)
    pipe = _Pipe(to_child_w, from_child_r, proc)
    report = PageReport()
    try:
        target = pipe.send("Target.createTarget", {"url": "about:blank"}, timeout=timeout_s)
        attached = pipe.send(
            "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
        )
        sid = attached["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            pipe.send(f"{domain}.enable", session=sid)
        pipe.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
            session=sid,
        )
        pipe.send("Page.navigate", {"url": html.resolve().as_uri()}, session=sid)
        pipe.wait_event("Page.loadEventFired", timeout=timeout_s)
        pipe.drain(settle_s)

        def run(expressions: dict[str, str] | None) -> None:
            for name, expr in (expressions or {}).items():
                res = pipe.send(
                    "Runtime.evaluate",
                    # as a click would (fullscreen needs a user gesture); promises are awaited
                    {
                        "expression": expr,
                        "returnByValue": True,
                        "awaitPromise": True,
                        "userGesture": True,
                    },
                    session=sid,
                )
                if "exceptionDetails" in res:
                    report.errors.append(f"evaluate {name}: {res['exceptionDetails'].get('text')}")
                report.values[name] = res.get("result", {}).get("value")

        run(evaluate)
        if pause_s > 0:
            pipe.drain(pause_s)
        if screenshot is not None:
            shot = pipe.send("Page.captureScreenshot", {"format": "png"}, session=sid)
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            screenshot.write_bytes(base64.b64decode(shot["data"]))
            report.screenshot = screenshot
        run(evaluate_after)
        if print_pdf is not None:
            pdf = pipe.send(
                "Page.printToPDF",
                {"printBackground": True, "preferCSSPageSize": True},
                session=sid,
                timeout=timeout_s,
            )
            print_pdf.parent.mkdir(parents=True, exist_ok=True)
            print_pdf.write_bytes(base64.b64decode(pdf["data"]))
        pipe.drain(0.2)
        errors, report.requests = _event_errors(pipe.events)
        report.errors = errors + report.errors  # page errors first, then failed evaluations
        with contextlib.suppress(BrowserError):
            pipe.send("Browser.close", timeout=5)
    finally:
        os.close(to_child_w)
        os.close(from_child_r)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(profile, ignore_errors=True)
    return report
