"""Run one function over a stream of chunks: in this process, in joblib worker processes, or on a Dask cluster.

Every runner yields the results in the order of the chunks and keeps only a few chunks in flight, so
memory stays flat however long the stream is. The shared object (the model) reaches each worker
once, when it starts, never once per chunk: on Linux the worker processes are forked with it loaded.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import multiprocessing.resource_tracker
import os
import pickle
import re
import signal
import sys
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import CancelledError
from concurrent.futures import wait as futures_wait
from concurrent.futures.process import BrokenProcessPool

from classifier.errors import ClassifierError

LOCAL_DASK = "local"


class RunnerError(ClassifierError, RuntimeError):
    """A runner could not start (a missing package, an unreachable scheduler); one line saying why."""


class WorkerLostError(RunnerError):
    """A worker process ended in the middle of a run (killed, as the system kills one when memory runs out, or
    crashed), with the chunk it held; one line saying so."""


DASK_MISSING = "--dask needs Dask's distributed scheduler: pip install 'osce-topic-classifier[dask]'"


# A scheduler's address: a protocol if any, a host (a name, an IPv4 address or a bracketed IPv6 one) and its port.
_DASK_ADDRESS = re.compile(r"(?:[a-z][a-z0-9+.-]*://)?(?:\[[0-9a-fA-F:.]+\]|[^\s/:\[\]]+):[0-9]{1,5}")


def check_dask_address(address: str) -> None:
    """RunnerError, in one line, for a --dask value that is no scheduler address ("local", or host and port): the
    connection refused it with a traceback, after the output was made."""
    if address != LOCAL_DASK and not _DASK_ADDRESS.fullmatch(address):
        raise RunnerError(
            f"--dask {address[:200]!r}: expected a scheduler's address with its port (tcp://host:8786, host:8786) or "
            f"'{LOCAL_DASK}' for a cluster on this machine"
        )


def check_dask() -> None:
    """RunnerError (one line saying what to install) unless Dask's distributed scheduler is installed; looked up,
    not imported, so that a run can refuse before it writes anything."""
    import importlib.util  # only with --dask

    if importlib.util.find_spec("distributed") is None:
        raise RunnerError(DASK_MISSING)


def default_jobs() -> int:
    """Every core this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def map_ordered(func: Callable, shared, chunks: Iterable, *, jobs: int = 1, dask: str | None = None) -> Iterator:
    """`func(shared, chunk)` for every chunk, in order.

    With `jobs` > 1 the calls run in worker processes from joblib's process pool (loky); on Linux the first
    chunk runs in this process and the workers are then forked from it (`_worker_context`), inheriting what
    that chunk filled in (the model's table of words, its matchers), which each would otherwise fill again.
    With `dask` (a scheduler address, or "local" for a cluster of `jobs` workers on this machine) the calls
    run on Dask workers. Either way `shared` (the model) travels to each worker once, when it starts, and
    stays there.
    """
    if dask:
        yield from _dask_map(func, shared, chunks, dask, jobs)
    elif jobs > 1:
        chunks, context = iter(chunks), _worker_context()
        if context is not None:  # forked workers inherit what the first chunk warmed in this process
            first = next(chunks, None)
            if first is None:
                return
            yield func(shared, first)
        try:
            yield from _process_map(func, shared, chunks, jobs, context)
        except BrokenProcessPool as exc:  # a worker gone: the pool's multi-line report becomes one line
            raise WorkerLostError(_lost_worker(exc)) from None
    else:
        for chunk in chunks:
            yield func(shared, chunk)


def _lost_worker(exc: BaseException) -> str:
    """What a broken pool says of its lost worker, in one line: its exit code or signal when the pool knows it."""
    codes = re.search(r"exit codes of the workers are \{(.*?)\}", str(exc))
    how = f" (exit {', '.join(sorted(set(codes[1].split(', '))))})" if codes else ""  # each lost worker listed: once
    return (
        f"a worker process ended in the middle of the run{how}: killed (the system kills one when memory runs out) or "
        "crashed"
    )


def _in_order(submit: Callable, chunks: Iterable, window: int) -> Iterator:
    """Submit chunks while at most `window` are in flight; yield their results in submission order."""
    in_flight: deque = deque()
    for chunk in chunks:
        in_flight.append(submit(chunk))
        if len(in_flight) >= window:
            yield in_flight.popleft().result()
    while in_flight:
        yield in_flight.popleft().result()


_WORKER_SHARED = None
# How long a caller that stops (not by Ctrl-C) waits for the chunks the workers hold before killing them.
STOP_GRACE_SECONDS = 10.0


def _start_worker(shared, parent: int | None = None) -> None:
    global _WORKER_SHARED
    # Ctrl-C reaches the whole process group; the parent stops the pool, so workers need not react. The worker
    # was started with SIGINT blocked (`_sigint_held`): one pending since is dropped as the block ends.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    if parent is not None:
        _die_with_parent(parent)
    _keep_worker()
    _WORKER_SHARED = shared


