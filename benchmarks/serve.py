"""Benchmark: `classifier serve` under a bounded load on loopback, and suggest-batch against `tag --jobs 1`.

Run from the repository root with the serve extra installed:
    python benchmarks/serve.py [--requests 2000] [--clients 4] [--max-seconds 120] [--documents 4096] [--rounds 3]
        [--write benchmarks/README.md]

It starts the server on 127.0.0.1 (a free port) with the shipped model, and sends it only a fixed
number of requests, stopping early at --max-seconds; nothing is sent anywhere but this machine.
1. Load: --clients threads, each on its own keep-alive connection, share --requests `suggest` calls
   (one ~1 KB document each, url-encoded as Annif's client sends it): throughput, p50 and p99 latency,
   errors (any answer but 200, or no answer), and the server's resident memory before and after.
2. Batch: the same --documents documents through `suggest-batch` (32 per call; one client, then two
   sharing the calls, so one request waits while another is answered), and
   through `classifier tag --jobs 1` into a JSONL file; documents per second of each, and the ratio.
   The tag rate is the one it reports (after loading the model), the server's is from its first batch
   to its last (the server had loaded the model before), so neither counts start-up. The two take
   turns for --rounds rounds and the medians are shown, since other work on the machine drifts over
   minutes. Beside them, the model's own `predict_proba` in this process, in chunks of 32 and of 512
   (tag's chunk): what the batch size costs before any HTTP.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from batch import generate, tree_rss

from report import publish

ROOT = Path(__file__).resolve().parent.parent
BATCH = 32  # Annif's (and our) most documents per suggest-batch call


def process_cpu(pid: int) -> float:
    """CPU seconds (user and system) a process has used so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "classifier", "serve", "--host", "127.0.0.1", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server did not start: {log.read_text()[-1000:]}")
        try:
            status, _ = request(http.client.HTTPConnection("127.0.0.1", port, timeout=5), "GET", "/v1/ready")
            if status == 200:
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the server did not answer within 120 s")


def request(connection: http.client.HTTPConnection, method: str, path: str, body: bytes | None = None, headers=None):
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    return response.status, response.read()


