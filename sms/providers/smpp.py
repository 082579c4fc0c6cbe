"""SMPP 3.4 through smpplib: one transceiver bind, a reader thread (submit_sm_resp, deliver_sm for
receipts and inbound messages, enquire_link every `smpp_enquire_link` seconds of silence) and
reconnect with back-off. Parts go as separate submit_sm PDUs with our UDH (esm_class 0x40); the
delivery receipt is requested on the last part, whose message id is the one we keep."""

from __future__ import annotations

import logging
import queue
import re
import socket
import threading
import time
from concurrent.futures import Future
from typing import Any

import smpplib.client
import smpplib.consts
import smpplib.exceptions
import smpplib.smpp

from core.masking import mask_phone
from sms import encoding
from sms.api import SmsHost
from sms.providers import Outgoing, ProviderError

UNBIND_WAIT_S = 2.0
_UNBOUND = (smpplib.consts.SMPP_CLIENT_STATE_OPEN, smpplib.consts.SMPP_CLIENT_STATE_CLOSED)

log = logging.getLogger(__name__)

RECEIPT_RE = re.compile(r"id:(?P<id>\S+).*?stat:(?P<stat>\w+)(?:.*?err:(?P<err>\w+))?", re.S)
RECEIPT_STATES = {"DELIVRD": "delivered", "UNDELIV": "failed", "REJECTD": "failed", "EXPIRED": "failed",
                  "DELETED": "failed", "ACCEPTD": "smsc_accepted", "ENROUTE": "buffered", "UNKNOWN": "buffered"}
# submit_sm_resp errors that a resend cannot fix
PERMANENT = {smpplib.consts.SMPP_ESME_RINVDSTADR, smpplib.consts.SMPP_ESME_RINVSRCADR,
             smpplib.consts.SMPP_ESME_RINVMSGLEN, smpplib.consts.SMPP_ESME_RINVESMCLASS}