def _keep_worker() -> None:
    """Turn off the pool's replacement of a worker whose memory grew by 300 MB since its first call (with psutil
    installed, as Dask installs it). Ours grows by its table of words, which grows with the corpus's vocabulary and
    is no leak; and the replacement would be forked from the pool's manager thread, while the caller's threads run,
    which `_worker_context` keeps forks away from."""
    from joblib.externals.loky import process_executor  # imported already: this worker runs in its loop

    process_executor._USE_PSUTIL = False


def _die_with_parent(parent: int) -> None:
    """On Linux, have the kernel kill this worker when `parent`, the process that started it, dies, however it
    dies: a parent killed outright (SIGKILL, the out-of-memory killer) can stop nothing itself, and its workers
    would stay, idle, for ever."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # no prctl to call: the worker lives as before
        return
    if os.getppid() != parent:  # the parent died before the request was made, or is not this worker's parent
        os._exit(1)


_PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>


def _call_in_worker(func, chunk):
    return func(_WORKER_SHARED, chunk)


def _process_map(func, shared, chunks, jobs: int, context=None) -> Iterator:
    from joblib.externals.loky import ProcessPoolExecutor  # fitting only

    # Started here, not inside a submit: it unblocks SIGINT after it starts (Python 3.11's multiprocessing), which
    # would undo `_sigint_held` for the workers started after it.
    multiprocessing.resource_tracker.ensure_running()
    if context is not None and threading.active_count() > 1:  # a thread started since the caller chose to fork
        context = None
    before = set(multiprocessing.active_children())
    executor = ProcessPoolExecutor(
        max_workers=jobs, context=context, initializer=_start_worker, initargs=(shared, os.getpid())
    )
    submitted: deque = deque(maxlen=4 * jobs)  # the futures that may still be queued or running

    def submit(chunk):
        with _sigint_held():  # a submit may start the workers
            submitted.append(executor.submit(_call_in_worker, func, chunk))
        return submitted[-1]

    try:
        yield from _in_order(submit, chunks, 2 * jobs)
    except BaseException as exc:
        # The caller failed or stopped reading (the generator closed): the chunks not started are dropped and
        # the workers, which ignore Ctrl-C, get STOP_GRACE_SECONDS to finish the ones in hand, so that the pool
        # ends in order. Killed in the middle of a result, a worker leaves half of it in the pool's pipe and
        # the pool's manager thread waits for the rest for ever, holding up the interpreter's exit. Ctrl-C
        # (here, or in the caller's loop that closed the generator) stops at once, as does a stuck worker.
        for future in submitted:
            future.cancel()
        interrupted = isinstance(exc, KeyboardInterrupt) or isinstance(exc.__context__, KeyboardInterrupt)
        if not interrupted and not futures_wait(submitted, timeout=STOP_GRACE_SECONDS).not_done:
            executor.shutdown(wait=True)
            raise
        _kill_pool(executor, before)
        if interrupted and not isinstance(exc, KeyboardInterrupt):
            raise KeyboardInterrupt from None  # what the pool raised while a Ctrl-C tore it down is no news
        raise
    executor.shutdown(wait=True)


def _worker_context():
    """On Linux, and while this process runs no thread but its main one, workers forked from this process: they
    start with the model loaded and the package imported (about 0.5 CPU seconds each when started afresh: at 20,000
    documents an eighth of `tag --jobs 2`'s CPU). The pool forks them all at the first submit, from the caller's
    thread, before its own threads start, and neither times out idle workers nor replaces those that grew
    (`_keep_worker`), so it never forks one later; multiprocessing flushes the standard streams before forking,
    so no worker writes the caller's pending output again.

    Otherwise the pool's own way of starting them (None): a fork copies the locks other threads hold at that moment
    (a progress bar's thread in the middle of writing to stderr, a notebook's threads), and a worker that then
    takes one waits for ever; macOS cannot fork a process that may have used system frameworks safely, and
    Windows cannot fork at all."""
    if sys.platform.startswith("linux") and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return None


@contextlib.contextmanager
def _sigint_held():
    """Ctrl-C held back, not lost, while worker processes may be starting (in a submit).

    The workers inherit the blocked signal, so a Ctrl-C in the second a worker spends importing, before it ignores
    SIGINT, is never its own (it printed a KeyboardInterrupt traceback over the command's one-line message). In this
    process a Ctrl-C that lands meanwhile is raised as the block ends: raised inside the pool's start of a worker, it
    left the pool half-started and failed with another error."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending = []
    previous_handler = signal.signal(signal.SIGINT, lambda signum, frame: pending.append(signum))
    blocking = hasattr(signal, "pthread_sigmask")
    previous_mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}) if blocking else None
    try:
        yield
    finally:
        if blocking:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous_mask)  # one pending reaches the handler above
        signal.signal(signal.SIGINT, previous_handler)
    if pending and previous_handler is not signal.SIG_IGN:
        raise KeyboardInterrupt


