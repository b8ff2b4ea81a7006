"""``mfbt-kg``: one subcommand per verb, each a few lines over the library.

Exit codes: 0 done (graph conforms), 1 SHACL violations, 2 a load, usage or
parameter error. Errors are one line a user can act on, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Callable, Sequence

from mfbt_kg.sparql.catalogue import CatalogueError, ParameterError, load_catalogue, run
from mfbt_kg.graph.files import DataFileError, load_graph, project_root
from mfbt_kg.publish.dcat import ExportSettings, SettingsError
from mfbt_kg.publish.bundle import ExportError, InvalidGraphError, export_bundle
from mfbt_kg.namespaces import sparql_prologue
from mfbt_kg.sparql.results import render_table, serialize
from mfbt_kg.service.settings import Settings
from mfbt_kg.sparql.store import Store, StoreError, open_store, to_ntriples
from mfbt_kg.graph.validate import validate_project

EXIT_OK, EXIT_VIOLATIONS, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    """A command line that cannot be carried out; one line for the user."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_ERROR
    try:
        return args.handler(args)
    except (DataFileError, CatalogueError, ParameterError, StoreError, UsageError) as exc:
        print(f"mfbt-kg: {exc}", file=sys.stderr)
        return EXIT_ERROR


def _root(args: argparse.Namespace) -> Path:
    return project_root(Path(args.root) if args.root else None)


def _store(args: argparse.Namespace, root: Path) -> Store:
    """The embedded store loaded with the project's graph, or the remote one named."""
    if getattr(args, "store", None):
        return open_store(args.store)
    return open_store(None, to_ntriples(load_graph(root)))


# --- validate -------------------------------------------------------------

