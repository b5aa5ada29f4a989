"""The service's HTTP connections (`serve/connections.py`): a deadline on a request's headers that never cuts a
kept-alive connection between requests, a malformed request answered in problem+json, neither raising in the server.

A tiny app of our own is served by `serve`'s uvicorn server on 127.0.0.1, in a thread of this process (no model
loaded); the clients are plain sockets, so each answer is read byte for byte.
"""

import asyncio
import contextlib
import json
import logging
import socket
import time

import pytest

pytest.importorskip("fastapi", reason="the serve extra is not installed: pip install '.[serve]'")
pytest.importorskip("uvicorn", reason="the serve extra is not installed: pip install '.[serve]'")

from fastapi import FastAPI  # noqa: E402

from serving import served_in_thread  # noqa: E402

PING = b"GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


class Records(logging.Handler):
    """The records a logger gives, kept."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@contextlib.contextmanager
def listening(logger: str, level: int):
    """The records of `logger` at `level` and above while the block runs."""
    log, records = logging.getLogger(logger), Records()
    before = log.level
    log.setLevel(level)
    log.addHandler(records)
    try:
        yield records.records
    finally:
        log.removeHandler(records)
        log.setLevel(before)


def ping_app(request_timeout: float) -> FastAPI:
    app = FastAPI()
    app.state.request_timeout = request_timeout

    @app.get("/ping")
    def ping():
        return {"pong": True}

    return app


@contextlib.contextmanager
def served(request_timeout: float):
    """The port of `serve`'s server answering `ping_app` on 127.0.0.1, with the errors asyncio logged (an exception
    raised in a connection's callbacks) and uvicorn's debug lines while it ran."""
    from classifier.serve.app import http_server

    server = http_server(ping_app(request_timeout))  # before listening: it sets up uvicorn's logging
    with listening("asyncio", logging.ERROR) as errors, listening("uvicorn.error", logging.DEBUG) as lines:
        with served_in_thread(server) as port:
            yield port, errors, lines


def read_to_the_end(connection) -> bytes:
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    return received


def read_answer(connection) -> bytes:
    """One answer of `ping_app`, whole: its head, then the body of the length it gives."""
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = connection.recv(65536)
        assert chunk, f"closed after {received!r}"
        received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    length = int(next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))[15:])
    while len(body) < length:
        chunk = connection.recv(65536)
        assert chunk, f"closed after {received + body!r}"
        body += chunk
    return head.split(b"\r\n")[0] + b"\r\n\r\n" + body


def test_a_malformed_request_is_answered_in_problem_json_and_the_connection_closed():
    """The whole answer, byte for byte: lower-case header names as every other answer of the service has them (h11
    writes its own `Connection: close`, ours is read into it), no other header, and the JSON body; sending it raises
    nothing in the server (an end of message left unsent, or sent wrongly, was logged by asyncio as a fatal error of
    the connection)."""
    with served(5.0) as (port, errors, _), socket.create_connection(("127.0.0.1", port), timeout=10) as sent:
        sent.sendall(b"GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\nnot a header\r\n\r\n")
        answer = read_to_the_end(sent)
        time.sleep(0.2)  # the server's side of the close has run
    detail = (
        "malformed HTTP request: its request line or a header cannot be read (a Content-Length that is not a number, "
        "a header line without a colon)"
    )
    body = {"type": "about:blank", "title": "Bad Request", "status": 400, "detail": detail}
    assert answer == (
        b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/problem+json\r\nConnection: close\r\n\r\n"
        + json.dumps(body).encode()
    )
    assert [record.getMessage() for record in errors] == []


def test_a_kept_alive_connection_is_not_cut_by_the_header_deadline():
    """The deadline runs while a request's headers are awaited, and stops once they have come: two requests answered
    one after the other, then a pause three times the deadline (within uvicorn's 5-second keep-alive), and the third
    request on the same connection is answered. A deadline left running after the first headers, or set again after
    the second request's, closed the connection in that pause."""
    with served(0.3) as (port, errors, _), socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        answers = []
        for pause in (0, 0, 0.9):
            time.sleep(pause)
            client.sendall(PING)
            answers.append(read_answer(client))
    assert answers == [b'HTTP/1.1 200 OK\r\n\r\n{"pong":true}'] * 3
    assert [record.getMessage() for record in errors] == []


def test_a_connection_that_sends_no_headers_is_closed_at_the_deadline_and_said_so():
    """Nothing sent, or a request's first line only: closed after the deadline, with one debug line each saying why,
    the deadline in seconds; the connection is then let go without an error in the server."""
    with served(0.2) as (port, errors, lines):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as silent:
            assert read_to_the_end(silent) == b""
        with socket.create_connection(("127.0.0.1", port), timeout=10) as halfway:
            halfway.sendall(b"GET /ping HTTP/1.1\r\n")
            assert read_to_the_end(halfway) == b""
        time.sleep(0.2)  # the server's side of the close has run
    said = [record.getMessage() for record in lines if "headers" in record.getMessage()]
    assert said == ["closing a connection whose request headers did not come in 0.2 s"] * 2
    assert [record.getMessage() for record in errors] == []


class Transport(asyncio.Transport):
    """A connection's transport that records what is done to it, closed only when told."""

    def __init__(self):
        super().__init__()
        self.closed = 0

    def get_extra_info(self, name, default=None):
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8000)}.get(name, default)

    def write(self, data):
        pass

    def close(self):
        self.closed += 1

    def is_closing(self):
        return self.closed > 0


