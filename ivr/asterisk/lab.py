"""A private Asterisk on loopback, configured from the project's example configuration.

Used by the real-Asterisk tests (`tests/asterisk_live/`) and `hotline bench asterisk`; an operator can
read it as the list of what the example configuration needs changing for one machine. `generate()`
copies `ivr/asterisk/conf/*.conf` into a directory and changes only what must differ: ports (AMI and
the PJSIP transport on 127.0.0.1, chosen free), the AMI secret, the node's FastAGI URL, the trunk's
placeholder host, plus the files Asterisk needs to start from a private directory (`asterisk.conf`
with a real `[directories]` section, `modules.conf` keeping it off every other port, `logger.conf`).
The start-up traps are those of `../shared/asterisk/README.md`.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ivr.asterisk.ami_protocol import Message

EXAMPLE_CONF = Path(__file__).resolve().parent / "conf"
DEFAULT_PREFIX = Path("/opt/ast22")
# Debian's asterisk-core-sounds-en-wav / asterisk-moh-opsound-wav
DEBIAN_SOUNDS_EN = Path("/usr/share/asterisk/sounds/en_US_f_Allison")
DEBIAN_MOH = Path("/usr/share/asterisk/moh")

# modules that would open ports we did not choose, or need hardware/services absent here
NOLOAD = ("chan_iax2", "chan_unistim", "chan_mgcp", "chan_skinny", "chan_ooh323", "pbx_dundi", "res_hep",
          "res_hep_pjsip", "res_hep_rtcp", "res_stun_monitor", "res_phoneprov", "res_pjsip_phoneprov_provider",
          "chan_websocket", "res_prometheus", "chan_console", "chan_alsa", "chan_oss", "cdr_radius", "cel_radius",
          "res_snmp", "cdr_tds", "cel_tds", "res_config_ldap", "res_calendar", "res_xmpp", "chan_motif",
          "res_pjsip_outbound_publish", "res_statsd", "res_smdi", "app_voicemail")


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def find_prefix(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """The installed Asterisk: `explicit`, `$ASTERISK_PREFIX`, else /opt/ast22; None when absent."""
    for candidate in (explicit, os.environ.get("ASTERISK_PREFIX"), DEFAULT_PREFIX):
        if candidate and (Path(candidate) / "sbin" / "asterisk").is_file():
            return Path(candidate)
    return None


@dataclass
class LabConfig:
    """Where the private Asterisk listens and which node it calls."""

    directory: Path
    prefix: Path = DEFAULT_PREFIX
    ami_port: int = field(default_factory=free_port)
    sip_port: int = field(default_factory=lambda: free_port(socket.SOCK_DGRAM))
    agi_url: str = "agi://127.0.0.1:4573/12333"
    agi_url_2: str = ""
    ami_username: str = "hotline"
    ami_secret: str = field(default_factory=lambda: secrets.token_hex(12))
    lab_username: str = "lab"                  # a second AMI user (all classes) for tests and the bench
    fallback_timeout_s: int | None = None     # the fallback queue's wait (300 s in the example)
    extra_dialplan: str = ""                   # appended to extensions.conf (test contexts)
    extra_pjsip: str = ""                      # appended to pjsip.conf (e.g. a test caller endpoint)

    @property
    def etc(self) -> Path:
        return self.directory / "etc"

    @property
    def sounds(self) -> Path:
        """`<astdatadir>/sounds`: `hotline asterisk setup --sounds` renders the fallback prompts here."""
        return self.directory / "data" / "sounds"

    @property
    def log(self) -> Path:
        return self.directory / "log"

    @property
    def asterisk_conf(self) -> Path:
        return self.etc / "asterisk.conf"


def _sub(text: str, pattern: str, repl: str, *, count: int = 0) -> str:
    new, n = re.subn(pattern, repl, text, count=count, flags=re.M)
    if not n:
        raise ValueError(f"example configuration changed: {pattern!r} not found")
    return new


def _data_dir(cfg: LabConfig) -> None:
    """astdatadir: the installed one's documentation (Asterisk 22 needs it), our own sounds and moh."""
    data = cfg.directory / "data"
    data.mkdir(parents=True, exist_ok=True)
    installed = cfg.prefix / "var" / "lib" / "asterisk"
    for entry in installed.iterdir() if installed.is_dir() else ():
        if entry.name not in ("sounds", "moh") and not (data / entry.name).exists():
            (data / entry.name).symlink_to(entry)
    cfg.sounds.mkdir(exist_ok=True)
    if DEBIAN_SOUNDS_EN.is_dir() and not (cfg.sounds / "en").exists():
        (cfg.sounds / "en").symlink_to(DEBIAN_SOUNDS_EN)
    if not (data / "moh").exists():
        if DEBIAN_MOH.is_dir():
            (data / "moh").symlink_to(DEBIAN_MOH)
        else:
            (data / "moh").mkdir()


