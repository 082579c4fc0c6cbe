"""baresip (Debian) as a SIP softphone on 127.0.0.1 for the real-Asterisk tests: registers to a PJSIP
endpoint of the lab, auto-answers when asked to, sends what an audio file holds (baresip ends the call when the file
ends: pad it to outlast the call), records what it
receives (the `sndfile` module's `dump-*-dec.wav`) and sends keys as RFC 2833/4733 events (typed on
its console, which is a pseudo-terminal here)."""

from __future__ import annotations

import os
import pty
import signal
import socket
import subprocess
import time
from pathlib import Path

from ivr.asterisk.lab import free_port


class Softphone:
    def __init__(self, directory: Path, *, user: str, password: str, sip_port: int, source_wav: Path,
                 auto_answer: bool = False) -> None:
        self.dir, self.user = directory, user
        directory.mkdir(parents=True, exist_ok=True)
        port = free_port(socket.SOCK_DGRAM)
        rtp = 20000 + (port % 200) * 50
        (directory / "config").write_text(
            f"poll_method epoll\nsip_listen 127.0.0.1:{port}\nmodule_path /usr/lib/baresip/modules\n"
            "module stdio.so\nmodule g711.so\nmodule aufile.so\nmodule aubridge.so\nmodule sndfile.so\n"
            "module_app account.so\nmodule_app menu.so\n"
            f"audio_player aubridge,{user}\naudio_source aufile,{source_wav}\nsnd_path {directory}\n"
            f"rtp_ports {rtp}-{rtp + 49}\n", encoding="utf-8")
        answer = ";answermode=auto" if auto_answer else ""
        (directory / "accounts").write_text(
            f"<sip:{user}@127.0.0.1:{sip_port}>;auth_pass={password};regint=600;audio_codecs=PCMA,PCMU{answer}\n",
            encoding="utf-8")
        self.master, slave = pty.openpty()
        self.log = directory / "baresip.log"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(["baresip", "-f", str(directory)], stdin=slave, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        os.close(slave)

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    def dial(self, uri: str) -> None:
        self.type(f"/dial {uri}\r")

    def keys(self, digits: str, gap_s: float = 0.4) -> None:
        for d in digits:
            self.type(d)
            time.sleep(gap_s)

    def hangup(self) -> None:
        self.type("/hangup\r")

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def recording(self) -> Path | None:
        dumps = sorted(self.dir.glob("dump-*-dec.wav"), key=lambda p: p.stat().st_mtime)
        return dumps[-1] if dumps else None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.type("q")
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGTERM)
                try:
                    self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(5)
        try:
            os.close(self.master)
        except OSError:
            pass
