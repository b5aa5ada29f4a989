"""The runners: results in order, and the shared object sent to each worker once, not once per chunk."""

import logging
import os
import sys
import time

import pytest

from classifier.workflows.runners import map_ordered


class Shared:
    """Appends the process id to a file each time it is unpickled, to count how often it travelled."""

    def __init__(self, log, offset=0):
        self.log = str(log)
        self.offset = offset

    def __reduce__(self):
        return (_arrive, (self.log, self.offset))


def _arrive(log, offset):
    with open(log, "a") as handle:
        handle.write(f"{os.getpid()}\n")
    return Shared(log, offset)


def square_all(shared, chunk):
    return [x * x + shared.offset for x in chunk], os.getpid()


CHUNKS = [list(range(i, i + 5)) for i in range(0, 100, 5)]


def check(results, log, offset=0, forked=False):
    assert [values for values, _ in results] == [[x * x + offset for x in chunk] for chunk in CHUNKS]
    arrivals = log.read_text().split() if log.exists() else []
    pids = [str(pid) for _, pid in results]
    if forked:  # the first chunk ran here, then the workers were forked with the object in memory: it never travelled
        assert pids[0] == str(os.getpid()) and str(os.getpid()) not in pids[1:]
        workers = set(pids[1:])
        assert arrivals == [] and len(workers) >= 1
    else:  # each worker received the shared object once, however many of the 20 chunks it ran
        workers = set(pids)
        assert str(os.getpid()) not in workers
        assert sorted(arrivals) == sorted(set(arrivals)) and set(arrivals) >= workers


def test_in_process_keeps_order(tmp_path):
    results = list(map_ordered(square_all, Shared(tmp_path / "log"), CHUNKS))
    assert [values for values, _ in results] == [[x * x for x in chunk] for chunk in CHUNKS]


def test_worker_processes_get_the_shared_object_once(tmp_path):
    log = tmp_path / "log"
    import threading

    # On Linux, while no other thread runs (another test may have left one), the first chunk runs here and the
    # workers are then forked with the object loaded (no import, no unpickling); else each unpickles it once.
    forked = sys.platform.startswith("linux") and threading.active_count() == 1
    results = list(map_ordered(square_all, Shared(log, offset=7), CHUNKS, jobs=2))
    check(results, log, offset=7, forked=forked)
    assert len(log.read_text().split() if log.exists() else []) <= 2


def test_while_another_thread_runs_the_workers_are_started_afresh_not_forked(tmp_path):
    """A fork copies the locks other threads hold (a progress bar's thread writing to stderr): a worker that then
    takes one would wait for ever. With a thread running, each worker starts afresh and unpickles the object."""
    import threading

    log, stop = tmp_path / "log", threading.Event()
    thread = threading.Thread(target=stop.wait, name="progress bar")
    thread.start()
    try:
        results = list(map_ordered(square_all, Shared(log, offset=7), CHUNKS, jobs=2))
    finally:
        stop.set()
        thread.join()
    check(results, log, offset=7, forked=False)


def test_dask_workers_get_the_shared_object_once(tmp_path):
    distributed = pytest.importorskip("distributed")
    log = tmp_path / "log"
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        results = list(map_ordered(square_all, Shared(log), CHUNKS, dask=cluster.scheduler_address))
    check(results, log)


def worker_settings(shared, chunk):
    import dask
    from distributed import get_client

    stealing = get_client().run_on_scheduler(lambda dask_scheduler: "stealing" in dask_scheduler.extensions)
    profiling = dask.config.get("distributed.worker.profile.enabled")
    return [(profiling, stealing, os.environ.get("MALLOC_TRIM_THRESHOLD_"))], os.getpid()


