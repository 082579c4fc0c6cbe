"""A real Asterisk 22 (/opt/ast22) for the recording tests: its own config in a temp dir, AMI on a
free port, a dialplan that sends a call to our FastAGI server and agents reached as Local channels.

Outside CI a missing Asterisk skips (with the reason); under CI it fails, so a green CI ran it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

ASTERISK = Path(os.environ.get("HOTLINE_TEST_ASTERISK", "/opt/ast22/sbin/asterisk"))
ROOT = ASTERISK.parent.parent
NOLOAD = ("chan_iax2", "chan_unistim", "chan_mgcp", "chan_skinny", "chan_ooh323", "pbx_dundi", "res_hep",
          "res_hep_pjsip", "res_hep_rtcp", "res_stun_monitor", "res_phoneprov", "res_pjsip_phoneprov_provider",
          "chan_websocket", "res_prometheus", "chan_pjsip", "res_pjsip", "chan_sip", "res_http_websocket",
          "res_ari", "cdr_custom", "cel_custom", "res_config_curl", "pbx_lua", "pbx_ael")


def require_asterisk() -> None:
    if ASTERISK.exists():
        return
    message = f"Asterisk is not installed at {ASTERISK} (scripts/install-system-deps installs it)"
    if os.environ.get("CI"):
        pytest.fail(message + " (CI requires it)")
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RealAsterisk:
    def __init__(self, workdir: Path, *, agi_port: int, extensions: str) -> None:
        self.dir = workdir
        self.agi_port = agi_port
        self.ami_port = free_port()
        self.extensions = extensions
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def conf(self) -> Path:
        return self.dir / "etc" / "asterisk.conf"

    def _write_config(self) -> None:
        d = self.dir
        for sub in ("etc", "lib", "spool", "run", "log", "agi"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        (d / "etc" / "asterisk.conf").write_text(f"""[directories]
astetcdir => {d}/etc
astmoddir => {ROOT}/lib/asterisk/modules
astvarlibdir => {d}/lib
astdbdir => {d}/lib
astkeydir => {d}/lib
astdatadir => {ROOT}/var/lib/asterisk
astagidir => {d}/agi
astspooldir => {d}/spool
astrundir => {d}/run
astlogdir => {d}/log
astsbindir => {ROOT}/sbin
[options]
nofork = yes
transmit_silence = yes
""")
        noload = "\n".join(f"noload => {m}.so" for m in NOLOAD)
        (d / "etc" / "modules.conf").write_text(f"[modules]\nautoload=yes\n{noload}\n")
        (d / "etc" / "manager.conf").write_text(f"""[general]
enabled = yes
port = {self.ami_port}
bindaddr = 127.0.0.1
[hotline]
secret = test-secret
deny = 0.0.0.0/0.0.0.0
permit = 127.0.0.1/255.255.255.255
read = all
write = all
""")
        (d / "etc" / "logger.conf").write_text("[general]\n[logfiles]\nconsole => notice,warning,error\n"
                                                "messages.log => notice,warning,error,verbose\n")
        (d / "etc" / "extensions.conf").write_text(self.extensions)
        for name in ("indications.conf", "musiconhold.conf", "features.conf", "cdr.conf", "ccss.conf"):
            (d / "etc" / name).write_text("[general]\n")

    def start(self, timeout: float = 180.0) -> RealAsterisk:
        self._write_config()
        log = open(self.dir / "console.log", "wb")  # noqa: SIM115 - lives as long as the process
        self.proc = subprocess.Popen([str(ASTERISK), "-f", "-n", "-C", str(self.conf)], stdout=log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"Asterisk exited: {(self.dir / 'console.log').read_text()[-2000:]}")
            if self.rx("core waitfullybooted", check=False).returncode == 0:
                return self
            time.sleep(0.3)
        raise RuntimeError("Asterisk did not boot in time")

    def rx(self, command: str, *, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(ASTERISK), "-C", str(self.conf), "-rx", command], capture_output=True,
                              text=True, timeout=30, check=check)

    def stop(self) -> None:
        if self.proc is None:
            return
        self.rx("core stop now", check=False)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None


def tone(path: Path, freq: int, seconds: float) -> Path:
    """An 8 kHz mono WAV tone for Playback (the 'voice' of one party)."""
    if shutil.which("sox") is None:
        pytest.fail("sox is missing (scripts/install-system-deps installs it)")
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(path), "synth", str(seconds), "sine",
                    str(freq), "vol", "0.5"], check=True)
    return path
