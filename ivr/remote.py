"""`hotline call --node URL`: a caller on the terminal whose call runs inside a running node (its
engine, switch, ACD and events), through the node's test-call API (/api/v1/test-calls).

The terminal shows what the caller hears (prompts as text), the queue, and what the agent does in
the console (answers, holds, transfers, hangs up). Scripted keys are typed at the first prompts;
when they run out while the flow waits for keys, the caller hangs up, as in the standalone
simulator. While queued or talking the caller stays on the line (up to `patience_s` in the queue);
Ctrl-C hangs up.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import requests

from core.testcalls import KEY_HEADER

POLL_S = 0.3


class NodeCallError(Exception):
    pass


class NodeClient:
    def __init__(self, url: str, *, key: str | None = None, token: str | None = None, timeout: float = 15.0) -> None:
        self.url = url.rstrip("/")
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        elif key:
            self.session.headers[KEY_HEADER] = key
        self.timeout = timeout

    def _request(self, method: str, path: str, body: dict | None = None, params: dict | None = None) -> dict:
        try:
            response = self.session.request(method, f"{self.url}/api/v1/test-calls{path}", json=body,
                                            params=params, timeout=self.timeout)
        except requests.RequestException as exc:
            raise NodeCallError(f"no node answers at {self.url}: {exc.__class__.__name__}") from None
        try:
            data = response.json()
        except ValueError:
            data = {"error": response.text[:200]}
        if response.status_code in (401, 403):
            raise NodeCallError(
                f"the node at {self.url} refused the test call ({response.status_code}: {data.get('error')}). "
                "Run `hotline call` with the node's HOTLINE_DATA_DIR (it holds the node key), or pass "
                "--token (a supervisor's API token: `hotline users token NAME`).")
        if response.status_code >= 400:
            raise NodeCallError(str(data.get("error") or response.status_code))
        return data  # type: ignore[no-any-return]

    def start(self, caller: str, called: str, keys: str, lang: str | None) -> dict:
        body = {"from": caller, "to": called, "keys": keys}
        if lang:
            body["lang"] = lang
        return self._request("POST", "", body)

    def view(self, call_id: str, since: int = 0) -> dict:
        return self._request("GET", f"/{call_id}", params={"since": since})

    def keys(self, call_id: str, keys: str) -> dict:
        return self._request("POST", f"/{call_id}/keys", {"keys": keys})

    def say(self, call_id: str, text: str) -> dict:
        return self._request("POST", f"/{call_id}/say", {"text": text})

    def hangup(self, call_id: str) -> dict:
        return self._request("POST", f"/{call_id}/hangup")


class Printer:
    """Prints each new event and channel-log line once."""

    def __init__(self, write: Callable[[str], None], format_event: Callable[[dict], str], verbose: bool) -> None:
        self.write, self.format_event, self.verbose = write, format_event, verbose
        self.events = 0
        self.logged = 0

    def show(self, call: dict) -> None:
        events = call.get("events", [])
        for e in events[self.events:]:
            if self.verbose or e.get("type") not in ("node", "branch", "retry"):
                self.write(self.format_event(e))
        self.events = len(events)
        log = call.get("log", [])
        for entry in log[self.logged:]:
            who = {"agent": "agent", "caller": "caller"}.get(entry.get("who"), entry.get("who"))
            self.write(f"{float(entry.get('t', 0)):7.1f}s  {who:<9} {entry.get('text')}")
        self.logged = len(log)


def run_call(client: NodeClient, *, caller: str, called: str, keys: str | None, says: list[str],
             lang: str | None, printer: Printer | None, read: Callable[[str], str] | None,
             patience_s: float = 300.0, sleep: Callable[[float], None] = time.sleep) -> dict:
    """Place the call and stay on the line until it ends. `read` (interactive) asks the terminal for
    keys or words; without it, scripted keys and utterances are used, then the caller hangs up at
    the next prompt that wants input."""
    pending_says = list(says)
    call = client.start(caller, called, keys or "", lang)
    call_id = call["call_id"]
    queued_since: float | None = None
    try:
        while True:
            if printer is not None:
                printer.show(call)
            if call.get("ended"):
                return call
            pending = call.get("pending")
            if pending in ("collect", "listen"):
                queued_since = None
                if pending == "listen" and pending_says:
                    call = client.say(call_id, pending_says.pop(0))
                    continue
                if read is None:
                    call = client.hangup(call_id)  # the script ran out: the caller hangs up
                    continue
                text = _ask(read, pending, call.get("expects") or {})
                if text is None:
                    call = client.hangup(call_id)
                elif pending == "listen" and text and not _is_key(text):
                    call = client.say(call_id, text)
                else:
                    call = client.keys(call_id, text or "-")
                continue
            if pending == "hold":
                queued_since = queued_since if queued_since is not None else time.monotonic()
                if time.monotonic() - queued_since > patience_s:
                    call = client.hangup(call_id)
                    continue
            sleep(POLL_S)
            call = client.view(call_id)
    except KeyboardInterrupt:
        call = client.hangup(call_id)
        if printer is not None:
            printer.show(call)
        return call


def _is_key(text: str) -> bool:
    return all(ch.isdigit() or ch in "*#-xX " for ch in text)


def _ask(read: Callable[[str], str], pending: str, expects: dict[str, Any]) -> str | None:
    hint = (f"keys, up to {expects.get('max_digits')}; empty = timeout; q = hang up" if pending == "collect"
            else "say something, or type a key; empty = timeout; q = hang up")
    try:
        text = read(f"[{hint}] > ").strip()
    except EOFError:
        return None
    return None if text.lower() in ("q", "quit", "h") else text