def generate(cfg: LabConfig) -> LabConfig:
    """Write the configuration into `cfg.directory` (created) and return `cfg`."""
    d = cfg.directory
    for sub in ("etc", "varlib", "spool", "run", "log", "cache"):
        (d / sub).mkdir(parents=True, exist_ok=True)
    _data_dir(cfg)
    cfg.asterisk_conf.write_text(
        "[directories]\n"
        f"astetcdir => {cfg.etc}\nastmoddir => {cfg.prefix}/lib/asterisk/modules\n"
        f"astvarlibdir => {d}/varlib\nastdbdir => {d}/varlib\nastkeydir => {d}/varlib\n"
        f"astdatadir => {d}/data\nastagidir => {d}/data/agi-bin\nastspooldir => {d}/spool\n"
        f"astrundir => {d}/run\nastlogdir => {d}/log\nastcachedir => {d}/cache\n"
        f"astsbindir => {cfg.prefix}/sbin\n"
        "[options]\nverbose = 3\ndebug = 0\ndefaultlanguage = en\nmaxload = 0\nhideconnect = yes\n"
        "transmit_silence = yes\n", encoding="utf-8")
    (cfg.etc / "modules.conf").write_text(
        "[modules]\nautoload = yes\n" + "".join(f"noload => {m}.so\n" for m in NOLOAD), encoding="utf-8")
    (cfg.etc / "logger.conf").write_text(
        "[general]\ndateformat = %F %T.%3q\n[logfiles]\nmessages.log => notice,warning,error,verbose(3)\n",
        encoding="utf-8")
    for name in ("cdr.conf", "cel.conf"):
        (cfg.etc / name).write_text("[general]\nenable = no\n", encoding="utf-8")
    for name in ("features.conf", "acl.conf", "udptl.conf", "pjproject.conf", "ccss.conf", "indications.conf"):
        (cfg.etc / name).write_text("", encoding="utf-8")
    (d / "varlib" / "keys").mkdir(exist_ok=True)
    (cfg.etc / "rtp.conf").write_text("[general]\nrtpstart = 30000\nrtpend = 40000\n", encoding="utf-8")

    src = {p.name: p.read_text(encoding="utf-8") for p in EXAMPLE_CONF.glob("*.conf")}
    manager = _sub(src["manager.conf"], r"^port = \d+", f"port = {cfg.ami_port}")
    # events carry Asterisk's own time (Timestamp:), so a benchmark does not measure its reader's lag
    manager = _sub(manager, r"^displayconnects = no", "displayconnects = no\ntimestampevents = yes")
    manager = _sub(manager, r"^\[hotline\]", f"[{cfg.ami_username}]")
    manager = _sub(manager, r"^secret = .*$", f"secret = {cfg.ami_secret}")
    manager += (f"\n[{cfg.lab_username}]\nsecret = {cfg.ami_secret}\ndeny = 0.0.0.0/0.0.0.0\n"
                "permit = 127.0.0.1/255.255.255.255\nread = all\nwrite = all\nwritetimeout = 5000\n")
    pjsip = _sub(src["pjsip.conf"], r"^bind = .*$", f"bind = 127.0.0.1:{cfg.sip_port}")
    # the carrier trunk: no carrier on a test machine. A documentation address (TEST-NET-1), never
    # 127.0.0.1: `identify` matches by source address, and every softphone on loopback would be taken
    # for the trunk (its REGISTER then fails with 404).
    pjsip = pjsip.replace("national-switch.example.cn", "192.0.2.250")
    pjsip = re.sub(r"^(\[national\]\ntype = aor\n(?:.+\n)*?)qualify_frequency = \d+", r"\1qualify_frequency = 0",
                   pjsip, flags=re.M)
    extensions = _sub(src["extensions.conf"], r"^HOTLINE_AGI = .*$", f"HOTLINE_AGI = {cfg.agi_url}")
    extensions = _sub(extensions, r"^HOTLINE_AGI_2 =.*$", f"HOTLINE_AGI_2 = {cfg.agi_url_2}")
    agi_base = cfg.agi_url.split("/12333")[0]
    extensions = extensions.replace("agi://127.0.0.1:4573", agi_base)
    queues = src["queues.conf"]
    if cfg.fallback_timeout_s is not None:
        extensions = _sub(extensions, r"Queue\(hotline-fallback,c,,,\d+\)",
                          f"Queue(hotline-fallback,c,,,{cfg.fallback_timeout_s})")
    pjsip += "\n" + cfg.extra_pjsip if cfg.extra_pjsip else ""
    # media on loopback too (RTP bound to and announced as 127.0.0.1, not the host's first address)
    pjsip = pjsip.replace("direct_media = no", "direct_media = no\nmedia_address = 127.0.0.1\n"
                          "bind_rtp_to_media_address = yes")
    files = dict(src, **{"manager.conf": manager, "pjsip.conf": pjsip, "queues.conf": queues,
                         "extensions.conf": extensions + ("\n" + cfg.extra_dialplan if cfg.extra_dialplan else "")})
    for name, text in files.items():
        (cfg.etc / name).write_text(text, encoding="utf-8")
    return cfg


