"""Child processes die with the process they work for, however it dies (SIGKILL included).

The parser pool's workers are forked by multiprocessing's fork server, and each holds the fork server's "alive" pipe
and the resource tracker's pipe: when the language server was killed, the workers waited on their call queue for
good, and so kept the fork server and the resource tracker alive too (a test run left ~25 such processes, ~880 MB).
Now:

- a worker sets ``PR_SET_PDEATHSIG`` (SIGKILL when its parent, the fork server, dies) and watches the server itself
  (``pidfd_open``: readable when that process exits; polling where the kernel lacks it): it exits when the server
  is gone;
- the fork server imports this module first (its preload list) and watches the server the same way;
- the resource tracker then sees the end of its pipe (every holder is gone) and exits by itself.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
import types

PR_SET_PDEATHSIG = 1
POLL_S = 0.5


def set_parent_death_signal(sig: int = signal.SIGKILL) -> bool:
    """Asks the kernel to send ``sig`` when this process's parent (the thread that forked it) ends (Linux)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def die_with(pid: int, parent_death_signal: bool = True) -> None:
    """In a child process: exit at once when process ``pid`` ends. With ``parent_death_signal``, also when this
    process's own parent ends (the kernel's signal needs no Python thread, so it works while the GIL is held)."""
    if parent_death_signal:
        set_parent_death_signal()
        if os.getppid() == 1:  # the parent ended before the signal was asked for
            os._exit(0)
    if not _alive(pid):
        os._exit(0)
    threading.Thread(target=_watch, args=(pid,), name="isg-lifeline", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _watch(pid: int) -> None:
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        os._exit(0)
    except (OSError, AttributeError):
        fd = None
    if fd is not None:
        import select

        poller = select.poll()
        poller.register(fd, select.POLLIN)
        while True:
            if poller.poll():  # readable once the process has exited
                os._exit(0)
    while True:  # no pidfd: poll
        time.sleep(POLL_S)
        if not _alive(pid):
            os._exit(0)


def _imported_by_the_fork_server() -> bool:
    frame: types.FrameType | None = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        if code.co_name == "main" and code.co_filename.endswith(os.path.join("multiprocessing", "forkserver.py")):
            return True
        frame = frame.f_back
    return False


# In the fork server (this module is first in its preload list): live only as long as the process that started it.
# No parent-death signal here: the fork server's parent is whichever thread of the server started it, which may end.
if _imported_by_the_fork_server():
    die_with(os.getppid(), parent_death_signal=False)