def cmd_validate(args: argparse.Namespace) -> int:
    report = validate_project(_root(args))
    if args.format == "json":
        print(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
    else:
        for violation in report.violations:
            print(violation.describe())
        print(report.summary_line())
    return EXIT_OK if report.conforms else EXIT_VIOLATIONS


# --- query ----------------------------------------------------------------

def cmd_query_list(args: argparse.Namespace) -> int:
    catalogue = load_catalogue(_root(args))
    for query in catalogue.values():
        params = " ".join(f"{p.name}={'<' + p.type + '>' if p.required else p.default}" for p in query.parameters)
        print(f"{query.name:42} {query.title_en}" + (f"  [{params}]" if params else ""))
    return EXIT_OK


def cmd_query_show(args: argparse.Namespace) -> int:
    query = _named(args)
    print(query.sparql.rstrip())
    return EXIT_OK


def cmd_query_run(args: argparse.Namespace) -> int:
    root = _root(args)
    query = _named(args, root)
    values = _param_values(args.param)
    store = _store(args, root)
    result = run(store, query, values)
    _emit(result, args.format, store)
    return EXIT_OK


def cmd_query_sparql(args: argparse.Namespace) -> int:
    text = sys.stdin.read() if args.file == "-" else _read(args.file)
    root = _root(args)
    store = _store(args, root)
    result = store.query(sparql_prologue() + text)
    _emit(result, args.format, store)
    return EXIT_OK


def _named(args: argparse.Namespace, root: Path | None = None):
    catalogue = load_catalogue(root or _root(args))
    if args.name not in catalogue:
        raise UsageError(f"no query named '{args.name}' (see 'mfbt-kg query list')")
    return catalogue[args.name]


def _param_values(pairs: list[str] | None) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UsageError(f"--param takes name=value, not {pair!r}")
        if name in values:
            raise UsageError(f"parameter '{name}' given twice")
        values[name] = value
    return values


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read query file ({getattr(exc, 'strerror', None) or exc})") from None


def _emit(result, fmt: str, store: Store) -> None:
    if fmt == "table":
        sys.stdout.write(render_table(result, store))
    else:
        sys.stdout.buffer.write(serialize(result, fmt))
        sys.stdout.flush()


# --- serve / load -----------------------------------------------------------

DEFAULT_SETTINGS = Settings()
# Service settings the command line sets: flag, Settings field, type, meaning (defaults from Settings).
SERVE_LIMITS = (
    ("--timeout", "timeout", float, "seconds a query may take before its worker is killed"),
    ("--max-rows", "max_rows", int, "rows (or triples) an answer may hold"),
    ("--workers", "workers", int, "query worker processes"),
    ("--worker-memory-mb", "worker_memory_mb", int, "address space a worker may use, MiB (0: no limit)"),
    ("--answer-cache-mb", "answer_cache_mb", float, "MiB of answers kept for the current data version (0: none)"),
    ("--max-body-bytes", "max_body_bytes", int, "largest request body (413 beyond)"),
    ("--max-url-bytes", "max_url_bytes", int, "longest request URL (414 beyond)"),
    ("--remote-refresh", "remote_refresh", float, "seconds between reads of a remote store's version marker"),
)


def _settings(args: argparse.Namespace) -> Settings:
    limits = {field: getattr(args, field) for _, field, _, _ in SERVE_LIMITS}
    return Settings(root=Path(args.root) if args.root else None, store_url=args.store,
                    data_file=Path(args.data) if args.data else None, **limits)


def cmd_serve(args: argparse.Namespace) -> int:
    from mfbt_kg.api.server import serve  # the web stack loads only for this command

    serve(_settings(args), host=args.host, port=args.port)
    return EXIT_OK


def cmd_load(args: argparse.Namespace) -> int:
    from mfbt_kg.publish.upload import UploadError, upload

    try:
        triples = upload(args.store, _root(args))
    except UploadError as exc:
        for violation in exc.report.violations:
            print(violation.describe(), file=sys.stderr)
        raise UsageError(str(exc)) from None
    print(f"uploaded {triples} triples to {args.store}")
    return EXIT_OK


# --- export -----------------------------------------------------------------

def cmd_export(args: argparse.Namespace) -> int:
    """Exit 1 when the graph does not conform (as ``validate``), 2 for a setting or folder that cannot be used."""
    try:
        settings = ExportSettings.from_env(
            os.environ, publisher_orgnr=args.publisher_orgnr, licence=args.licence, base_url=args.base_url,
            endpoint_url=args.endpoint_url, issued=args.issued, contact_email=args.contact_email)
        result = export_bundle(_root(args), Path(args.out), settings)
    except InvalidGraphError as exc:
        for violation in exc.report.violations:
            print(violation.describe(), file=sys.stderr)
        print(f"mfbt-kg: {exc}", file=sys.stderr)
        return EXIT_VIOLATIONS
    except (SettingsError, ExportError) as exc:
        raise UsageError(str(exc)) from None
    if not result.publisher_configured:
        print("mfbt-kg: note: no publisher organisation number configured (--publisher-orgnr); "
              "the DCAT description names the project as publisher (see README.md)", file=sys.stderr)
    print(result.summary_line())
    return EXIT_OK


# --- parser -----------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mfbt-kg", description="Medication-free treatment offers knowledge graph")
    parser.add_argument("--root", help="project folder (default: found from the current folder)")
    sub = parser.add_subparsers(dest="command")

    _add(sub, "validate", cmd_validate, "check the graph against the SHACL shapes",
         lambda p: p.add_argument("--format", choices=("text", "json"), default="text"))

    query = sub.add_parser("query", help="the query catalogue").add_subparsers(dest="query_command")
    _add(query, "list", cmd_query_list, "list the catalogue")
    _add(query, "show", cmd_query_show, "show one query", lambda p: p.add_argument("name"))

    def run_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("name")
        p.add_argument("--param", action="append", metavar="NAME=VALUE", help="a parameter (repeatable)")
        _output_args(p)

    _add(query, "run", cmd_query_run, "run a catalogue query", run_args)

    def sparql_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("file", help="a .rq file, or - for standard input")
        _output_args(p)

    _add(query, "sparql", cmd_query_sparql, "run an ad-hoc SPARQL query", sparql_args)

    def serve_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=8000)
        p.add_argument("--store", help="a remote SPARQL 1.1 endpoint instead of the embedded store")
        p.add_argument("--data", help="serve this RDF dataset file (.nq, .trig, .nt) instead of the project graph")
        for flag, field, kind, meaning in SERVE_LIMITS:
            p.add_argument(flag, dest=field, type=kind, default=getattr(DEFAULT_SETTINGS, field), help=meaning + " (default: %(default)s)")

    _add(sub, "serve", cmd_serve, "serve the SPARQL endpoint and API", serve_args)
    _add(sub, "load", cmd_load, "upload the validated graph to a remote store",
         lambda p: p.add_argument("--store", required=True, help="SPARQL endpoint URL of the remote store"))

    def export_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--out", required=True, metavar="DIR", help="folder to write (new, empty, or an earlier export)")
        p.add_argument("--publisher-orgnr", help="the publisher's organisation number (9 digits)")
        p.add_argument("--licence", help="licence IRI (default: NLOD 2.0)")
        p.add_argument("--base-url", help="where the files will be downloadable (default: http://127.0.0.1:8000/dump/)")
        p.add_argument("--endpoint-url", help="the SPARQL endpoint (default: http://127.0.0.1:8000/sparql)")
        p.add_argument("--issued", metavar="YYYY-MM-DD", help="date the dataset is first published")
        p.add_argument("--contact-email", help="e-mail address of the contact point")

    _add(sub, "export", cmd_export, "validate, then write dumps, CSVs, DCAT-AP-NO and VoID to a folder", export_args)
    return parser


def _output_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=("table", "csv", "tsv", "json", "xml"), default="table")
    p.add_argument("--store", help="a remote SPARQL 1.1 endpoint instead of the embedded store")


def _add(sub, name: str, handler: Callable[[argparse.Namespace], int], help_text: str,
         configure: Callable[[argparse.ArgumentParser], None] | None = None) -> argparse.ArgumentParser:
    parser = sub.add_parser(name, help=help_text)
    if configure:
        configure(parser)
    parser.set_defaults(handler=handler)
    return parser


if __name__ == "__main__":
    raise SystemExit(main())
