"""`classifier serve` as a command: the plain install never imports the server, and a missing extra is one line."""

import os
import stat
import subprocess
import sys
import threading

import pytest
from typer.testing import CliRunner

from classifier.cli import app


def test_the_command_line_does_not_import_the_server_until_serve_runs():
    code = (
        "import sys, classifier.cli; print(sorted(m for m in ('fastapi', 'uvicorn', 'starlette') if m in sys.modules))"
    )
    assert (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"
    )


def test_without_the_serve_extra_serve_says_what_to_install(monkeypatch):
    monkeypatch.setitem(
        sys.modules, "fastapi", None
    )  # import fastapi now raises ImportError, as when it is not installed
    monkeypatch.delitem(sys.modules, "classifier.serve.app", raising=False)
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "error: classifier serve needs FastAPI and uvicorn (fastapi is missing): "
        "pip install 'osce-topic-classifier[serve]'"
    ]


def test_a_queue_without_a_labels_file_is_a_usage_error(tmp_path):
    pytest.importorskip("fastapi", reason="the serve extra is not installed")
    queue = tmp_path / "queue.jsonl"
    queue.write_text('{"id": "a", "text": "x"}\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["serve", "--queue", str(queue)])
    assert result.exit_code == 2
    assert "--queue needs --labels FILE" in result.output


def test_unreadable_inputs_and_a_broken_labels_file_are_reported_in_one_line_each(tmp_path, monkeypatch):
    pytest.importorskip("fastapi", reason="the serve extra is not installed")
    import classifier.serve.app

    served = []

    def serve(app, sock):
        served.append(sock.getsockname())
        sock.close()

    monkeypatch.setattr(classifier.serve.app, "serve", serve)
    labels = tmp_path / "labelled.jsonl"
    labels.write_text(
        '{"id": "a", "text": "Observers watched the vote.", "labels": ["Youth"]}\n{"id": "b", "lab\n'
        '{"id": "c", "labels": ["Youth"]}\n{"id": "d", "text": "x", "labels": ["Astrology"]}\n',
        encoding="utf-8",
    )
    missing, done = str(tmp_path / "missing.jsonl"), tmp_path / "done.jsonl"
    done.write_text('{"id": "a", "text": "Observers watched the vote."}\n', encoding="utf-8")
    command = ["serve", "--port", "0", "--queue", missing, "--queue", str(done), "--labels", str(labels)]
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 0 and len(served) == 1 and served[0][0] == "127.0.0.1" and served[0][1] > 0
    lines = result.output.splitlines()
    # --port 0 takes any free port, and the page's address says which.
    assert any(f"the page at http://127.0.0.1:{served[0][1]}/" in line for line in lines)
    assert f"error: {tmp_path / 'missing.jsonl'}: no such file or directory" in lines
    # Named by its line, as train names it when it refuses the file for it.
    assert (
        f"warning: {labels}:2: not a JSON row; it is kept but not counted, and train refuses the file until it is fixed"
    ) in lines
    # Rows train would refuse are said before any decision is added to them.
    assert (
        f"warning: {labels}:3: no text in column 'text' (and 1 more); such rows are not taken for decisions, and "
        "train refuses the file until they are fixed"
    ) in lines
    assert any(line.startswith("review queue: 0 documents") for line in lines)


@pytest.mark.parametrize(
    ("host", "status", "more"),
    [("127.0.0.1", 421, []), ("localhost", 421, []), ("0.0.0.0", 200, []), ("127.0.0.1", 200, ["rebound.example"])],
)
def test_a_server_on_this_machine_only_refuses_other_host_names(monkeypatch, host, status, more):
    """Served on this machine only, a request naming another host (a site whose name was pointed at 127.0.0.1)
    is refused; told to listen on every address, the server cannot know its names and answers them all."""
    pytest.importorskip("fastapi", reason="the serve extra is not installed")
    pytest.importorskip("httpx2", reason="httpx2 (the test client of FastAPI) is in the test extra")
    from fastapi.testclient import TestClient

    import classifier.serve.app

    answers = []

    def serve(service, sock):
        sock.close()
        client = TestClient(service)
        answers.append(client.get("/v1/health", headers={"host": "rebound.example:8000"}).status_code)
        answers.append(client.get("/v1/health", headers={"host": "127.0.0.1:8000"}).status_code)

    monkeypatch.setattr(classifier.serve.app, "serve", serve)
    allowed = [option for name in more for option in ("--allowed-host", name)]
    result = CliRunner().invoke(app, ["serve", "--port", "0", "--host", host, *allowed])
    assert result.exit_code == 0, result.output
    assert answers == [status, 200]


@pytest.mark.parametrize("host", ["::1", "[::1]"])
def test_an_ipv6_address_is_listened_on_bare_and_shown_in_brackets(monkeypatch, host):
    """Written as a URL writes it, [::1] was given to the socket with its brackets: "cannot listen on [[::1]]:8123".
    The socket is a stand-in (the tests listen on 127.0.0.1 only), as in test_connections."""
    pytest.importorskip("fastapi", reason="the serve extra is not installed")
    import classifier.serve.app

    bound, served = [], []

    class Listening:
        def __init__(self, host, port):
            bound.append((host, port))

        def getsockname(self):
            return (*bound[0], 0, 0)

    monkeypatch.setattr(classifier.serve.app, "listening_socket", Listening)
    monkeypatch.setattr(classifier.serve.app, "serve", lambda service, sock: served.append(service))
    result = CliRunner().invoke(app, ["serve", "--host", host, "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert bound == [("::1", 8123)] and len(served) == 1
    assert "projects: default; the page at http://[::1]:8123/, API docs at /docs" in result.output


def test_a_queue_of_which_nothing_can_be_read_stops_the_server_before_it_starts(tmp_path):
    pytest.importorskip("fastapi", reason="the serve extra is not installed")
    missing = tmp_path / "missing.jsonl"
    result = CliRunner().invoke(app, ["serve", "--queue", str(missing), "--labels", str(tmp_path / "labels.jsonl")])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"error: {missing}: no such file or directory",
        "error: --queue: none of its inputs could be read, so there is nothing to review",
    ]
    assert not (tmp_path / "labels.jsonl").exists()


def test_a_labels_file_that_is_also_a_queue_input_is_refused(tmp_path, monkeypatch):
    pytest.importorskip("fastapi", reason="the serve extra is not installed")
    import classifier.serve.app

    monkeypatch.setattr(classifier.serve.app, "serve", lambda app, sock: sock.close())  # never serve: return at once
    docs = tmp_path / "docs.jsonl"
    docs.write_text('{"id": "a", "title": "", "text": "Observers watched the vote."}\n', encoding="utf-8")
    before = docs.read_bytes()
    for queue in (str(docs), str(tmp_path / "*.jsonl")):  # the file itself, or a glob matching it
        result = CliRunner().invoke(app, ["serve", "--port", "0", "--queue", queue, "--labels", str(docs)])
        assert (result.exit_code, result.output) == (
            1,
            f"error: {docs}: the output is also an input ({queue}); write it somewhere else\n",
        )
    assert docs.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["docs.jsonl"]


def test_a_labels_file_that_is_a_link_is_refused_and_its_target_kept(tmp_path):
    pytest.importorskip("fastapi", reason="the serve extra is not installed")
    target, link = tmp_path / "shared.jsonl", tmp_path / "link.jsonl"
    target.write_text('{"id": "a", "title": "", "text": "Observers.", "labels": ["Elections"]}\n', encoding="utf-8")
    link.symlink_to(target)
    result = CliRunner().invoke(app, ["serve", "--port", "0", "--labels", str(link)])
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"error: {link}: is a symlink; writing would replace the link, so name its target instead"
    )
    assert link.is_symlink() and target.read_text(encoding="utf-8").count("\n") == 1


def test_a_second_server_on_the_same_labels_file_is_refused(tmp_path, monkeypatch):
    """Each server renames its own copy of the file over it: two would lose each other's rows."""
    pytest.importorskip("fastapi", reason="the serve extra is not installed")
    import classifier.cli
    import classifier.serve.app

    labels = tmp_path / "labelled.jsonl"
    second = []

    def serve(app, sock):  # while the first server runs, a second one starts on the same file
        sock.close()
        second.append(CliRunner().invoke(classifier.cli.app, ["serve", "--port", "0", "--labels", str(labels)]))

    monkeypatch.setattr(classifier.serve.app, "serve", serve)
    first = CliRunner().invoke(app, ["serve", "--port", "0", "--labels", str(labels)])
    assert first.exit_code == 0
    assert second[0].exit_code == 1
    assert (
        second[0]
        .output.strip()
        .endswith(
            f"error: {labels}: another run (process {os.getpid()}) is writing it; wait for it to end or write elsewhere"
        )
    )
    assert not (tmp_path / ".labelled.jsonl.lock").exists()  # the first server let it go when it stopped


def test_a_directory_as_the_labels_file_is_refused(tmp_path):
    pytest.importorskip("fastapi", reason="the serve extra is not installed")
    result = CliRunner().invoke(app, ["serve", "--labels", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.strip() == f"error: {tmp_path}: is a directory; --labels names the JSONL file decisions go to"


def _write_once_a_reader_opens(fifo, stop) -> None:
    """Open and close `fifo` for writing as soon as something reads it, which ends that read: a server that read the
    FIFO would otherwise wait for a writer forever, and the test with it."""
    while not stop.wait(0.1):
        try:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            return
        except OSError:  # nobody reads it (yet)
            pass


def test_a_fifo_as_the_labels_file_is_refused_without_waiting_for_a_writer(tmp_path, monkeypatch):
    pytest.importorskip("fastapi", reason="the serve extra is not installed")
    import classifier.serve.app

    fifo = tmp_path / "labelled.jsonl"
    os.mkfifo(fifo)
    monkeypatch.setattr(classifier.serve.app, "serve", lambda app, sock: sock.close())
    stop = threading.Event()
    threading.Thread(target=_write_once_a_reader_opens, args=(fifo, stop), daemon=True).start()
    try:
        result = CliRunner().invoke(app, ["serve", "--port", "0", "--labels", str(fifo)])
    finally:
        stop.set()
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"error: {fifo}: is not a regular file (a device, FIFO or socket); --labels names the JSONL file decisions "
        "go to"
    )
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and sorted(p.name for p in tmp_path.iterdir()) == ["labelled.jsonl"]


def test_a_port_in_use_is_one_line_and_exit_1_before_anything_else_is_said():
    pytest.importorskip("fastapi", reason="the serve extra is not installed")
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(app, ["serve", "--port", str(port)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [f"error: cannot listen on 127.0.0.1:{port}: Address already in use"]
