"""Start `classifier serve` in a subprocess on a free loopback port, and wait until it answers; or its own uvicorn
server in a thread of the test's process (`served_in_thread`)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

STARTUP_SECONDS = 90
ROOT = Path(__file__).resolve().parent.parent


def queue_rows(n: int) -> list[dict]:
    """The first `n` documents of the shipped unlabelled corpus."""
    lines = (ROOT / "training" / "data" / "unlabelled.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines[:n]]


def write_queue(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A running server process and the address it answers on."""

    def __init__(self, process: subprocess.Popen, port: int, log: Path):
        self.process = process
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = log

    def get(self, path: str) -> dict:
        with urllib.request.urlopen(self.url + path, timeout=30) as response:
            return json.loads(response.read())

    def kill(self, sig=signal.SIGKILL) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=30)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextlib.contextmanager
def running_server(tmp_path: Path, *args: str, env: dict | None = None):
    """`classifier serve ARGS` on 127.0.0.1 and a free port; killed at the end."""
    last_error = None
    for _ in range(3):  # another process may take the free port between our check and the bind
        port = free_port()
        log = tmp_path / f"server-{port}.log"
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "classifier", "serve", "--host", "127.0.0.1", "--port", str(port), *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, **(env or {})},
            )
        server = Server(process, port, log)
        try:
            if _wait_ready(server):
                try:
                    yield server
                finally:
                    server.kill(signal.SIGTERM)
                return
            last_error = server.output()
        finally:
            server.kill()
        if "address already in use" not in (last_error or "").lower():
            break
    raise RuntimeError(f"the server did not start:\n{last_error}")


def _wait_ready(server: Server) -> bool:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        try:
            if server.get("/v1/ready")["ready"]:
                return True
        except OSError:
            time.sleep(0.1)
    return False


@contextlib.contextmanager
def served_in_thread(app):
    """The port of `serve`'s own uvicorn server answering `app` (or that server, made already: making it sets up
    uvicorn's logging, which a test listening to it must find done) on 127.0.0.1, in a thread of this process, stopped
    (and checked stopped) when the block ends."""
    from classifier.serve.app import http_server, listening_socket

    sock, server = listening_socket("127.0.0.1", 0), app if hasattr(app, "should_exit") else http_server(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert server.started
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        server.force_exit = True  # a request still running (a test that failed) is not waited for
        thread.join(timeout=5)
        sock.close()
    assert not thread.is_alive()
