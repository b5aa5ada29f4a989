"""uvicorn's HTTP/1.1 connection with a deadline on a request's headers, which uvicorn does not set itself, and its
answer to a request it cannot parse given as every other refusal is, problem+json."""

from __future__ import annotations

import asyncio
import json

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol


class HeaderDeadline(H11Protocol):
    """A connection closed when a request's headers have not all come `header_seconds` after the connection opened
    or the request's first byte came. uvicorn times out only the wait between requests (`timeout_keep_alive`, from
    the end of an answer to the next byte): a client that opens a connection and sends nothing, or half its headers,
    would hold the connection for ever, and enough of them every connection the server can take. The deadline runs
    from the first byte, not the last: headers sent one byte a second do not hold it either."""

    def __init__(self, *args, header_seconds: float, **options):
        super().__init__(*args, **options)
        self.header_seconds = header_seconds
        self.header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._watch_headers()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_watching()
        super().connection_lost(exc)

    def _watch_headers(self) -> None:
        """The deadline set while a request's headers are awaited (the client's side IDLE), and cancelled once
        they have come. Between requests uvicorn's own keep-alive timeout applies, until the next byte."""
        awaiting = self.conn.their_state is h11.IDLE and not self.transport.is_closing()
        if awaiting and self.header_deadline is None:
            self.header_deadline = self.loop.call_later(self.header_seconds, self._headers_too_late)
        elif not awaiting:
            self._stop_watching()

    def _stop_watching(self) -> None:
        if self.header_deadline is not None:
            self.header_deadline.cancel()
            self.header_deadline = None

    def _headers_too_late(self) -> None:
        self.header_deadline = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.logger.debug("closing a connection whose request headers did not come in %g s", self.header_seconds)
            self.transport.close()

    def send_400_response(self, msg: str) -> None:
        """A request whose line or headers HTTP cannot read (a Content-Length that is not a number, a header without
        a colon), refused before the app sees it: problem+json as every other refusal, not uvicorn's plain text."""
        detail = (
            "malformed HTTP request: its request line or a header cannot be read (a Content-Length that is not a "
            "number, a header line without a colon)"
        )
        body = json.dumps({"type": "about:blank", "title": "Bad Request", "status": 400, "detail": detail}).encode()
        headers = [(b"content-type", b"application/problem+json"), (b"connection", b"close")]
        for event in (h11.Response(status_code=400, headers=headers, reason=b"Bad Request"), h11.Data(data=body)):
            self.transport.write(self.conn.send(event))
        self.transport.write(self.conn.send(h11.EndOfMessage()))
        self.transport.close()
