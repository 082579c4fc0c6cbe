"""A small SMPP 3.4 server (an SMSC stand-in) for tests and benchmarks, on loopback.

Handles bind_transceiver/transmitter, submit_sm (answers submit_sm_resp with a message id and, when
asked, a delivery receipt as deliver_sm), enquire_link, unbind; can push MO messages (deliver_sm,
UCS-2, concatenated with UDH when long) and drop every connection (to test reconnects).
"""

from __future__ import annotations

import itertools
import socket
import socketserver
import struct
import threading
from collections import defaultdict
from dataclasses import dataclass, field

from sms import encoding

BIND_RX, BIND_TX, BIND_TRX = 0x00000001, 0x00000002, 0x00000009
SUBMIT_SM, DELIVER_SM, UNBIND, ENQUIRE_LINK = 0x00000004, 0x00000005, 0x00000006, 0x00000015
RESP = 0x80000000
GENERIC_NACK = 0x80000000


def _cstr(data: bytes, pos: int) -> tuple[bytes, int]:
    end = data.index(b"\x00", pos)
    return data[pos:end], end + 1


def pdu(command_id: int, seq: int, body: bytes = b"", status: int = 0) -> bytes:
    return struct.pack(">IIII", 16 + len(body), command_id, status, seq) + body


@dataclass
class Submit:
    source: str
    destination: str
    esm_class: int
    data_coding: int
    registered_delivery: int
    short_message: bytes
    message_id: str


def parse_sm(body: bytes) -> dict[str, object]:
    """The common body of submit_sm and deliver_sm."""
    pos = 0
    service_type, pos = _cstr(body, pos)
    source, pos = _cstr(body, pos + 2)  # after source_addr_ton, source_addr_npi
    dest, pos = _cstr(body, pos + 2)  # after dest_addr_ton, dest_addr_npi
    esm_class, _pid, _prio = body[pos], body[pos + 1], body[pos + 2]
    _sched, pos = _cstr(body, pos + 3)
    _validity, pos = _cstr(body, pos)
    registered, _replace, coding, _default, length = body[pos:pos + 5]
    message = body[pos + 5:pos + 5 + length]
    return {"source": source.decode(), "destination": dest.decode(), "esm_class": esm_class,
            "data_coding": coding, "registered_delivery": registered, "short_message": message,
            "service_type": service_type}


def build_sm(source: str, dest: str, message: bytes, *, esm_class: int = 0, coding: int = 8) -> bytes:
    return (b"\x00" + bytes([1, 1]) + source.encode() + b"\x00" + bytes([1, 1]) + dest.encode() + b"\x00"
            + bytes([esm_class, 0, 0]) + b"\x00" + b"\x00" + bytes([0, 0, coding, 0, len(message)]) + message)


@dataclass
class ServerState:
    submits: list[Submit] = field(default_factory=list)
    binds: list[tuple[str, str]] = field(default_factory=list)
    enquire_links: int = 0
    receipts: bool = True
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    sessions: list[Session] = field(default_factory=list)

    def messages(self) -> list[tuple[str, str]]:
        """Submitted messages with concatenated parts joined: (destination, text)."""
        groups: dict[tuple[str, int], dict[int, str]] = defaultdict(dict)
        out: list[tuple[str, str]] = []
        with self.lock:
            submits = list(self.submits)
        for s in submits:
            enc = encoding.UCS2 if s.data_coding == 8 else encoding.GSM7
            if s.esm_class & 0x40:
                concat, body = encoding.parse_udh(s.short_message)
                assert concat is not None
                ref, total, seq = concat
                groups[(s.destination, ref)][seq] = encoding.decode(body, enc)
                if len(groups[(s.destination, ref)]) == total:
                    parts = groups.pop((s.destination, ref))
                    out.append((s.destination, "".join(parts[i] for i in sorted(parts))))
            else:
                out.append((s.destination, encoding.decode(s.short_message, enc)))
        return out


