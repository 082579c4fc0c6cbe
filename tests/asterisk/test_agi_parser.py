"""The sans-I/O FastAGI reader (`agi_protocol.AGIParser`, what the connection's `data_received` feeds)
against every byte Asterisk sent in the recorded AGI sessions, cut as recorded, byte by byte and in
one piece; and its fast paths (env block, `200 result=<n>`, repeated segments) against the plain
line-by-line parsers they stand in for."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr.asterisk import agi_protocol as ap
from ivr.asterisk.agi_protocol import (
    HANGUP,
    MAX_LINE_BYTES,
    AGIHangup,
    AGIParser,
    AGIProtocolError,
    Reply,
    parse_env,
    parse_env_block,
    parse_env_line,
    parse_reply,
)
from tests.asterisk import transcripts as tr

RECORDED = [(name, conn) for name in (*tr.AGI_FILES, "ami-03-call-events", "ami-05-redirect-hangup", "ami-08-playdtmf")
            for conn in (tr.conns(name, "agi") if (tr.ROOT / "raw").is_dir() else [])]


def _reference(data: bytes) -> tuple[list[str], list[Reply | str]]:
    """The env lines and the events, read line by line the plain way (what the StreamReader code did)."""
    head, _, rest = data.partition(b"\n\n")
    env_lines = head.decode().split("\n")
    events: list[Reply | str] = []
    lines = rest.decode().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    i = 0
    while i < len(lines):
        line = lines[i].rstrip("\r")
        if line == "HANGUP":
            events.append(HANGUP)
        elif line.startswith("520-"):
            j = i + 1
            while not lines[j].startswith("520 "):
                j += 1
            events.append(Reply(520, text=line[4:], usage=tuple(x.rstrip("\r") for x in lines[i + 1:j])))
            i = j
        else:
            events.append(parse_reply(line))
        i += 1
    return env_lines, events


def _feed_all(pieces: list[bytes]) -> tuple[ap.AGIRequest, list[Reply | str | AGIProtocolError], AGIParser]:
    parser = AGIParser()
    request = None
    events: list[Reply | str | AGIProtocolError] = []
    for piece in pieces:
        if request is None:
            request = parser.feed_env(piece)
            if request is not None and parser.buffered:
                events += parser.feed(b"")
        else:
            events += parser.feed(piece)
    assert request is not None
    return request, events, parser


@pytest.mark.parametrize(("name", "conn"), RECORDED)
def test_recorded_streams_in_any_cut(name: str, conn: str) -> None:
    tr.require()
    segments = [c.data for c in tr.chunks(name, conn) if c.dir == "<<" and c.data]
    data = b"".join(segments)
    env_lines, expected = _reference(data)
    for pieces in (segments, [data], [data[i:i + 1] for i in range(len(data))]):
        request, events, parser = _feed_all(pieces)
        assert request == parse_env(env_lines)
        assert events == expected
        assert parser.error is None and not parser.buffered
    # Asterisk closes after the session: at that point the stream is a plain hang-up
    assert isinstance(parser.eof_error(), AGIHangup) and not isinstance(parser.eof_error(), AGIProtocolError)


def test_usage_reply_split_anywhere_and_eof_inside_it() -> None:
    data = (b"520-Invalid command syntax.  Proper usage follows:\nUsage: GET DATA <file>\n 520 x\n"
            b"520 End of proper usage.\n")
    for cut in range(1, len(data)):
        parser = AGIParser()
        parser.feed_env(b"agi_network: yes\n\n")
        events = parser.feed(data[:cut]) + parser.feed(data[cut:])
        assert events == [Reply(520, text="Invalid command syntax.  Proper usage follows:",
                                usage=("Usage: GET DATA <file>", " 520 x"))]
    parser = AGIParser()
    parser.feed_env(b"agi_network: yes\n\n")
    assert parser.feed(data[:60]) == []
    assert isinstance(parser.eof_error(), AGIProtocolError)


def test_errors_come_last_after_what_came_before() -> None:
    parser = AGIParser()
    parser.feed_env(b"agi_network: yes\n\n200 result=1\n")
    events = parser.feed(b"HANGUP\ngarbage\n200 result=2\n")
    assert events[:2] == [Reply(200, "1", text="result=1"), HANGUP]
    assert isinstance(events[2], AGIProtocolError) and len(events) == 3 and parser.error is events[2]
    assert parser.feed(b"200 result=3\n") == []  # nothing after the error


def test_line_over_the_limit() -> None:
    parser = AGIParser()
    parser.feed_env(b"agi_network: yes\n\n")
    assert parser.feed(b"200 result=1 (" + b"x" * MAX_LINE_BYTES) == [parser.error]
    assert "longer than the limit" in str(parser.error)
    parser = AGIParser()  # complete but too long, after a good line in the same segment
    parser.feed_env(b"agi_network: yes\n\n")
    events = parser.feed(b"200 result=0\n200 result=1 (" + b"x" * MAX_LINE_BYTES + b")\n")
    assert events[0] == Reply(200, "0", text="result=0") and isinstance(events[1], AGIProtocolError)
    parser = AGIParser()  # exactly at the limit is fine
    parser.feed_env(b"agi_network: yes\n\n")
    line = b"200 result=1 (" + b"x" * (MAX_LINE_BYTES - 15) + b")"
    assert len(line) == MAX_LINE_BYTES and parser.feed(line + b"\n")[0].data == "x" * (MAX_LINE_BYTES - 15)


def test_env_block_limits_and_leftover() -> None:
    with pytest.raises(AGIProtocolError, match="too large"):
        AGIParser().feed_env(b"agi_network: " + b"y" * ap.MAX_ENV_BYTES)
    with pytest.raises(AGIProtocolError, match="too large"):
        AGIParser().feed_env(b"".join(b"agi_arg_%d: x\n" % i for i in range(1, 400)) + b"\n")
    with pytest.raises(AGIProtocolError, match="empty"):
        AGIParser().feed_env(b"\n\n")
    parser = AGIParser()
    assert parser.feed_env(b"agi_network: yes\nagi_chan") is None
    assert parser.eof_error().args[0] == "connection closed inside the AGI environment block"
    request = parser.feed_env(b"nel: X\n\n200 res")
    assert request is not None and request.channel == "X" and parser.buffered
    assert parser.feed(b"ult=0\n") == [Reply(200, "0", text="result=0")]


def test_segment_cache_keeps_partial_lines_and_state_apart() -> None:
    parser = AGIParser()
    parser.feed_env(b"agi_network: yes\n\n")
    assert parser.feed(b"200 result=0\n") == parser.feed(b"200 result=0\n") == [Reply(200, "0", text="result=0")]
    # a segment that ends inside the next line is never taken for a whole one
    assert parser.feed(b"200 result=0\n200 res") == [Reply(200, "0", text="result=0")]
    assert parser.feed(b"ult=1\n") == [Reply(200, "1", text="result=1")]
    assert parser.feed(b"200 result=0\n") == [Reply(200, "0", text="result=0")]
    parser = AGIParser()
    parser.feed_env(b"agi_network: yes\n\n")
    assert parser.feed(b"200 res") == []
    events = parser.feed(b"200 result=0\n")  # the end of "200 res200 result=0": not a reply
    assert events == [parser.error] and "malformed" in str(parser.error)
    parser = AGIParser()  # inside a 520 body a cached line is a body line
    parser.feed_env(b"agi_network: yes\n\n")
    parser.feed(b"520-Invalid\n")
    assert parser.feed(b"200 result=0\n") == []
    assert parser.feed(b"520 End\n") == [Reply(520, text="Invalid", usage=("200 result=0",))]
    assert all(len(k) <= ap._SEGMENT_BYTES and v.data is None for k, v in ap._SEGMENTS.items())
    # known(): the same look-up without feeding, only when nothing is pending
    parser = AGIParser()
    assert parser.known(b"200 result=0\n") is None  # still in the env block
    parser.feed_env(b"agi_network: yes\n\n")
    assert parser.known(b"200 result=0\n") == Reply(200, "0", text="result=0")
    assert parser.known(b"100 result=0 Trying...\n") is None and parser.known(b"200 result=1 (x)\n") is None
    parser.feed(b"200 res")
    assert parser.known(b"200 result=0\n") is None


@settings(deadline=None)
@given(st.one_of(st.integers(-10**6, 10**6).map(str), st.sampled_from(["", "-", "--1", "1-", "٣", "²", " 1", "1 "])),
       st.sampled_from(["", " (timeout)", " endpos=5", " (a b) endpos=-1", "(x)", " "]))
def test_reply_fast_path_matches_the_regex(value: str, tail: str) -> None:
    line = f"200 result={value}{tail}"
    m = ap._REPLY_200.match(line)
    if m is None:
        with pytest.raises(AGIProtocolError):
            parse_reply(line)
        return
    endpos = int(m.group(3)) if m.group(3) is not None else None
    assert parse_reply(line) == Reply(200, result=m.group(1), data=m.group(2), endpos=endpos, text=line[4:])


env_line = st.one_of(
    st.builds(lambda k, sep, v: f"{k}{sep}{v}",
              st.one_of(st.sampled_from(["agi_network", "agi_channel", "agi_arg_1", "agi_", "agi_é", "agi_x:y",
                                         "agi x", "AGI_X", "agi_\r", ""]),
                        st.from_regex(r"agi_\w{0,6}", fullmatch=True)),
              st.sampled_from([": ", ":", ":  ", " : ", ""]),
              st.text(max_size=12).filter(lambda s: "\n" not in s)),
    st.text(max_size=20).filter(lambda s: "\n" not in s))


def _line_by_line(lines: list[str]) -> ap.AGIRequest:
    lines = [line.rstrip("\r") for line in lines]
    if lines[0] == "":
        raise AGIProtocolError("empty AGI environment block")
    env = {}
    for line in lines:
        key, value = parse_env_line(line)
        env[key] = value
    return ap.build_request(env)


@settings(deadline=None, max_examples=300)
@given(st.lists(env_line, min_size=1, max_size=8))
def test_env_block_fast_path_matches_line_by_line(lines: list[str]) -> None:
    raw = "\n".join(lines).encode()
    try:
        expected: ap.AGIRequest | str = _line_by_line(raw.decode().split("\n"))
    except AGIProtocolError:
        expected = "error"
    for _ in range(2):  # the second time the keys are known
        try:
            got: ap.AGIRequest | str = parse_env_block(raw)
        except AGIProtocolError:
            got = "error"
        assert got == expected