def _kill_pool(executor, before: set) -> None:
    """Stop a pool at once: its workers killed, the manager thread's last complaints silenced."""
    _silence_pool_manager()
    # Killed first: a worker still starting would otherwise read the pool's locks after the shutdown removed them,
    # and print that failure over the command's one-line message. One not yet known to the pool, left alive,
    # would hold up the interpreter's exit, which joins every child process.
    for child in set(multiprocessing.active_children()) - before:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child.pid, signal.SIGKILL)  # loky's processes have no kill()
    with contextlib.suppress(Exception):  # a pool interrupted while starting may fail to shut down
        executor.shutdown(wait=False, kill_workers=True)


def _silence_pool_manager() -> None:
    """Torn down mid-run, the pool's manager thread may still be handing out work that is gone and raise
    (a KeyError for a withdrawn item); printed after the one-line interruption message, that traceback
    means nothing to the user. Other threads' errors still show."""
    previous = threading.excepthook

    def hook(args):
        if args.thread is None or args.thread.name != "ExecutorManagerThread":
            previous(args)

    threading.excepthook = hook


class _Shipped:
    """An object pickled once, for Dask workers: each process unpickles it the first time it is used.

    Dask may hand a worker its scattered copy more than once (a rebalance, a retry); the token makes
    every later arrival reuse the object already there.
    """

    def __init__(self, obj):
        self.token = uuid.uuid4().hex
        self.data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)

    def get(self):
        obj = _ARRIVED.get(self.token)
        if obj is None:
            _ARRIVED.clear()  # a long-lived worker keeps only the current run's object
            obj = _ARRIVED[self.token] = pickle.loads(self.data)
        return obj


_ARRIVED: dict = {}

LOCAL_DASK_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.scheduler.work-stealing": False,
    # Each process's event loop wakes every 20 ms to check it is not blocked, samples its CPU and memory
    # every 500 ms and each worker's memory every 100 ms: waking up costs CPU while our tasks run seconds.
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "1s",
    # Dask starts its workers with MALLOC_TRIM_THRESHOLD_ set, to hand freed memory back to the system at once.
    # Setting it also fixes glibc's threshold for serving a block by mmap: every block of 128 KB or more, each
    # chunk's arrays and messages, is then mapped, zeroed page by page and unmapped again. Unset (None), the
    # workers keep glibc's own adaptive thresholds: 0.2-0.3 ms of CPU less per document (benchmarks/README.md).
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
}


def _call_shipped(func, shipped: _Shipped, chunk):
    return func(shipped.get(), chunk)


class _CancelRace(logging.Filter):
    """Drops the one traceback distributed's `sync` logs when Ctrl-C lands before the call it waits on began.

    On Ctrl-C `sync` schedules a `cancel` of that call on the client's event loop; if the call has not started,
    `cancel` reads a variable not yet set and the loop logs the NameError, traceback and all, over the command's
    one-line message (distributed 2026.8 and earlier). Nothing is lost: the call never started.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not (isinstance(error, NameError) and "sync.<locals>.cancel" in record.getMessage())


def _quiet_the_cancel_race() -> None:
    logger = logging.getLogger("tornado.application")
    if not any(isinstance(known, _CancelRace) for known in logger.filters):
        logger.addFilter(_CancelRace())


def _dask_map(func, shared, chunks, address: str, jobs: int) -> Iterator:
    try:
        from distributed import Client, KilledWorker, LocalCluster  # the dask extra
    except ImportError:
        raise RunnerError(DASK_MISSING) from None

    _quiet_the_cancel_race()
    cluster = None
    try:
        if address == LOCAL_DASK:
            import dask  # the dask extra

            # Off for the cluster we start ourselves (a remote cluster keeps its own configuration): the
            # workers' statistical profiler samples every thread each 10 ms, and work stealing rebalances
            # what our bounded, uniform chunks never unbalance. Together they cost a third of the CPU
            # time of a run (benchmarks/README.md, batch tagging).
            with dask.config.set(LOCAL_DASK_CONFIG):
                cluster = LocalCluster(
                    n_workers=jobs,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    host="127.0.0.1",
                    preload=["classifier.workflows.dask_worker"],  # the workers leave Ctrl-C to the command
                    # The scheduler serves its health and metrics pages with or without a dashboard, by default on
                    # port 8787: a second run at the same time found it taken and printed a four-line warning.
                    # A free port on the loopback instead (":0" alone would listen on every interface).
                    scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
                )
            client = Client(cluster)
        else:
            client = Client(address, timeout=30)
    except (OSError, ValueError) as exc:  # ValueError: an address Dask cannot read
        if cluster is not None:
            cluster.close()
        raise RunnerError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    try:
        workers = max(1, len(client.scheduler_info(n_workers=-1)["workers"]))
        remote = client.scatter(_Shipped(shared), broadcast=True, hash=False)
        yield from _in_order(
            lambda chunk: client.submit(_call_shipped, func, remote, chunk, pure=False), chunks, 2 * workers
        )
    except (KilledWorker, CancelledError) as exc:  # a worker lost with its chunk, or with the model's last copy
        raise WorkerLostError(_lost_worker(exc)) from None
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
