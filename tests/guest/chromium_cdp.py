#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""Runs Chromium on a page and reports what the page found and what media-internals saw.

usage: chromium_cdp.py URL OUT.json TIMEOUT -- CHROMIUM [ARG...]

Starts Chromium with --remote-debugging-pipe (the DevTools protocol over fds 3 and 4: no
network, no extra package), opens URL in a new tab, records the Media domain's events (what
chrome://media-internals shows: each player's properties, such as kVideoDecoderName and
kIsPlatformVideoDecoder, its messages and errors) and the page's console, and polls
window.daedalusResult until the page sets it or TIMEOUT seconds pass. Writes
{"result": ..., "players": {...}, "console": [...], "seconds": ...} to OUT.json and exits 0
when the page gave a result, 1 otherwise.
"""

import json
import os
import select
import subprocess
import sys
import time


class Pipe:
    def __init__(self, proc, to_browser, from_browser):
        self.proc = proc
        self.to_browser = to_browser
        self.from_browser = from_browser
        self.buffer = b""
        self.next_id = 1
        self.events = []

    def send(self, method, params=None, session=None):
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self.next_id += 1
        os.write(self.to_browser, json.dumps(msg).encode() + b"\0")
        return msg["id"]

    def read(self, timeout):
        """One message, or None after timeout seconds."""
        deadline = time.monotonic() + timeout
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.from_browser], [], [], left)
            if not ready:
                return None
            chunk = os.read(self.from_browser, 1 << 20)
            if not chunk:
                raise EOFError("Chromium closed its DevTools pipe")
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method, params=None, session=None, timeout=60):
        want = self.send(method, params, session)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = self.read(deadline - time.monotonic())
            if msg is None:
                break
            if msg.get("id") == want:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)
        raise TimeoutError(f"{method}: no answer in {timeout} s")


def main():
    if len(sys.argv) < 6 or sys.argv[4] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    url, out, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
    cmd = sys.argv[5:] + ["--remote-debugging-pipe"]

    # Chromium reads commands from its fd 3 and writes answers to its fd 4.
    cmd_r, cmd_w = os.pipe()
    ans_r, ans_w = os.pipe()

    def child_fds():
        # Out of the way first: the pipes themselves may be fds 3 or 4.
        r, w = os.dup(cmd_r), os.dup(ans_w)
        os.dup2(r, 3)
        os.dup2(w, 4)

    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, preexec_fn=child_fds, pass_fds=(3, 4))
    os.close(cmd_r)
    os.close(ans_w)
    cdp = Pipe(proc, cmd_w, ans_r)

    players = {}
    console = []

    def take(msg):
        method = msg.get("method", "")
        params = msg.get("params", {})
        if method.startswith("Media."):
            player = players.setdefault(params.get("playerId", "?"),
                                        {"properties": {}, "messages": [], "errors": [],
                                         "events": []})
            if method == "Media.playerPropertiesChanged":
                for prop in params.get("properties", []):
                    player["properties"][prop["name"]] = prop["value"]
            elif method == "Media.playerMessagesLogged":
                player["messages"] += [f"{m['level']}: {m['message']}"
                                       for m in params.get("messages", [])]
            elif method == "Media.playerErrorsRaised":
                player["errors"] += [json.dumps(e) for e in params.get("errors", [])]
            elif method == "Media.playerEventsAdded":
                player["events"] += [e.get("value", "") for e in params.get("events", [])]
        elif method == "Runtime.consoleAPICalled":
            text = " ".join(str(a.get("value", a.get("description", "")))
                            for a in params.get("args", []))
            console.append(text)
            print(f"    console: {text}", flush=True)
        elif method == "Runtime.exceptionThrown":
            text = params.get("exceptionDetails", {}).get("exception", {}).get(
                "description", json.dumps(params))
            console.append("exception: " + text)
            print(f"    exception: {text}", flush=True)

    result = None
    try:
        target = cdp.call("Target.createTarget", {"url": "about:blank"}, timeout=timeout)
        session = cdp.call("Target.attachToTarget",
                           {"targetId": target["targetId"], "flatten": True})["sessionId"]
        for domain in ("Media", "Runtime", "Page"):
            cdp.call(f"{domain}.enable", session=session)
        cdp.call("Page.navigate", {"url": url}, session=session)
        deadline = t0 + timeout
        next_poll = 0.0
        while time.monotonic() < deadline:
            now = time.monotonic()
            if now >= next_poll:
                next_poll = now + 1.0
                got = cdp.call("Runtime.evaluate",
                               {"expression": "window.daedalusResult ? "
                                "JSON.stringify(window.daedalusResult) : ''",
                                "returnByValue": True}, session=session)
                for msg in cdp.events:
                    take(msg)
                cdp.events.clear()
                value = got.get("result", {}).get("value", "")
                if value:
                    result = json.loads(value)
                    break
            msg = cdp.read(0.2)
            if msg is not None:
                take(msg)
        # The players' last properties arrive after the page is done.
        end = time.monotonic() + 2
        while time.monotonic() < end:
            msg = cdp.read(0.2)
            if msg is not None:
                take(msg)
        try:
            cdp.send("Browser.close")
        except OSError:
            pass
    except (EOFError, TimeoutError, RuntimeError, OSError) as e:
        print(f"chromium_cdp: {e}", file=sys.stderr)
    finally:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    with open(out, "w", encoding="utf-8") as f:
        json.dump({"result": result, "players": players, "console": console,
                   "seconds": round(time.monotonic() - t0, 1)}, f, indent=1)
    return 0 if result is not None else 1


if __name__ == "__main__":
    sys.exit(main())