def load_test(port: int, texts: list[str], total: int, clients: int, max_seconds: float) -> dict:
    """`total` suggest calls shared by `clients` threads; no call is started after `max_seconds`."""
    bodies = [urllib.parse.urlencode({"text": text, "limit": 10}).encode() for text in texts]
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    latencies: list[float] = []
    errors = [0]
    counter = iter(range(total))
    lock = threading.Lock()
    stop_at = time.perf_counter() + max_seconds

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while time.perf_counter() < stop_at:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            start = time.perf_counter()
            try:
                status, _ = request(
                    connection, "POST", "/v1/projects/default/suggest", bodies[i % len(bodies)], headers
                )
            except (OSError, http.client.HTTPException):
                status = 0
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)
                if status != 200:
                    errors[0] += 1
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    latencies.sort()
    return {
        "requests": len(latencies),
        "wall": wall,
        "rate": len(latencies) / wall,
        "errors": errors[0],
        "p50": latencies[len(latencies) // 2],
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
    }


def batch_rate(port: int, pid: int, texts: list[str], clients: int = 1) -> tuple[float, float, int]:
    """Documents per second through suggest-batch, the batches shared by `clients` threads; per wall
    second, and per CPU second of the server."""
    batches = [
        [{"document_id": str(i + j), "text": text} for j, text in enumerate(texts[i : i + BATCH])]
        for i in range(0, len(texts), BATCH)
    ]
    bodies = iter([json.dumps({"documents": documents}).encode() for documents in batches])
    errors = [0]
    lock = threading.Lock()

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while True:
            with lock:
                body = next(bodies, None)
            if body is None:
                break
            status, _ = request(
                connection,
                "POST",
                "/v1/projects/default/suggest-batch?limit=10",
                body,
                {"Content-Type": "application/json"},
            )
            if status != 200:
                with lock:
                    errors[0] += 1
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start, start_cpu = time.perf_counter(), process_cpu(pid)
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(texts) / (time.perf_counter() - start), len(texts) / (process_cpu(pid) - start_cpu), errors[0]


def tag_rate(corpus: Path, tiny: Path, workdir: Path) -> tuple[float, float]:
    """`tag --jobs 1`'s own documents per second (after loading the model), and documents per CPU
    second of the command less what the same command costs on a one-document corpus (start-up, loading)."""
    import resource

    def cpu_of(path: Path) -> tuple[float, str]:
        output = workdir / "tags.jsonl"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        result = subprocess.run(
            [sys.executable, "-m", "classifier", "tag", str(path), "--output", str(output), "--force", "--jobs", "1"],
            capture_output=True,
            text=True,
            check=True,
        )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        output.unlink()
        return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), result.stderr

    cpu, stderr = cpu_of(corpus)
    fixed, _ = cpu_of(tiny)
    documents = int(re.search(r"(\d+) documents tagged", stderr).group(1))
    return float(re.search(r"([\d.]+) documents/s", stderr).group(1)), (documents - 1) / (cpu - fixed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="suggest calls in the load test (a fixed count)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients in the load test")
    parser.add_argument("--max-seconds", type=float, default=120.0, help="no load-test call starts after this")
    parser.add_argument("--documents", type=int, default=4096, help="documents for suggest-batch and tag")
    parser.add_argument("--rounds", type=int, default=3, help="turns of suggest-batch and tag (medians shown)")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "classifier-serve-bench")
    parser.add_argument("--write", type=Path, help="Write the results table to this Markdown file.")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    corpus = args.workdir / f"corpus-{args.documents}.jsonl"
    if not corpus.exists():
        generate(corpus, args.documents)
    tiny = args.workdir / "corpus-1.jsonl"
    tiny.write_text(corpus.read_text(encoding="utf-8").split("\n", 1)[0] + "\n", encoding="utf-8")
    texts = []
    with open(corpus, encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            texts.append(f"{row['title']}\n{row['text']}")

    port = free_port()
    server = start_server(port, args.workdir / "server.log")
    runs: dict[str, list[tuple[float, float]]] = {"batch1": [], "batch2": [], "tag": [], "floor32": [], "floor512": []}
    batch_errors = 0
    try:
        rss_start = tree_rss(server.pid)
        load_test(port, texts, min(100, args.requests), args.clients, args.max_seconds)  # warm-up
        rss_before = tree_rss(server.pid)
        load = load_test(port, texts, args.requests, args.clients, args.max_seconds)
        rss_after = tree_rss(server.pid)
        from classifier import load_model

        model = load_model()
        for _ in range(args.rounds):
            for name, clients in (("batch1", 1), ("batch2", 2)):
                wall, cpu, errors = batch_rate(port, server.pid, texts, clients)
                runs[name].append((wall, cpu))
                batch_errors += errors
            runs["tag"].append(tag_rate(corpus, tiny, args.workdir))
            runs["floor32"].append(floor_rate(model, texts, 32))
            runs["floor512"].append(floor_rate(model, texts, 512))
        rss_batch = tree_rss(server.pid)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    print(json.dumps({**load, "rss": [rss_start, rss_before, rss_after, rss_batch], **runs}), flush=True)
    wall = {name: median([w for w, _ in values]) for name, values in runs.items()}
    cpu = {name: median([c for _, c in values]) for name, values in runs.items()}

    mb = lambda n: f"{n / 2**20:,.0f} MB"  # noqa: E731
    names = {
        "batch1": f"`suggest-batch`, {BATCH} per call, 1 client",
        "batch2": f"`suggest-batch`, {BATCH} per call, 2 clients",
        "tag": "`tag --jobs 1`",
        "floor32": "floor: `predict_proba` in chunks of 32",
        "floor512": "floor: `predict_proba` in chunks of 512",
    }
    table = "\n".join(
        [
            f"Measured on {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; server and "
            f"clients on the same machine over loopback. Documents of about 1 KB (generated as in `batch.py`).",
            "",
            f"Load: {args.clients} concurrent clients, {load['requests']:,} `suggest` calls "
            f"(a fixed count; cap {args.max_seconds:.0f} s), after 100 calls of warm-up.",
            "",
            "| calls | wall s | calls/s | p50 | p99 | errors | RSS at start | RSS before | RSS after |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
            f"| {load['requests']:,} | {load['wall']:.1f} | {load['rate']:,.0f} | {load['p50'] * 1000:.1f} ms | "
            f"{load['p99'] * 1000:.1f} ms | {load['errors']} | {mb(rss_start)} | {mb(rss_before)} | {mb(rss_after)} |",
            "",
            f"Batch: the same {args.documents:,} documents through `suggest-batch` ({BATCH} per call; one client, "
            "then two sharing the calls) and `classifier tag --jobs 1`, taking turns; medians of "
            f"{args.rounds} rounds. Per CPU second: documents per CPU second of the server process (of the `tag` "
            "command less its cost on a one-document corpus, i.e. start-up and loading; of this process for the "
            "floors), which holds when other work shares the machine; the ratio is taken on it. Per wall second: "
            "`tag`'s own rate after loading the model. The floors are the model's `predict_proba` in one process, "
            f"no HTTP, no reading or writing. {batch_errors} errors.",
            "",
            "| run | documents per wall s | documents per CPU s | ratio to tag (per CPU s) |",
            "| --- | ---: | ---: | ---: |",
            *[
                f"| {names[name]} | {wall[name]:,.0f} | {cpu[name]:,.0f} | {cpu[name] / cpu['tag']:.2f}x |"
                for name in names
            ],
            "",
            f"Server RSS after the batches: {mb(rss_batch)}.",
        ]
    )
    publish(table, args.write, "serve")


def floor_rate(model, texts: list[str], size: int) -> tuple[float, float]:
    start, start_cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(texts), size):
        model.predict_proba(texts[i : i + size])
    return len(texts) / (time.perf_counter() - start), len(texts) / (time.process_time() - start_cpu)


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


if __name__ == "__main__":
    main()