def test_a_connection_already_closing_at_the_deadline_is_left_to_close():
    """The server closed the connection (its shutdown) while the headers were awaited: when the deadline comes, the
    connection is not closed a second time nor logged as a client too slow. The connection takes uvicorn's own
    arguments as uvicorn's H11Protocol does, by position too."""
    import uvicorn
    from uvicorn.server import ServerState

    from classifier.serve.connections import HeaderDeadline

    loop = asyncio.new_event_loop()
    try:
        config = uvicorn.Config(ping_app(0.05), log_config=None)
        connection = HeaderDeadline(config, ServerState(), {}, loop, header_seconds=0.05)
        transport = Transport()
        with listening("uvicorn.error", logging.DEBUG) as lines:
            connection.connection_made(transport)
            assert connection.header_deadline is not None
            transport.close()
            loop.run_until_complete(asyncio.sleep(0.2))
        assert transport.closed == 1 and connection.header_deadline is None
        assert [record.getMessage() for record in lines] == []
        connection.connection_lost(None)
    finally:
        loop.close()


def test_the_listening_socket_takes_a_free_port_reuses_an_address_and_closes_itself_when_the_port_is_taken(
    monkeypatch,
):
    """`serve` binds before it starts: port 0 is any free port, SO_REUSEADDR is set as uvicorn itself sets it (a port
    left in TIME_WAIT by the last run is taken again), and a port in use is an OSError with no socket left open."""
    from classifier.serve.app import listening_socket

    with listening_socket("127.0.0.1", 0) as sock:
        assert sock.family == socket.AF_INET and sock.type == socket.SOCK_STREAM
        host, port = sock.getsockname()
        assert host == "127.0.0.1" and port > 0
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR) != 0
        sock.listen()
        made = []
        real = socket.socket

        def recorded(*args, **options):
            made.append(real(*args, **options))
            return made[-1]

        monkeypatch.setattr(socket, "socket", recorded)
        with pytest.raises(OSError, match="Address already in use"):
            listening_socket("127.0.0.1", port)
        assert len(made) == 1 and made[0].fileno() == -1


def test_an_answer_names_no_server_and_the_server_logs_at_info(monkeypatch):
    """`serve` says nothing of what it runs on (no `server: uvicorn` header), and logs its start and each request
    (uvicorn's INFO lines) whatever level its loggers had."""
    from classifier.serve.app import http_server

    for name in ("uvicorn.error", "uvicorn.access"):
        monkeypatch.setattr(logging.getLogger(name), "level", logging.WARNING)
    server = http_server(ping_app(5.0))
    assert [logging.getLogger(name).level for name in ("uvicorn.error", "uvicorn.access")] == [logging.INFO] * 2
    with served_in_thread(server) as port, socket.create_connection(("127.0.0.1", port), timeout=10) as sent:
        sent.sendall(PING)
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sent.recv(65536)
            assert chunk, f"closed after {head!r}"
            head += chunk
    lines = head.partition(b"\r\n\r\n")[0].split(b"\r\n")
    assert lines[0] == b"HTTP/1.1 200 OK"
    assert sorted(line.split(b":")[0].lower() for line in lines[1:]) == [b"content-length", b"content-type", b"date"]


def test_an_ipv6_address_is_listened_on_with_an_ipv6_socket(monkeypatch):
    """Bound by a stand-in for the socket (the tests listen on 127.0.0.1 only): `--host ::1` needs an AF_INET6
    socket, which an AF_INET one cannot be bound to."""
    from classifier.serve.app import listening_socket

    made = []

    class Recorded:
        def __init__(self, family=socket.AF_INET, kind=socket.SOCK_STREAM):
            made.append(self)
            self.family, self.kind, self.bound = family, kind, None

        def setsockopt(self, *option):
            pass

        def bind(self, address):
            self.bound = address

    monkeypatch.setattr(socket, "socket", Recorded)
    assert listening_socket("::1", 8123) is made[0]
    assert (made[0].family, made[0].kind, made[0].bound) == (socket.AF_INET6, socket.SOCK_STREAM, ("::1", 8123))
    listening_socket("127.0.0.1", 8123)
    assert (made[1].family, made[1].bound) == (socket.AF_INET, ("127.0.0.1", 8123))