class AsteriskLab:
    """Starts `asterisk -f -n -C <dir>/etc/asterisk.conf` and waits until it is fully booted."""

    def __init__(self, cfg: LabConfig) -> None:
        self.cfg = cfg
        self.proc: subprocess.Popen[bytes] | None = None
        self.binary = cfg.prefix / "sbin" / "asterisk"

    def rx(self, command: str, timeout: float = 15.0) -> str:
        """`asterisk -rx <command>` against this instance."""
        out = subprocess.run([str(self.binary), "-C", str(self.cfg.asterisk_conf), "-rx", command],
                             capture_output=True, text=True, timeout=timeout)
        return out.stdout

    def start(self, timeout: float = 90.0) -> AsteriskLab:
        console = open(self.cfg.log / "console.log", "ab")  # noqa: SIM115 - lives as long as the process
        self.proc = subprocess.Popen([str(self.binary), "-f", "-n", "-C", str(self.cfg.asterisk_conf)],
                                     stdin=subprocess.DEVNULL, stdout=console, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        console.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"asterisk exited with {self.proc.returncode}:\n{self.console_tail()}")
            try:
                if "fully booted" in self.rx("core waitfullybooted", timeout=10).lower():
                    return self
            except subprocess.TimeoutExpired:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"asterisk did not boot within {timeout:.0f} s:\n{self.console_tail()}")

    def console_tail(self, lines: int = 40) -> str:
        path = self.cfg.log / "console.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def messages(self) -> str:
        path = self.cfg.log / "messages.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self, timeout: float = 20.0) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        try:
            self.rx("core stop now", timeout=5)
            proc.wait(timeout)
        except (subprocess.TimeoutExpired, OSError):
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)

    def __enter__(self) -> AsteriskLab:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def missing_debian_parts() -> list[str]:
    """What the lab uses from Debian and is absent (sounds, music on hold)."""
    return [str(p) for p in (DEBIAN_SOUNDS_EN, DEBIAN_MOH) if not p.is_dir()]


