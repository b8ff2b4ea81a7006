"""The processes a benchmark starts: finding all of a server's processes, their memory, and stopping them.

A service's workers are forked by a template process through a middle process that exits, so "the
server's children" is not the whole server: a tree is found at any depth, and with the processes of the
session the server leads (a double fork). Memory is counted two ways: RSS summed over the tree counts a
page shared by the forked workers once per worker; PSS divides each shared page among its sharers, so
its sum is the memory the tree really takes.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def serve_argv(port: int, *flags: str) -> list[str]:
    """``mfbt-kg serve`` of this checkout on 127.0.0.1:``port``, run by the interpreter running the bench."""
    command = [sys.executable, "-m", "mfbt_kg.cli", "--root", str(ROOT), "serve", "--host", "127.0.0.1"]
    return [*command, "--port", str(port), *flags]


def process_tree(root: int) -> list[int]:
    """``root`` and every process under it, at any depth (through an intermediate process too), and any
    process of the session ``root`` leads that left the tree (a double fork): from /proc, as psutil does."""
    parents, sessions = {}, {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after the command name: state, ppid, pgrp, session
        parents[int(entry.name)] = int(fields[1])
        sessions[int(entry.name)] = int(fields[3])
    found = {root} | {pid for pid, session in sessions.items() if session == root}
    grown = True
    while grown:
        more = {pid for pid, parent in parents.items() if parent in found} - found
        found |= more
        grown = bool(more)
    return [root] + sorted(pid for pid in found if pid in parents and pid != root)


@dataclass
class ProcessMemory:
    pid: int
    name: str  # the command name (/proc/PID/status Name: the workers and their template set their own)
    rss_mib: float
    peak_mib: float  # VmHWM
    pss_mib: float | None  # shared pages divided among their sharers (None where the kernel does not say)


def process_memory(pid: int) -> ProcessMemory | None:
    """VmRSS and VmHWM (/proc/PID/status) and Pss (/proc/PID/smaps_rollup) of one process, MiB; None when
    it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    pss = None
    try:
        found = re.search(r"^Pss:\s+(\d+) kB", Path(f"/proc/{pid}/smaps_rollup").read_text(), re.M)
        pss = int(found.group(1)) / 1024 if found else None
    except OSError:
        pass
    return ProcessMemory(
        pid,
        fields.get("Name", "?").strip(),
        int(fields.get("VmRSS", "0 kB").split()[0]) / 1024,
        int(fields.get("VmHWM", "0 kB").split()[0]) / 1024,
        pss,
    )


def tree_memory(root: int) -> list[ProcessMemory]:
    """Each process of ``root``'s tree (``process_tree``), the root first."""
    return [m for m in map(process_memory, process_tree(root)) if m is not None]


def stop(proc: subprocess.Popen[bytes], wait: float = 10) -> None:
    """Terminate, then kill after ``wait`` seconds; then whatever the process's session still holds (a
    server started with ``start_new_session=True`` leads a session whose process group is its own id)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
