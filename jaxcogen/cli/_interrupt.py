r"""Ctrl-C at any moment: exit code 130 and one line on stderr, never a crash.

Python runs a signal handler only between bytecodes of the main thread, so a ``KeyboardInterrupt``
cannot arrive while XLA compiles (C++, for tens of seconds), and tearing the interpreter down
around a live compilation crashed (exit 139). :func:`guard` (installed by the console script)
therefore watches SIGINT from a second thread, through the signal wake-up file descriptor: the
main thread still gets its ``KeyboardInterrupt`` whenever it is running Python — a command then
reports and exits 130 itself (``jaxcogen scan`` closing its Dask cluster first) — and if it has
not taken it within :data:`GRACE_S` (or not exited :data:`EXIT_DEADLINE_S` after taking it, or
on a second Ctrl-C), the watcher prints the command's message and ends the process with
``os._exit(130)``. Either way the message is printed once.
"""

import contextlib
import os
import signal
import socket
import sys
import threading
import time

EXIT_INTERRUPTED = 130

#: Seconds the main thread has to take a KeyboardInterrupt before the watcher ends the process.
GRACE_S = 1.0
#: Seconds it then has to exit (closing a Dask cluster, say) before the watcher ends the process.
EXIT_DEADLINE_S = 10.0

_lock = threading.Lock()
_state = {"message": "interrupted", "reported": False, "taken": False}


def set_message(message: str) -> None:
    """What a Ctrl-C prints from now on (one line on stderr)."""
    _state["message"] = message


def report() -> None:
    """Print the interrupt message on stderr, once per process."""
    with _lock:
        if _state["reported"]:
            return
        _state["reported"] = True
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        pass
    try:
        print(_state["message"], file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


def _handler(signum, frame):
    _state["taken"] = True
    raise KeyboardInterrupt


def _watch(receiver: socket.socket) -> None:
    while True:
        try:
            data = receiver.recv(64)
        except OSError:
            return
        if not data:
            return
        if signal.SIGINT not in data:
            continue
        # the main thread takes it within GRACE_S when it runs Python, and then has
        # EXIT_DEADLINE_S to wind down (a KeyboardInterrupt swallowed somewhere in a library must
        # not leave the process running); a second Ctrl-C ends it at once
        start = time.monotonic()
        receiver.settimeout(0.02)
        while True:
            waited = time.monotonic() - start
            if waited > (EXIT_DEADLINE_S if _state["taken"] else GRACE_S):
                break
            try:
                again = receiver.recv(64)
            except (TimeoutError, BlockingIOError):
                continue
            except OSError:
                return
            if not again:
                return
            if signal.SIGINT in again:
                break
        report()
        os._exit(EXIT_INTERRUPTED)


@contextlib.contextmanager
def guard():
    """Watch SIGINT for the duration (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    receiver, sender = socket.socketpair()
    sender.setblocking(False)
    try:
        previous_fd = signal.set_wakeup_fd(sender.fileno(), warn_on_full_buffer=False)
        previous_handler = signal.signal(signal.SIGINT, _handler)
    except (ValueError, OSError):  # pragma: no cover - no signals here
        receiver.close()
        sender.close()
        yield
        return
    watcher = threading.Thread(target=_watch, args=(receiver,), name="jaxcogen-sigint", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous_handler)
        signal.set_wakeup_fd(previous_fd)
        sender.close()


def _quiet_unraisable(previous):
    """A ``sys.unraisablehook`` that drops the KeyboardInterrupt a callback swallowed.

    The handler's KeyboardInterrupt can land inside a callback whose exceptions Python ignores
    (JAX's garbage-collection callback, seen while a solve compiled): Python would print it as
    "Exception ignored … Traceback" and the command would go on; :func:`run_guarded` exits 130
    all the same (the handler recorded the Ctrl-C), so the report is dropped."""

    def hook(unraisable):
        if isinstance(unraisable.exc_value, KeyboardInterrupt):
            return
        previous(unraisable)

    return hook


def run_guarded(run) -> None:
    """``run()`` (a Typer app) under :func:`guard`; an exit with code 130 skips the interpreter's
    teardown (``os._exit``), which could crash around a live compilation. A Ctrl-C that reached
    the handler ends the process with 130 even when the interrupt was swallowed on the way
    (:func:`_quiet_unraisable`) and the command finished."""
    previous_hook = sys.unraisablehook
    sys.unraisablehook = _quiet_unraisable(previous_hook)
    try:
        with guard():
            try:
                run()
            except SystemExit as done:
                if done.code == EXIT_INTERRUPTED or _state["taken"]:
                    report()
                    os._exit(EXIT_INTERRUPTED)
                raise
            except KeyboardInterrupt:
                report()
                os._exit(EXIT_INTERRUPTED)
            if _state["taken"]:
                report()
                os._exit(EXIT_INTERRUPTED)
    finally:
        sys.unraisablehook = previous_hook
