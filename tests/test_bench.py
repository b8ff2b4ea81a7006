"""bench/run.py's own machinery, not its timings (nothing here asserts a time): the process tree it sums the
memory of, and the floor queries it loads every server with."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

from mfbt_kg.graph.files import project_root  # noqa: E402
from mfbt_kg.graph.validate import project_ntriples  # noqa: E402
from mfbt_kg.sparql.answers import Table, fetch  # noqa: E402
from mfbt_kg.sparql.store import EmbeddedStore  # noqa: E402
from processes import process_tree  # noqa: E402
from run import bench_query  # noqa: E402
from synthetic import scaled_ntriples  # noqa: E402

# A child that starts a grandchild (the intermediate process of a worker template) and one that leaves the
# tree by a double fork (its parent exits, so init adopts it): both must be counted.
TREE = """
import os, subprocess, sys, time
sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
middle = "import subprocess, sys, time; subprocess.Popen(%r); time.sleep(60)" % (sleeper,)
subprocess.Popen([sys.executable, "-c", middle])
forked = os.fork()
if forked == 0:
    print(subprocess.Popen(sleeper).pid, flush=True)
    os._exit(0)
os.waitpid(forked, 0)
print("started", flush=True)
time.sleep(60)
"""


def _pids_with_parent(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == parent:
                found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_process_tree_counts_grandchildren_and_orphans_of_the_session() -> None:
    proc = subprocess.Popen([sys.executable, "-c", TREE], stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert proc.stdout is not None
        orphan = int(proc.stdout.readline())  # started by the forked child, which has exited since
        assert proc.stdout.readline().strip() == "started"
        assert orphan not in _pids_with_parent(proc.pid)  # adopted elsewhere: not under the root any more
        children = _pids_with_parent(proc.pid)
        assert len(children) == 1  # the intermediate process
        grandchildren: list[int] = []
        for _ in range(200):  # the intermediate starts its child on its own; wait until it exists
            grandchildren = _pids_with_parent(children[0])
            if grandchildren:
                break
            time.sleep(0.05)
        assert len(grandchildren) == 1
        assert process_tree(proc.pid) == [proc.pid, *sorted([children[0], grandchildren[0], orphan])]
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _size(store: EmbeddedStore, text: str) -> int | bool:
    answer = fetch(store, text)
    return len(answer.rows) if isinstance(answer, Table) else answer  # type: ignore[return-value]


@pytest.mark.parametrize("factor", [1, 3])
def test_floor_queries_answer_one_row_at_every_scale(factor: int) -> None:
    """The floors are what they claim at the real size and on a synthetic copy: `ASK {}` is true and the
    one-row lookup (offer:vegsund-dps, data/ttl/figures-capacity.ttl:79 names it) gives exactly one row,
    since the copies rename the instances and the real offer stays one."""
    real = project_ntriples(project_root(BENCH))
    store = EmbeddedStore(real if factor == 1 else scaled_ntriples(real, factor))
    assert _size(store, bench_query("floor-ask")) is True
    assert _size(store, bench_query("floor-one-row")) == 1
