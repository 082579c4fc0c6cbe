"""The outbound handoff over HTTP (`requests`): the adapter behind `switch.api.HandoffSender`, wired in
`switch/wiring.py`. The switch's service signs the body and reads the answer; only this module talks to
the network, so the domain is tested with a fake sender."""

from __future__ import annotations

import requests

from switch import handoff as hf

TIMEOUT_S = 5


class HttpHandoffSender:
    def __init__(self, timeout: float = TIMEOUT_S) -> None:
        self.timeout = timeout

    def send(self, base_url: str, body: bytes, headers: dict[str, str]) -> dict:
        """POST the signed handoff to the other deployment; its JSON answer (201), else HandoffError."""
        try:
            resp = requests.post(base_url.rstrip("/") + hf.PATH, data=body, headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:
            raise hf.HandoffError("remote", f"handoff to {base_url} failed: {exc}") from None
        if resp.status_code != 201:
            raise hf.HandoffError("remote", f"handoff refused: {resp.status_code} {resp.text[:200]}")
        data = resp.json()
        if not isinstance(data, dict):
            raise hf.HandoffError("remote", "handoff answer is not a JSON object")
        return data
