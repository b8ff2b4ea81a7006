"""Time parsing and SHACL-validating the scaled graph (bench/synthetic.py) once; prints JSON.

    .venv/bin/python bench/validate_scaled.py FACTOR

Run by bench/run.py in a subprocess with a time limit (pySHACL's time grows faster than the graph).
Not a test: nothing asserts a time.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from rdflib import Graph

sys.path.insert(0, str(Path(__file__).parent))
from mfbt_kg.graph.files import project_root  # noqa: E402
from mfbt_kg.graph.validate import load_shapes, project_ntriples, validate_graph  # noqa: E402
from synthetic import scaled_ntriples  # noqa: E402


def main() -> None:
    factor = int(sys.argv[1])
    root = project_root(Path(__file__).parent)
    data = scaled_ntriples(project_ntriples(root), factor)
    started = time.perf_counter()
    graph = Graph().parse(data=data.decode("utf-8"), format="nt")
    parsed = time.perf_counter()
    report = validate_graph(graph, load_shapes(root))
    done = time.perf_counter()
    print(
        json.dumps(
            {
                "factor": factor,
                "triples": len(graph),
                "parse_s": parsed - started,
                "validate_s": done - parsed,
                "conforms": report.conforms,
                "violations": len(report.violations),
            }
        )
    )


if __name__ == "__main__":
    main()