class Session(socketserver.BaseRequestHandler):
    server: SmppServer

    def setup(self) -> None:
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.wlock = threading.Lock()
        self.seq = itertools.count(1)
        self.bound = False
        with self.server.state.lock:
            self.server.state.sessions.append(self)

    def write(self, data: bytes) -> None:
        with self.wlock:
            self.request.sendall(data)

    def _read(self, n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            chunk = self.request.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("peer closed")
            buf += chunk
        return buf

    def handle(self) -> None:
        state = self.server.state
        try:
            while True:
                length, command, _status, seq = struct.unpack(">IIII", self._read(16))
                body = self._read(length - 16)
                if command in (BIND_RX, BIND_TX, BIND_TRX):
                    system_id, pos = _cstr(body, 0)
                    password, _ = _cstr(body, pos)
                    ok = password.decode() == self.server.password
                    with state.lock:
                        state.binds.append((system_id.decode(), "ok" if ok else "refused"))
                    self.bound = ok
                    self.write(pdu(command | RESP, seq, b"smsc\x00", status=0 if ok else 0x0E))
                elif command == SUBMIT_SM:
                    self._submit(seq, body)
                elif command == ENQUIRE_LINK:
                    with state.lock:
                        state.enquire_links += 1
                    self.write(pdu(ENQUIRE_LINK | RESP, seq))
                elif command == UNBIND:
                    self.write(pdu(UNBIND | RESP, seq))
                    return
                elif command & RESP:
                    continue  # deliver_sm_resp, enquire_link_resp
                else:
                    self.write(pdu(GENERIC_NACK, seq, status=0x03))
        except (ConnectionError, OSError, struct.error):
            return
        finally:
            with state.lock:
                if self in state.sessions:
                    state.sessions.remove(self)

    def _submit(self, seq: int, body: bytes) -> None:
        state = self.server.state
        sm = parse_sm(body)
        if not self.bound:
            self.write(pdu(SUBMIT_SM | RESP, seq, b"\x00", status=0x04))
            return
        message_id = f"{next(state.ids):08x}"
        submit = Submit(str(sm["source"]), str(sm["destination"]), int(sm["esm_class"]),  # type: ignore[call-overload]
                        int(sm["data_coding"]), int(sm["registered_delivery"]),  # type: ignore[call-overload]
                        bytes(sm["short_message"]), message_id)  # type: ignore[call-overload]
        with state.lock:
            state.submits.append(submit)
        self.write(pdu(SUBMIT_SM | RESP, seq, message_id.encode() + b"\x00"))
        if state.receipts and submit.registered_delivery & 0x01:
            text = f"id:{message_id} sub:001 dlvrd:001 submit date:2611241000 done date:2611241000 stat:DELIVRD err:000"
            self.write(pdu(DELIVER_SM, 0x7FFF0000 + next(self.seq),
                           build_sm(submit.destination, submit.source, text.encode(), esm_class=0x04, coding=0)))

    def deliver(self, source: str, dest: str, text: str, ref: int = 1) -> None:
        """Push an MO message (UCS-2; concatenated when it needs more than one part)."""
        _enc, parts = encoding.segments(text, ref)
        for part in parts:
            esm = 0x40 if part.udh else 0
            self.write(pdu(DELIVER_SM, 0x7FFF0000 + next(self.seq),
                           build_sm(source, dest, part.payload(encoding.UCS2) if _enc == encoding.UCS2
                                    else part.payload(encoding.GSM7), esm_class=esm,
                                    coding=8 if _enc == encoding.UCS2 else 0)))


class SmppServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, host: str = "127.0.0.1", port: int = 0, password: str = "secret") -> None:
        super().__init__((host, port), Session)
        self.state = ServerState()
        self.password = password
        self._thread = threading.Thread(target=self.serve_forever, name="smpp-server", daemon=True)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def __enter__(self) -> SmppServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.drop_connections()
        self.shutdown()
        self.server_close()

    def bound_session(self) -> Session | None:
        with self.state.lock:
            return next((s for s in self.state.sessions if s.bound), None)

    def drop_connections(self) -> None:
        with self.state.lock:
            sessions = list(self.state.sessions)
        for s in sessions:
            try:
                s.request.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
