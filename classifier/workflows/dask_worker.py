"""Preloaded into each worker of the local Dask cluster `tag --dask local` starts (see runners._dask_map).

Ctrl-C reaches the whole process group, the cluster's worker processes too: each would print its own
KeyboardInterrupt traceback over the command's one-line message. The command stops its cluster itself, so its
workers do not stop on Ctrl-C, as the workers of `--jobs` do not, and keep their notes on cancelled tasks to
themselves. From Ctrl-C on, a worker logs nothing at all: whatever it would say as the command closes the cluster
around it (a heartbeat to a scheduler already gone, a peer gone while sending it data) is about the stop the
command reports in its one line.
"""

from __future__ import annotations

import logging
import signal


class _PeerGone(logging.Filter):
    """Drops the traceback a worker logs when the worker it was sending data to has gone ("failed during get
    data", a broken pipe or a closed connection). In the cluster the command starts, a worker goes only when the
    command closes the cluster, on Ctrl-C or at its end: the traceback would be printed over its one-line message."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not (isinstance(error, OSError) and str(record.msg).startswith("failed during get data"))


def _stop_talking(signum, frame) -> None:
    """Ctrl-C: the worker goes on until the command closes the cluster, and from now on logs nothing."""
    logging.disable(logging.CRITICAL)


def dask_setup(worker) -> None:
    """Run by each worker as it starts, in its main thread."""
    signal.signal(signal.SIGINT, _stop_talking)
    logging.getLogger("distributed.worker.state_machine").setLevel(logging.ERROR)
    logging.getLogger("distributed.worker").addFilter(_PeerGone())
