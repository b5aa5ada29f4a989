"""Preloaded into each worker of the local Dask cluster `tag --dask local` starts (see runners._dask_map).

Ctrl-C reaches the whole process group, the cluster's worker processes too: each would print its own
KeyboardInterrupt traceback over the command's one-line message. The command stops its cluster itself, so its
workers ignore Ctrl-C, as the workers of `--jobs` do, and keep their notes on cancelled tasks to themselves.
"""

from __future__ import annotations

import logging
import signal


def dask_setup(worker) -> None:
    """Run by each worker as it starts, in its main thread."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.getLogger("distributed.worker.state_machine").setLevel(logging.ERROR)