def test_the_local_dask_cluster_runs_without_the_profiler_and_work_stealing(tmp_path, monkeypatch):
    """`--dask local` turns off what costs CPU and does nothing for our chunks, and starts its workers without
    Dask's MALLOC_TRIM_THRESHOLD_ (which makes glibc map and unmap every large block); the caller's own Dask
    configuration and environment are left as they were."""
    pytest.importorskip("distributed")
    import dask

    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    results = list(map_ordered(worker_settings, None, [[0], [1], [2]], jobs=2, dask="local"))
    assert [settings for settings, _ in results] == [[(False, False, None)]] * 3
    assert dask.config.get("distributed.worker.profile.enabled") is True
    assert dask.config.get("distributed.scheduler.work-stealing") is True
    assert dask.config.get("distributed.nanny.pre-spawn-environ")["MALLOC_TRIM_THRESHOLD_"] == 65536
    assert "MALLOC_TRIM_THRESHOLD_" not in os.environ  # the nannies set it in this process before spawning


def scheduler_pages(shared, chunk):
    from distributed import get_client

    def where(dask_scheduler):
        pages = dask_scheduler.services["dashboard"]
        return pages.address, pages.port

    return [get_client().run_on_scheduler(where)], os.getpid()


def test_two_local_dask_runs_at_once_do_not_contend_for_a_port_and_stay_on_the_loopback(recwarn):
    """The scheduler's pages (health, metrics) listen on a free port of 127.0.0.1: a run that starts while another
    holds 8787, Dask's default, prints no warning about it, and nothing listens beyond this machine."""
    pytest.importorskip("distributed")
    import socket

    with socket.socket() as other_run:
        try:
            other_run.bind(("127.0.0.1", 8787))
        except OSError:  # a real Dask run holds it already: the same situation
            pass
        other_run.listen()
        results = list(map_ordered(scheduler_pages, None, [[0]], jobs=1, dask="local"))
    [(host, port)] = results[0][0]
    assert host == "127.0.0.1" and port != 8787
    assert not [w for w in recwarn if "already in use" in str(w.message)]


@pytest.mark.parametrize("stop", ["error", "close"])
def test_a_caller_that_stops_early_leaves_nothing_that_holds_up_its_exit(stop):
    """A caller that fails, or stops reading, after the first result: the pool's threads end and the program
    exits with the caller's own outcome."""
    import subprocess
    import sys

    code = f"""
from classifier.workflows.runners import map_ordered

def slow_square(shared, chunk):
    import time
    time.sleep(0.05)
    return [x * x for x in chunk]

results = map_ordered(slow_square, None, [[i] for i in range(40)], jobs=2)
first = next(results)
if {stop!r} == "close":
    results.close()
    print("closed", first)
else:
    try:
        results.throw(RuntimeError("the caller failed"))
    except RuntimeError:
        print("failed", first)
import threading
managers = [t for t in threading.enumerate() if t.name == "ExecutorManagerThread"]
for thread in managers:
    thread.join(timeout=30)
print("pool threads left:", sum(t.is_alive() for t in managers))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"{ {'error': 'failed', 'close': 'closed'}[stop] } [0]",
        "pool threads left: 0",
    ]


def _ctrl_c_before_the_call_starts(monkeypatch):
    """Ctrl-C on `sync`'s first wait, before its call began: distributed then logs a NameError from `cancel`."""
    import asyncio
    import threading

    import distributed.utils
    from distributed.utils import LoopRunner, sync

    class CtrlCAtOnce(threading.Event):
        def wait(self, timeout=None):
            raise KeyboardInterrupt

    async def call():
        await asyncio.sleep(0.01)

    runner = LoopRunner(asynchronous=False)
    runner.start()
    gate = threading.Event()
    runner.loop.add_callback(gate.wait, 30)  # the loop waits till Ctrl-C has queued the cancel behind the call
    with monkeypatch.context() as patch, pytest.raises(KeyboardInterrupt):
        patch.setattr(distributed.utils.threading, "Event", CtrlCAtOnce)
        sync(runner.loop, call)
    gate.set()
    sync(runner.loop, asyncio.sleep, 0.05)  # the loop has run the cancel callback by then
    runner.stop()


