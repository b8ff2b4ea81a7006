"""Taking the network away from a query worker, with what the kernel offers.

Two independent mechanisms, both unprivileged:

1. an empty network namespace (``unshare(CLONE_NEWNET)``, or inside a new user
   namespace): the worker has only a loopback device of its own, so no host —
   the service's own machine included — can be reached;
2. a seccomp filter: ``socket()`` for any family but AF_UNIX fails with EACCES,
   and ``io_uring_setup`` (which could open sockets without ``socket()``) with
   ENOSYS. Written here as a small classic-BPF program through ``prctl``, so it
   needs no library; it is installed after ``PR_SET_NO_NEW_PRIVS`` and is
   inherited by every thread and child.

Containers often forbid the first (Docker's default seccomp profile blocks
``unshare``) but allow the second. Each worker applies every one it can and
reports which took hold; the service refuses user-supplied SPARQL when none
did, unless started with ``--allow-worker-network``.
"""

from __future__ import annotations

import ctypes
import errno
import platform
import signal
import struct
from contextlib import suppress

NETNS = "network namespace"
SECCOMP = "seccomp"

_CLONE_NEWNET, _CLONE_NEWUSER = 0x40000000, 0x10000000
_PR_SET_PDEATHSIG, _PR_SET_NAME, _PR_SET_SECCOMP, _PR_SET_NO_NEW_PRIVS = 1, 15, 22, 38
_PR_SET_CHILD_SUBREAPER = 36
_SECCOMP_MODE_FILTER = 2
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_LD_W_ABS, _JEQ_K, _JGE_K, _RET_K = 0x20, 0x15, 0x35, 0x06
_AF_UNIX = 1
_X32_BIT = 0x40000000

# audit architecture and the system-call numbers this module uses, per machine
_ARCH = {
    "x86_64": (0xC000003E, {"socket": 41, "io_uring_setup": 425, "unshare": 272, "prctl": 157, "seccomp": 317}),
    "aarch64": (0xC00000B7, {"socket": 198, "io_uring_setup": 425, "unshare": 97, "prctl": 167, "seccomp": 277}),
}


def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def die_with_parent() -> None:
    """The worker gets SIGKILL when the service dies: no orphan left computing."""
    libc = _libc()
    if libc is not None:
        with suppress(AttributeError):
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def adopt_orphans() -> bool:
    """Make this process (the service) the parent of its descendants whose parent exits: the workers
    forked through a middle process (``worker_process``) become its children. True when it worked."""
    libc = _libc()
    if libc is None:
        return False
    try:
        return libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except AttributeError:
        return False


def set_process_name(name: str) -> None:
    """The name ps and /proc/PID/comm show (15 bytes at most): a template and its workers share one command line."""
    libc = _libc()
    if libc is not None:
        with suppress(AttributeError):
            libc.prctl(_PR_SET_NAME, ctypes.c_char_p(name.encode()[:15]), 0, 0, 0)


def drop_network_namespace() -> bool:
    """Move into an empty network namespace; True when it worked."""
    libc = _libc()
    if libc is None:
        return False
    try:
        return libc.unshare(_CLONE_NEWNET) == 0 or libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) == 0
    except AttributeError:
        return False


def _insn(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k)


def _install(program: list[bytes]) -> bool:
    libc = _libc()
    if libc is None:
        return False
    raw = b"".join(program)
    buffer = ctypes.create_string_buffer(raw, len(raw))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = SockFprog(len(program), ctypes.cast(buffer, ctypes.c_void_p))
    try:
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            return False
        return libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) == 0
    except AttributeError:
        return False


def _arch() -> tuple[int, dict[str, int]] | None:
    return _ARCH.get(platform.machine())


def deny_inet_sockets() -> bool:
    """Install the socket filter (see the module text); True when it is in force."""
    arch = _arch()
    if arch is None:
        return False
    audit, nr = arch
    eacces, enosys = _RET_ERRNO | errno.EACCES, _RET_ERRNO | errno.ENOSYS
    program = [
        _insn(_LD_W_ABS, 0, 0, 4),  # 0 arch
        _insn(_JEQ_K, 1, 0, audit),  # 1 our ABI? go on : refuse
        _insn(_RET_K, 0, 0, eacces),  # 2 a foreign ABI (e.g. i386 on x86_64): no system calls
        _insn(_LD_W_ABS, 0, 0, 0),  # 3 syscall number
        _insn(_JGE_K, 0, 1, _X32_BIT),  # 4 x32 numbering: refuse
        _insn(_RET_K, 0, 0, eacces),  # 5
        _insn(_JEQ_K, 0, 1, nr["io_uring_setup"]),  # 6
        _insn(_RET_K, 0, 0, enosys),  # 7
        _insn(_JEQ_K, 0, 3, nr["socket"]),  # 8 not socket(): allow (11)
        _insn(_LD_W_ABS, 0, 0, 16),  # 9 socket's first argument (the family, low word)
        _insn(_JEQ_K, 1, 0, _AF_UNIX),  # 10 AF_UNIX: allow (12) : refuse (11)
        _insn(_RET_K, 0, 0, eacces),  # 11
        _insn(_RET_K, 0, 0, _RET_ALLOW),  # 12
    ]
    # 8's "false" jumps 3 ahead to 12 (allow); 10's "true" jumps 1 ahead to 12.
    return _install(program)


def deny_syscalls(names: list[str], code: int = errno.EPERM) -> bool:
    """Make the named system calls fail with ``code`` in this process and its children.

    For tests and for reproducing hosts that forbid a mechanism (e.g. ``["unshare"]``
    as under Docker's default profile)."""
    arch = _arch()
    if arch is None:
        return False
    audit, nr = arch
    numbers = [nr[name] for name in names]
    program = [
        _insn(_LD_W_ABS, 0, 0, 4),
        _insn(_JEQ_K, 1, 0, audit),
        _insn(_RET_K, 0, 0, _RET_ALLOW),
        _insn(_LD_W_ABS, 0, 0, 0),
    ]
    for number in numbers:
        program += [_insn(_JEQ_K, 0, 1, number), _insn(_RET_K, 0, 0, _RET_ERRNO | code)]
    program.append(_insn(_RET_K, 0, 0, _RET_ALLOW))
    return _install(program)


def confine() -> tuple[str, ...]:
    """Everything a worker applies before it reads any data; the network mechanisms in force."""
    die_with_parent()
    applied = []
    if drop_network_namespace():
        applied.append(NETNS)
    if deny_inet_sockets():
        applied.append(SECCOMP)
    return tuple(applied)
