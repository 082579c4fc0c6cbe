"""Byte-for-byte replay of the recorded Asterisk side of a connection.

`replay_agi` plays Asterisk as a FastAGI client: it sends the recorded bytes (the same TCP segments,
in order) and checks that what our server sends back equals the recorded commands byte for byte.
`AMIReplayServer` plays Asterisk as an AMI server: it waits for each recorded action, compares it with
what our client sent (the ActionID value aside: recorded IDs are mapped to the client's), and answers
with the recorded bytes, ActionIDs substituted.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

from tests.asterisk.transcripts import Chunk

SMALL_GAP = 0.002


@dataclass
class ReplayReport:
    mismatches: list[str] = field(default_factory=list)
    sent: list[bytes] = field(default_factory=list)      # what the replayed peer sent
    received: list[bytes] = field(default_factory=list)  # what our side sent
    saw_client_eof: bool = False

    @property
    def ok(self) -> bool:
        return not self.mismatches


async def _pause(prev: Chunk | None, cur: Chunk) -> None:
    """Keep recorded segment boundaries visible (a short pause where the capture had a gap)."""
    if prev is not None and cur.t - prev.t > 0.01:
        await asyncio.sleep(SMALL_GAP)


def _final_hangup_index(script: list[Chunk]) -> int | None:
    """Asterisk writes `HANGUP` when it reads our EOF, then closes: that last chunk waits for our EOF."""
    if len(script) >= 2 and script[-1].eof and script[-2].data == b"HANGUP\n":
        return len(script) - 2
    return None


async def replay_agi(host: str, port: int, script: list[Chunk], *, timeout: float = 3.0) -> ReplayReport:
    report = ReplayReport()
    reader, writer = await asyncio.open_connection(host, port)
    final = _final_hangup_index(script)
    prev: Chunk | None = None
    try:
        for i, chunk in enumerate(script):
            if chunk.dir == ">>":
                try:
                    got = await asyncio.wait_for(reader.readexactly(len(chunk.data)), timeout)
                except (TimeoutError, asyncio.IncompleteReadError) as exc:
                    partial = getattr(exc, "partial", b"")
                    report.mismatches.append(f"expected {chunk.data!r}, got {partial!r} then nothing")
                    return report
                report.received.append(got)
                if got != chunk.data:
                    report.mismatches.append(f"expected {chunk.data!r}, got {got!r}")
                    return report
            elif chunk.eof:
                break
            else:
                if i == final:
                    try:
                        rest = await asyncio.wait_for(reader.read(), timeout)
                    except TimeoutError:
                        report.mismatches.append("the server did not end the session (no EOF)")
                        return report
                    if rest:
                        report.mismatches.append(f"unexpected bytes before EOF: {rest!r}")
                        return report
                    report.saw_client_eof = True
                await _pause(prev, chunk)
                writer.write(chunk.data)
                report.sent.append(chunk.data)
                with contextlib.suppress(ConnectionError):
                    await writer.drain()
            prev = chunk
        if final is None and not report.saw_client_eof:
            with contextlib.suppress(TimeoutError, ConnectionError):
                rest = await asyncio.wait_for(reader.read(), timeout)
                report.saw_client_eof = rest == b""
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
    return report


def _messages(data: bytes) -> list[list[tuple[str, str]]]:
    out = []
    for block in data.decode("utf-8").split("\r\n\r\n"):
        if not block:
            continue
        headers = []
        for line in block.split("\r\n"):
            key, _, value = line.partition(": ")
            headers.append((key, value))
        out.append(headers)
    return out


class AMIReplayServer:
    """Serves the recorded connections of one AMI transcript, one per incoming connection."""

    def __init__(self, scripts: list[list[Chunk]], *, timeout: float = 3.0) -> None:
        self.scripts = list(scripts)
        self.timeout = timeout
        self.reports: list[ReplayReport] = []
        self.port = 0
        self._server: asyncio.base_events.Server | None = None
        self._done = asyncio.Event()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def wait_done(self, timeout: float = 5.0) -> None:
        await asyncio.wait_for(self._done.wait(), timeout)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.scripts:
            writer.close()
            return
        script = self.scripts.pop(0)
        report = ReplayReport()
        self.reports.append(report)
        ids: dict[str, str] = {}
        prev: Chunk | None = None
        try:
            for chunk in script:
                if chunk.dir == ">>":
                    await self._expect(reader, chunk, ids, report)
                    if report.mismatches:
                        return
                elif chunk.eof:
                    break
                else:
                    await _pause(prev, chunk)
                    data = chunk.data
                    for recorded, actual in ids.items():
                        data = data.replace(f"ActionID: {recorded}\r\n".encode(), f"ActionID: {actual}\r\n".encode())
                    writer.write(data)
                    report.sent.append(data)
                    await writer.drain()
                prev = chunk
        except (ConnectionError, TimeoutError, asyncio.IncompleteReadError) as exc:
            report.mismatches.append(f"connection ended early: {exc!r}")
        finally:
            writer.close()
            if not self.scripts:
                self._done.set()

    async def _expect(self, reader: asyncio.StreamReader, chunk: Chunk, ids: dict[str, str],
                      report: ReplayReport) -> None:
        for expected in _messages(chunk.data):
            raw = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self.timeout)
            report.received.append(raw)
            got = _messages(raw)[0]
            exp_id = next((v for k, v in expected if k.lower() == "actionid"), None)
            got_id = next((v for k, v in got if k.lower() == "actionid"), None)
            if exp_id is not None and got_id is not None:
                ids[exp_id] = got_id
            exp = [(k.lower(), v) for k, v in expected if k.lower() != "actionid"]
            have = [(k.lower(), v) for k, v in got if k.lower() != "actionid"]
            if exp != have:
                report.mismatches.append(f"expected action {exp!r}, got {have!r}")
                return