@pytest.mark.parametrize("quieted", [False, True])
def test_ctrl_c_early_in_a_dask_run_prints_no_traceback(monkeypatch, quieted):
    """The race the `--dask` Ctrl-C test met in CI: without the filter the traceback is logged (so the test sees
    the real race), with it nothing is."""
    import logging

    pytest.importorskip("distributed", reason="the dask extra is not installed")
    from classifier.workflows import runners

    logger = logging.getLogger("tornado.application")
    monkeypatch.setattr(logger, "filters", [])
    if quieted:
        runners._quiet_the_cancel_race()
        runners._quiet_the_cancel_race()  # once is enough, twice adds nothing
    seen = []
    handler = logging.Handler()
    handler.emit = seen.append
    logger.addHandler(handler)
    try:
        _ctrl_c_before_the_call_starts(monkeypatch)
    finally:
        logger.removeHandler(handler)
    assert len(logger.filters) == quieted
    assert [type(record.exc_info[1]) for record in seen] == ([] if quieted else [NameError])


def test_output_the_caller_has_not_flushed_is_written_once():
    """Workers forked while the caller holds unflushed output (a CSV header, a progress line without its end) would
    write their copy of it again as they exit; the caller's text appears once, in its order."""
    import subprocess

    code = """
import sys
from classifier.workflows.runners import map_ordered

def double(shared, chunk):
    return [2 * x for x in chunk]

sys.stdout.write("header\\n")
sys.stdout.buffer.write(b"raw header\\n")
sys.stderr.write("progress without its end")
print(sum(x for chunk in map_ordered(double, None, [[1], [2], [3], [4]], jobs=2) for x in chunk))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "header\nraw header\n20\n"
    assert result.stderr == "progress without its end"


def memory_check_of_the_pool(shared, chunk):
    from joblib.externals.loky import process_executor

    return [process_executor._USE_PSUTIL], os.getpid()


def test_a_worker_whose_memory_grew_is_not_replaced():
    """The pool would replace a worker whose memory grew by 300 MB (with psutil installed, as Dask installs it): ours
    grows by its table of words, no leak, and a replacement would be forked from the pool's thread."""
    results = list(map_ordered(memory_check_of_the_pool, None, [[0], [1], [2], [3]], jobs=2))
    workers = [checks for checks, pid in results if pid != os.getpid()]
    assert workers and all(checks == [False] for checks in workers)


def test_a_thread_started_while_the_first_chunk_ran_keeps_the_workers_from_being_forked():
    """In a fresh process (no thread left by other tests), the first chunk runs here and starts a thread, as a
    progress bar might: the workers are then started afresh, each unpickling the object, not forked."""
    import subprocess

    code = """
import os, threading, time
from classifier.workflows.runners import map_ordered

class Shared:
    def __reduce__(self):
        return (arrived, ())

def arrived():
    print("arrived", os.getpid(), flush=True)
    return Shared()

def square(shared, chunk):
    if os.getpid() == caller and threading.active_count() == 1:
        threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
    started = open("/proc/self/cmdline", "rb").read() != command  # afresh, by the pool: forked, it would be ours
    return [x * x for x in chunk], os.getpid(), started

caller, command = os.getpid(), open("/proc/self/cmdline", "rb").read()
results = list(map_ordered(square, Shared(), [[i] for i in range(6)], jobs=2))
print("first", results[0][1] == caller, "rest", sorted({pid for _, pid, _ in results[1:]}))
print("started afresh", all(started for _, _, started in results[1:]))
print("values", [values for values, _, _ in results])
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == f"values {[[i * i] for i in range(6)]}"
    assert lines[-2] == "started afresh True"  # each worker's command line is the pool's, not the caller's
    first, rest = lines[-3].split(" rest ")
    assert first == "first True"  # the first chunk ran in the caller, which forks only while it runs no thread
    workers = {int(pid) for pid in rest.strip("[]").split(", ")}
    arrived = {int(line.split()[1]) for line in lines if line.startswith("arrived ")}
    # Started afresh, each worker unpickled the object. Its line is looked for only if any came: one CI run had the
    # workers' command lines right and caught none of their output.
    assert workers and (not arrived or workers <= arrived)


def worker_log_filter(shared, chunk):
    import logging

    def kept(message, error):
        try:
            raise error
        except OSError:
            record = logging.LogRecord("distributed.worker", logging.ERROR, "w.py", 1, message, ("a", "b"), None)
            record.exc_info = sys.exc_info()
        return logging.getLogger("distributed.worker").filter(record)

    return [
        kept("failed during get data with %s -> %s", BrokenPipeError(32, "Broken pipe")),
        kept("failed during get data with %s -> %s", ConnectionResetError(104, "Connection reset by peer")),
        kept("failed to communicate with %s -> %s", BrokenPipeError(32, "Broken pipe")),
    ], os.getpid()


def test_the_local_dask_cluster_workers_keep_quiet_when_a_peer_goes(tmp_path):
    """On Ctrl-C the command closes its cluster; a worker still sending data to one that has gone logged the broken
    pipe with its traceback, printed over the command's one-line message. Only that note is left out."""
    pytest.importorskip("distributed")
    results = list(map_ordered(worker_log_filter, None, [[0], [1]], jobs=2, dask="local"))
    assert [kept for kept, _ in results] == [[False, False, True]] * 2


