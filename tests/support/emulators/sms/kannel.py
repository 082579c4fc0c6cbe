"""Start a real Kannel on loopback for tests: bearerbox with a `fake` SMSC, smsbox with a sendsms
user and a get-url service pointing at our webhooks, and the fakesmsc test peer (kannel-extras),
whose output lists every message the SMSC side received."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote_to_bytes

FAKESMSC_PATHS = ("/usr/lib/kannel/test/fakesmsc", "/usr/sbin/fakesmsc")


def binaries() -> dict[str, str | None]:
    fake = shutil.which("fakesmsc") or next((p for p in FAKESMSC_PATHS if os.access(p, os.X_OK)), None)
    return {"bearerbox": shutil.which("bearerbox") or _sbin("bearerbox"),
            "smsbox": shutil.which("smsbox") or _sbin("smsbox"), "fakesmsc": fake}


def _sbin(name: str) -> str | None:
    path = f"/usr/sbin/{name}"
    return path if os.access(path, os.X_OK) else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port}")


CONFIG = """\
group = core
admin-port = {admin}
admin-password = {password}
admin-interface = 127.0.0.1
smsbox-port = {box}
smsbox-interface = 127.0.0.1
box-allow-ip = 127.0.0.1
log-level = 1
log-file = "{dir}/bearerbox.log"
dlr-storage = internal

group = smsc
smsc = fake
smsc-id = fake
port = {smsc}
interface-version = 34
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {box}
sendsms-port = {sendsms}
sendsms-interface = 127.0.0.1
log-level = 1
log-file = "{dir}/smsbox.log"

group = sendsms-user
username = hotline
password = {password}
max-messages = 10
concatenation = true

group = sms-service
keyword = default
catch-all = true
get-url = "{web}/webhooks/kannel/inbound?from=%p&to=%P&text=%b&coding=%c&charset=%C&ts=%T&token={token}"
omit-empty = true
max-messages = 0
"""


@dataclass
class SmscMessage:
    """One message as fakesmsc received it (a part of a concatenated SMS when `udh` is set)."""

    sender: str
    receiver: str
    udh: bytes
    payload: bytes
    kind: str


@dataclass
class Kannel:
    workdir: Path
    web_url: str
    password: str = "hotline-test"
    token: str = ""  # the webhook token (core.settings.sms_webhook_token) the get-url carries
    ports: dict[str, int] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def sendsms_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['sendsms']}/cgi-bin/sendsms"

    def start(self) -> Kannel:
        bins = binaries()
        self.ports = {name: free_port() for name in ("admin", "box", "smsc", "sendsms")}
        conf = self.workdir / "kannel.conf"
        conf.write_text(CONFIG.format(dir=self.workdir, web=self.web_url, password=self.password,
                                      token=quote(self.token), **self.ports))
        self._spawn("bearerbox", [bins["bearerbox"], str(conf)])  # type: ignore[list-item]
        wait_port(self.ports["box"])
        self._spawn("smsbox", [bins["smsbox"], str(conf)])  # type: ignore[list-item]
        wait_port(self.ports["sendsms"])
        return self

    def start_fakesmsc(self, *messages: str) -> None:
        """Connect the fake SMSC; it sends each MO message once ("from to type data")."""
        fake = binaries()["fakesmsc"]
        args = [fake, "-H", "127.0.0.1", "-r", str(self.ports["smsc"]), "-i", "0.5", "-m", str(len(messages)),
                *messages]
        self._spawn("fakesmsc", args)  # type: ignore[arg-type]

    def _spawn(self, name: str, args: list[str]) -> None:
        out = (self.workdir / f"{name}.out").open("wb")
        self.procs[name] = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, cwd=self.workdir,
                                            start_new_session=True)

    def received(self) -> list[SmscMessage]:
        """Messages fakesmsc got from bearerbox, from its output lines `Got message N: <...>`."""
        path = self.workdir / "fakesmsc.out"
        out: list[SmscMessage] = []
        if not path.exists():
            return out
        for line in path.read_text(errors="replace").splitlines():
            if "Got message" not in line or "<" not in line:
                continue
            body = line.split("<", 1)[1].rsplit(">", 1)[0]
            tokens = body.split(" ")
            sender, receiver, kind, rest = tokens[0], tokens[1], tokens[2], tokens[3:]
            udh = b""
            if kind.startswith("udh"):
                udh, kind, rest = unquote_to_bytes(rest[0]), rest[1], rest[2:]
            payload = " ".join(rest)
            data = payload.encode() if kind == "text" else unquote_to_bytes(payload)
            out.append(SmscMessage(sender, receiver, udh, data, kind))
        return out

    def stop(self) -> None:
        for proc in reversed(list(self.procs.values())):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        for proc in self.procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def ucs2_mo(sender: str, receiver: str, text: str) -> str:
    """A fakesmsc MO line carrying UCS-2 text."""
    return f"{sender} {receiver} ucs2 {quote(text.encode('utf-16-be'), safe='')}"