def copy_sounds(files: Iterable[Path], target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for f in files:
        shutil.copy2(f, target / f.name)


class SyncAMI:
    """A small blocking AMI client for tests and the benchmark's control side: plain login, actions
    answered by ActionID, and every event kept (with its arrival time) for `wait_event`."""

    def __init__(self, port: int, username: str, secret: str, host: str = "127.0.0.1",
                 events: str = "on") -> None:
        import threading

        from ivr.asterisk.ami_protocol import MessageAssembler

        self.sock = socket.create_connection((host, port), timeout=10)
        self.sock.settimeout(None)
        self._file = self.sock.makefile("rb")
        self.banner = self._file.readline().decode().strip()
        self._assembler = MessageAssembler(max_lines=100_000)
        self._cond = threading.Condition()
        self._responses: dict[str, Message] = {}
        self.events: list[tuple[float, Message]] = []
        self._n = 0
        self._closed = False
        self._reader = threading.Thread(target=self._read, name="lab-ami", daemon=True)
        self._reader.start()
        reply = self.action("Login", Username=username, Secret=secret, Events=events)
        if reply.get("Response") != "Success":
            raise RuntimeError(f"AMI login failed: {reply.as_dict()}")

    def _read(self) -> None:
        while True:
            raw = self._file.readline()
            if not raw:
                with self._cond:
                    self._closed = True
                    self._cond.notify_all()
                return
            msg = self._assembler.feed(raw.decode("utf-8", "replace").rstrip("\r\n"))
            if msg is None:
                continue
            with self._cond:
                aid = msg.get("ActionID")
                if msg.event is None and aid:
                    self._responses[aid] = msg
                else:
                    self.events.append((time.monotonic(), msg))
                self._cond.notify_all()

    def send(self, action: str, **headers: object) -> str:
        from ivr.asterisk.ami_protocol import encode

        with self._cond:
            self._n += 1
            aid = f"lab-{self._n}"
        self.sock.sendall(encode(action, {"ActionID": aid, **headers}))
        return aid

    def response(self, aid: str, timeout: float = 20.0) -> Message:
        with self._cond:
            if not self._cond.wait_for(lambda: aid in self._responses or self._closed, timeout):
                raise TimeoutError(f"no AMI response to {aid}")
            if aid not in self._responses:
                raise ConnectionError("AMI connection closed")
            return self._responses.pop(aid)

    def action(self, action: str, timeout: float = 20.0, **headers: object):  # type: ignore[no-untyped-def]
        return self.response(self.send(action, **headers), timeout)

    def wait_event(self, pred, timeout: float = 20.0, since: int = 0):  # type: ignore[no-untyped-def]
        """The first event (from index `since`) for which `pred(msg)` is true."""
        deadline = time.monotonic() + timeout
        i = since
        with self._cond:
            while True:
                while i < len(self.events):
                    msg = self.events[i][1]
                    i += 1
                    if pred(msg):
                        return msg
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    raise TimeoutError("AMI event not seen")
                self._cond.wait(left)

    def channels(self) -> list[dict[str, str]]:
        """CoreShowChannels as dicts (the list items carry our ActionID)."""
        aid = self.send("CoreShowChannels")
        self.response(aid)
        found: list[dict[str, str]] = []
        deadline = time.monotonic() + 10
        with self._cond:
            start = 0
            while time.monotonic() < deadline:
                for _, msg in self.events[start:]:
                    if msg.get("ActionID") != aid:
                        continue
                    if msg.event == "CoreShowChannel":
                        found.append(msg.as_dict())
                    elif msg.event == "CoreShowChannelsComplete":
                        return found
                start = len(self.events)
                self._cond.wait(0.5)
        raise TimeoutError("CoreShowChannels did not complete")

    def close(self) -> None:
        try:
            self.send("Logoff")
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass


class NodeProcess:
    """A platform node (`hotline serve`) in its own process group, pointed at the lab's AMI."""

    def __init__(self, data_dir: Path, cfg: LabConfig, *, web_port: int, agi_port: int,
                 env: dict[str, str] | None = None) -> None:
        import sys

        self.data_dir, self.cfg = data_dir, cfg
        self.web_port, self.agi_port = web_port, agi_port
        self.python = sys.executable
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("DATABASE_URL", "RECORDS_DATABASE_URL", "REDIS_URL")}
        self.env.update({
            "HOTLINE_DATA_DIR": str(data_dir), "HOTLINE_WEB_THREADS": "24", "HOTLINE_DEMO": "1",
            "HOTLINE_AMI_HOST": "127.0.0.1", "HOTLINE_AMI_PORT": str(cfg.ami_port),
            "HOTLINE_AMI_USERNAME": cfg.ami_username, "HOTLINE_AMI_SECRET": cfg.ami_secret,
            "PYTHONUNBUFFERED": "1",
        })
        self.env.update(env or {})
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir / "node.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def start(self, timeout: float = 300.0) -> NodeProcess:
        import urllib.request

        self.data_dir.mkdir(parents=True, exist_ok=True)
        out = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child
        self.proc = subprocess.Popen(
            [self.python, "-m", "hotline.cli", "serve", "--web-port", str(self.web_port), "--agi-port",
             str(self.agi_port)], env=self.env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
        out.close()
        deadline = time.monotonic() + timeout
        web = agi = False
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the node exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if not web:
                    with urllib.request.urlopen(self.url + "/login", timeout=5) as r:
                        web = r.status == 200
                if web and not agi:
                    with socket.create_connection(("127.0.0.1", self.agi_port), timeout=2):
                        agi = True
                if web and agi:
                    return self
            except OSError:
                pass
            time.sleep(0.5)
        self.kill()
        raise RuntimeError(f"the node did not start within {timeout:.0f} s:\n{self.log_tail()}")

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def stop(self, timeout: float = 60.0) -> int | None:
        """SIGINT (as Ctrl-C); SIGKILL when it does not stop in time."""
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return proc.returncode if proc else None
        proc.send_signal(signal.SIGINT)
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def kill(self) -> None:
        """SIGKILL the whole node (gunicorn arbiter and worker) at once, as a crash would."""
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