def worker_after_ctrl_c(shared, chunk):
    import signal

    before = logging.root.manager.disable
    os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C reaches the whole process group, each worker too
    deadline = time.monotonic() + 30
    while logging.root.manager.disable == before and time.monotonic() < deadline:
        time.sleep(0.01)  # the worker's main thread runs the handler
    return [logging.root.manager.disable, logging.getLogger("distributed.worker").isEnabledFor(logging.ERROR)]


def test_the_local_dask_cluster_workers_say_nothing_after_ctrl_c():
    """After Ctrl-C a worker logged, with its traceback, the heartbeat it could not send to the scheduler the command
    had closed; printed over the command's one-line message. From Ctrl-C on a worker logs nothing, and goes on."""
    pytest.importorskip("distributed")
    results = list(map_ordered(worker_after_ctrl_c, None, [[0], [1]], jobs=2, dask="local"))
    assert results == [[logging.CRITICAL, False]] * 2


def die_in_a_worker(parent, chunk):
    import signal

    if os.getpid() != parent:  # the caller runs the first chunk itself when it forks its workers
        os.kill(os.getpid(), signal.SIGKILL)  # as the system's out-of-memory killer ends a process
    return chunk


def test_a_worker_killed_in_the_middle_of_a_run_is_one_line():
    """A worker killed (the system out of memory, a kill -9) broke the pool, whose error ran over four lines under
    a traceback of the command; it is one line saying what happened."""
    from classifier.workflows.runners import WorkerLostError

    with pytest.raises(WorkerLostError) as lost:
        list(map_ordered(die_in_a_worker, os.getpid(), [[1], [2], [3], [4]], jobs=2))
    assert str(lost.value) == (
        "a worker process ended in the middle of the run (exit SIGKILL(-9)): killed (the system kills one when memory "
        "runs out) or crashed"
    )


def test_a_dask_worker_killed_in_the_middle_of_a_run_is_one_line():
    """Killed, the only worker of a cluster took the model sent to it along: the run ended with a traceback of a
    future 'cancelled for reason: already forgotten'."""
    pytest.importorskip("distributed")
    from classifier.workflows.runners import WorkerLostError

    with pytest.raises(WorkerLostError) as lost:
        list(map_ordered(die_in_a_worker, os.getpid(), [[1], [2]], jobs=1, dask="local"))
    assert str(lost.value) == (
        "a worker process ended in the middle of the run: killed (the system kills one when memory runs out) or crashed"
    )
