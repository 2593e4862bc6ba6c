"""Connecting and the first snapshot, side by side with the import of Textual.

Importing Textual is CPU; connecting and the first poll are mostly waiting
on the daemon, but also importing docker-py and requests and decoding the
first answers (about 0.3 s of CPU at 500 containers). In a thread that CPU
shares one core with the import of Textual (the GIL); in a child process it
runs on another core. So where ``os.fork`` exists a child connects, polls,
and hands back the endpoint, the negotiated API version and the snapshot
(pickled through a pipe); the dashboard's own client is then made on first
use (:class:`~dockscope.engine.lazy_client.LazyClient`), after the first
frame. Elsewhere, and if the child fails to answer, the same work runs in
this process. UI-free: runs before Textual is imported.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import pickle
from collections.abc import Callable

#: (endpoint, session, first snapshot or None), or the error that prevented connecting.
Opened = tuple | Exception
ConnectAndPoll = Callable[[argparse.Namespace], Opened]


class FirstPollError(Exception):
    """Connecting failed in the child; the message is the one the user sees."""


def begin_first_poll(args: argparse.Namespace, connect_and_poll: ConnectAndPoll) -> Callable[[], Opened]:
    """Start ``connect_and_poll(args)`` beside this process's work; returns what waits for its result."""
    if hasattr(os, "fork"):
        return _in_child(args, connect_and_poll)
    return _in_thread(args, connect_and_poll)


def _in_thread(args: argparse.Namespace, connect_and_poll: ConnectAndPoll) -> Callable[[], Opened]:
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(1, thread_name_prefix="first-poll")
    future = pool.submit(connect_and_poll, args)

    def wait() -> Opened:
        try:
            return future.result()
        finally:
            pool.shutdown()

    return wait


def _in_child(args: argparse.Namespace, connect_and_poll: ConnectAndPoll) -> Callable[[], Opened]:
    read_end, write_end = os.pipe()
    pid = os.fork()  # no thread runs yet in this process: forking is safe here
    if pid == 0:
        os.close(read_end)
        _answer_and_exit(args, connect_and_poll, write_end)
    os.close(write_end)

    def wait() -> Opened:
        with os.fdopen(read_end, "rb") as pipe:
            data = pipe.read()
        os.waitpid(pid, 0)
        return _opened_from(data, args, connect_and_poll)

    return wait


def _answer_and_exit(args: argparse.Namespace, connect_and_poll: ConnectAndPoll, fd: int) -> None:
    """The child: connect, poll, write the pickled answer, and leave without running the parent's code."""
    code = 1
    try:
        answer = _answer(connect_and_poll(args))
        with os.fdopen(fd, "wb") as pipe:
            pipe.write(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))
        code = 0
    finally:
        os._exit(code)  # also on any error: the parent then connects itself


def _answer(opened: Opened) -> tuple:
    if isinstance(opened, Exception):
        return ("error", str(opened))
    endpoint, session, snapshot = opened
    if snapshot is not None:
        # The dashboard's session numbers its own snapshots from 1: this one comes before them all.
        snapshot = dataclasses.replace(snapshot, seq=0)
    return ("ok", endpoint, session.api_version, snapshot)


def _opened_from(data: bytes, args: argparse.Namespace, connect_and_poll: ConnectAndPoll) -> Opened:
    try:
        answer = pickle.loads(data)
    except Exception:  # the child died before answering (killed, out of memory...): do it here
        return connect_and_poll(args)
    if answer[0] == "error":
        return FirstPollError(answer[1])
    _ok, endpoint, api_version, snapshot = answer
    from dockscope.engine.lazy_client import LazyClient
    from dockscope.engine.session import HostSession

    return endpoint, HostSession(endpoint, LazyClient(endpoint, args.timeout, api_version)), snapshot