class SmppProvider:
    receipts_by_provider_id = True  # receipts name the SMSC's id, which may arrive before we store it

    def __init__(self, *, platform: SmsHost, config: Any, name: str = "smpp") -> None:
        if not config.smpp_host:
            raise ValueError("HOTLINE_SMS_SMPP_HOST is not set")
        self.name = name
        self.platform = platform
        self.config = config
        self.client: smpplib.client.Client | None = None
        self._conn_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._pending: dict[int, Future[str]] = {}
        self._mo_parts: dict[tuple[str, int], dict[int, str]] = {}
        self._closed = threading.Event()
        self._reader: threading.Thread | None = None
        self.reconnects = 0
        self.timeout = 10.0
        # receipts and inbound messages are handled off the reader thread (DB work must not delay
        # the submit_sm_resp that senders wait for)
        self._work: queue.Queue[tuple[Any, ...] | None] = queue.Queue()
        self._worker = threading.Thread(target=self._work_loop, name="smpp-inbound", daemon=True)
        self._worker.start()

    def _work_loop(self) -> None:
        while (item := self._work.get()) is not None:
            func, *args = item
            try:
                func(*args)
            except Exception:
                log.exception("smpp inbound work failed")

    # -- connection -------------------------------------------------------------------------------

    def _connect(self) -> smpplib.client.Client:
        with self._conn_lock:
            if self.client is not None:
                return self.client
            if self._closed.is_set():
                raise ProviderError("smpp provider closed")
            client = smpplib.client.Client(self.config.smpp_host, self.config.smpp_port,
                                           timeout=self.config.smpp_enquire_link, allow_unknown_opt_params=True)
            try:
                client.connect()
                client._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # PDUs are small writes
                client.bind_transceiver(system_id=self.config.smpp_system_id, password=self.config.smpp_password,
                                        system_type=self.config.smpp_system_type)
            except (smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError, OSError) as exc:
                try:
                    client.disconnect()
                except Exception:  # noqa: BLE001 - already broken
                    pass
                raise ProviderError(f"smpp bind failed: {exc}") from exc
            client.set_message_sent_handler(self._on_submit_resp)
            client.set_message_received_handler(self._on_deliver)
            client.set_error_pdu_handler(self._on_error_pdu)

            def locked_send(p: Any) -> bool:  # the reader answers deliver_sm/enquire_link concurrently
                with self._write_lock:
                    return bool(smpplib.client.Client.send_pdu(client, p))

            client.send_pdu = locked_send  # type: ignore[method-assign]
            self.client = client
            self._reader = threading.Thread(target=self._read_loop, args=(client,), name="smpp-reader", daemon=True)
            self._reader.start()
            log.info("smpp bound to %s:%s", self.config.smpp_host, self.config.smpp_port)
            return client

    def _read_loop(self, client: smpplib.client.Client) -> None:
        try:
            while not self._closed.is_set():
                client.read_once()  # a socket timeout sends enquire_link
        except Exception as exc:  # noqa: BLE001 - any failure ends this connection
            if not self._closed.is_set():
                log.warning("smpp connection lost: %r", exc)
        finally:
            self._drop(client)
            if not self._closed.is_set():
                threading.Thread(target=self._reconnect, name="smpp-reconnect", daemon=True).start()

    def _drop(self, client: smpplib.client.Client) -> None:
        with self._conn_lock:
            if self.client is client:
                self.client = None
        if client.state != smpplib.consts.SMPP_CLIENT_STATE_CLOSED:  # the reader and close() both drop it
            try:
                client.disconnect()
            except Exception:  # noqa: BLE001
                pass
        for seq, fut in list(self._pending.items()):
            if not fut.done():
                fut.set_exception(ProviderError("smpp connection lost before submit_sm_resp"))
            self._pending.pop(seq, None)

    def _reconnect(self) -> None:
        """Keep a bind up (so inbound messages and receipts keep flowing), backing off to 30 s."""
        delay = 0.2
        while not self._closed.is_set():
            try:
                self._connect()
                self.reconnects += 1
                return
            except ProviderError as exc:
                log.warning("smpp reconnect failed: %s (next try in %.1fs)", exc, delay)
                self._closed.wait(delay)
                delay = min(delay * 2, 30.0)

    # -- sending ----------------------------------------------------------------------------------

    def send(self, msg: Outgoing) -> str:
        client = self._connect()
        enc = msg.encoding
        parts = msg.segments()
        futures: list[Future[str]] = []
        try:
            for part in parts:
                last = part.seq == part.total
                with self._write_lock:
                    pdu = smpplib.smpp.make_pdu(
                        "submit_sm", client=client, service_type="",
                        source_addr_ton=smpplib.consts.SMPP_TON_UNK, source_addr_npi=smpplib.consts.SMPP_NPI_ISDN,
                        source_addr=self.config.sender_id, dest_addr_ton=smpplib.consts.SMPP_TON_INTL,
                        dest_addr_npi=smpplib.consts.SMPP_NPI_ISDN, destination_addr=msg.to.lstrip("+"),
                        esm_class=0x40 if part.udh else 0, data_coding=8 if enc == encoding.UCS2 else 0,
                        registered_delivery=1 if last else 0, short_message=part.payload(enc))
                    fut: Future[str] = Future()
                    self._pending[pdu.sequence] = fut
                    futures.append(fut)
                    smpplib.client.Client.send_pdu(client, pdu)  # the unlocked original: we hold the lock
            ids = [f.result(timeout=self.timeout) for f in futures]
        except smpplib.exceptions.ConnectionError as exc:
            raise ProviderError(f"smpp send failed: {exc!r}") from exc
        except TimeoutError as exc:
            raise ProviderError("smpp: no submit_sm_resp in time") from exc
        return ids[-1]

    def _on_submit_resp(self, pdu: Any, **_: Any) -> None:
        fut = self._pending.pop(pdu.sequence, None)
        if fut is None or fut.done():
            return
        if pdu.is_error():
            fut.set_exception(ProviderError(f"smpp submit refused: status {pdu.status}",
                                            permanent=pdu.status in PERMANENT))
        else:
            mid = pdu.message_id
            fut.set_result(mid.decode() if isinstance(mid, bytes) else str(mid))

    def _on_error_pdu(self, pdu: Any) -> None:
        if pdu.command == "submit_sm_resp":
            self._on_submit_resp(pdu)
        else:
            log.warning("smpp error pdu %s status %s", pdu.command, pdu.status)

    # -- receiving --------------------------------------------------------------------------------

    def _on_deliver(self, pdu: Any, **_: Any) -> int:
        try:
            data = pdu.short_message or b""
            coding = encoding.UCS2 if pdu.data_coding == 8 else encoding.GSM7
            if pdu.esm_class & 0x04:  # delivery receipt
                receipted = getattr(pdu, "receipted_message_id", None)
                self._work.put((self._receipt, receipted, data))
                return int(smpplib.consts.SMPP_ESME_ROK)
            sender = (pdu.source_addr or b"").decode()
            concat, body = encoding.parse_udh(data) if pdu.esm_class & 0x40 else (None, data)
            text = encoding.decode(body, coding) if coding == encoding.UCS2 else _decode_default(body)
            if concat is not None:
                ref, total, seq = concat
                parts = self._mo_parts.setdefault((sender, ref), {})
                parts[seq] = text
                if len(parts) < total:
                    return int(smpplib.consts.SMPP_ESME_ROK)
                text = "".join(parts[i] for i in sorted(parts))
                del self._mo_parts[(sender, ref)]
            self._work.put((self._inbound, sender, text))
        except Exception:
            log.exception("smpp deliver_sm handling failed")
        return int(smpplib.consts.SMPP_ESME_ROK)

    def _inbound(self, sender: str, text: str) -> None:
        try:
            self.platform.sms_receiver.handle_inbound(sender, text, provider=self.name)
        except Exception:
            log.exception("inbound sms from %s failed", mask_phone(sender))

    def _receipt(self, receipted: Any, data: bytes) -> None:
        text = data.decode("latin-1")
        match = RECEIPT_RE.search(text)
        mid = receipted.decode() if isinstance(receipted, bytes) else receipted
        if match is None and not mid:
            log.warning("smpp receipt without an id: %r", text[:100])
            return
        mid = mid or match.group("id")  # type: ignore[union-attr]
        state = RECEIPT_STATES.get(match.group("stat") if match else "UNKNOWN", "buffered")
        self.platform.sms.receipt(state=state, provider_message_id=mid, detail=text[:100])

    def close(self) -> None:
        self._closed.set()
        self._work.put(None)
        self._worker.join(timeout=30)  # receipts already received are applied, not dropped
        client = self.client
        if client is not None:
            try:
                with self._write_lock:
                    smpplib.client.Client.send_pdu(client, smpplib.smpp.make_pdu("unbind", client=client))
                # the reader thread reads unbind_resp, which moves the client to OPEN: a clean unbind
                deadline = time.monotonic() + UNBIND_WAIT_S
                while client.state not in _UNBOUND and time.monotonic() < deadline:
                    time.sleep(0.01)
            except Exception:  # noqa: BLE001 - closing anyway
                pass
            self._drop(client)


def _decode_default(data: bytes) -> str:
    """SMSC default alphabet: GSM 03.38 unpacked septets; fall back to Latin-1 for 8-bit data."""
    try:
        return encoding.decode(data, encoding.GSM7)
    except (IndexError, KeyError):
        return data.decode("latin-1")
