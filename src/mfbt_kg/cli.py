"""``mfbt-kg``: one subcommand per verb, each a few lines over the library.

Exit codes: 0 done (graph conforms), 1 SHACL violations, 2 a load, usage or
parameter error. Errors are one line a user can act on, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

import mfbt_kg
from mfbt_kg import progress
from mfbt_kg.graph.files import DataFileError, project_root
from mfbt_kg.graph.validate import (
    InvalidGraphError,
    Report,
    known_to_conform,
    project_ntriples,
    validate_project,
    validated,
)
from mfbt_kg.namespaces import ANSWER_PREFIXES, PREFIXES, sparql_prologue
from mfbt_kg.pages.linked_data import LabelIndex, PageQueries
from mfbt_kg.publish.bundle import ExportError, export_bundle
from mfbt_kg.publish.settings import PublishSettings, SettingsError
from mfbt_kg.service.settings import Settings
from mfbt_kg.sparql.answers import Answer, fetch, write
from mfbt_kg.sparql.catalogue import CatalogueError, NamedQuery, ParameterError, load_catalogue, run
from mfbt_kg.sparql.media import GRAPH_FORMATS, ROW_FORMATS, table_for
from mfbt_kg.sparql.store import Store, StoreError, open_store
from mfbt_kg.terminal import fitted_table

EXIT_OK, EXIT_VIOLATIONS, EXIT_ERROR = 0, 1, 2
ANSWER_PREFIXES_ALL = tuple((p, str(ns)) for p, ns in PREFIXES.items())  # a table's compact names


LONG_COMMANDS = ("validate", "export")  # progress lines on a terminal (or with --progress)


class UsageError(Exception):
    """A command line that cannot be carried out; one line for the user."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if getattr(args, "progress", None) or (
        getattr(args, "progress", None) is None and args.command in LONG_COMMANDS and sys.stderr.isatty()
    ):
        progress.enable(sys.stderr)
    else:
        progress.disable()
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_ERROR
    try:
        return args.handler(args)
    except (DataFileError, CatalogueError, ParameterError, StoreError, UsageError, TimeoutError) as exc:
        print(f"mfbt-kg: {exc}", file=sys.stderr)  # TimeoutError: a remote store's time limit, or no answer in time
        return EXIT_ERROR
    except BrokenPipeError:  # output piped to `head`, which stopped reading: not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # no second BrokenPipeError when Python flushes at exit
        return EXIT_OK


def _root(args: argparse.Namespace) -> Path:
    return project_root(Path(args.root) if args.root else None)


def _store(args: argparse.Namespace, root: Path) -> Store:
    """The embedded store loaded with the project's graph (parsed once per content, ``graph.snapshot``),
    or the remote one named."""
    if getattr(args, "store", None):
        return open_store(args.store, graph=getattr(args, "store_graph", None))
    return open_store(None, project_ntriples(root))


# --- validate -------------------------------------------------------------


def cmd_validate(args: argparse.Namespace) -> int:
    report = validate_project(_root(args))
    if args.format == "json":
        print(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
    else:
        _print_violations(report, sys.stdout)
        print(report.summary_line())
    return EXIT_OK if report.conforms else EXIT_VIOLATIONS


def _print_violations(report: Report, out: TextIO | None = None) -> None:
    """Every violation, one line each (node, file, property, what to do): the same words for every command
    (standard error unless ``out`` says otherwise)."""
    for violation in report.violations:
        print(violation.describe(), file=out or sys.stderr)


def _refused(exc: InvalidGraphError, what: str) -> int:
    """A command that hands the graph on, refused because it does not conform: exit 1, as ``validate``."""
    _print_violations(exc.report)
    print(f"mfbt-kg: {exc}; nothing {what}", file=sys.stderr)
    return EXIT_VIOLATIONS


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
    _emit(run(store, query, values), args.format, store, root, args.width)
    return EXIT_OK


def cmd_query_sparql(args: argparse.Namespace) -> int:
    if (args.file is None) == (args.query is None):
        raise UsageError("give the query as a file (or - for standard input) or as -q 'SELECT ...', one of the two")
    text = args.query if args.query is not None else sys.stdin.read() if args.file == "-" else _read(args.file)
    root = _root(args)
    store = _store(args, root)
    _emit(fetch(store, sparql_prologue(text) + text), args.format, store, root, args.width)
    return EXIT_OK


def _named(args: argparse.Namespace, root: Path | None = None) -> NamedQuery:
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


def _emit(answer: Answer, fmt: str, store: Store, root: Path, width: int | None = None) -> None:
    """The answer in ``fmt``, written by the service's own serialisers (so the same bytes as the service
    gives for it, uncapped); a table labels each IRI as the pages do (one label query per run)."""
    if fmt == "table":
        labels = LabelIndex(store, PageQueries(root))
        if width is None and sys.stdout.isatty():
            width = shutil.get_terminal_size().columns
        sys.stdout.write(
            fitted_table(
                answer,
                lambda iri: label.text if (label := labels.get(iri, "nb")) else None,
                ANSWER_PREFIXES_ALL,
                width or None,
            )
        )
        return
    form, what = (
        ("ASK", "a boolean")
        if isinstance(answer, bool)
        else ("CONSTRUCT", "a graph")
        if isinstance(answer, list)
        else ("SELECT", "rows")
    )
    offered = list(dict.fromkeys(table_for(form).values()))  # what the service offers for this answer
    if fmt not in offered:
        raise UsageError(f"format '{fmt}' cannot carry {what}; use {', '.join(offered)} or table")
    sys.stdout.buffer.write(write(answer, fmt, ANSWER_PREFIXES))
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
    (
        "--max-answer-mb",
        "max_answer_mb",
        float,
        "MiB an answer may be (fewer rows beyond, said as for --max-rows; 0: none)",
    ),
    ("--fast-workers", "fast_workers", int, "workers reserved for short queries while the others are busy"),
    ("--fast-limit", "fast_limit", float, "seconds a query may run on a reserved worker"),
    ("--client-budget", "client_budget", float, "worker seconds one client may use a minute (429 beyond; 0: none)"),
    ("--request-timeout", "request_timeout", float, "seconds a client has to send a request's headers, then its body"),
    ("--keep-alive", "keep_alive", float, "seconds an idle kept-alive connection stays open"),
    ("--max-connections", "max_connections", int, "open connections (the oldest idle one is closed beyond)"),
)


def _settings(args: argparse.Namespace) -> Settings:
    """The service's settings: flags, and the publication facts from the ``MFBT_KG_*`` environment
    (read here, once, never by the service itself)."""
    limits = {field: getattr(args, field) for _, field, _, _ in SERVE_LIMITS}
    base = args.public_base_url
    if base is not None and not re.fullmatch(r"https?://[^/\s?#]+/?", base):
        raise UsageError(f"--public-base-url must be scheme and host, like https://kg.example.org, not {base!r}")
    # /dataset names where this service hands out the files and answers queries: its public address, or
    # the one it listens on (never a port it does not listen on), unless the environment says otherwise.
    origin = base.rstrip("/") if base else f"http://{_url_host(args.host)}:{args.port}"
    try:
        publish = PublishSettings.from_env(
            {
                "MFBT_KG_BASE_URL": f"{origin}/dump/",
                "MFBT_KG_ENDPOINT_URL": f"{origin}/sparql",
                **{k: v for k, v in os.environ.items() if v},
            }
        )
    except SettingsError as exc:
        raise UsageError(str(exc)) from None
    return Settings(
        root=Path(args.root) if args.root else None,
        store_url=args.store,
        store_graph=args.store_graph,
        data_file=Path(args.data) if args.data else None,
        publish=publish,
        trusted_proxies=tuple(args.trusted_proxy or ()),
        allow_worker_network=args.allow_worker_network,
        public_base_url=base.rstrip("/") if base else None,
        **limits,
    )


LOG_LEVELS = ("debug", "info", "warning", "error")


def _env_flag(env: Mapping[str, str], flag: str, default: Any) -> Any:
    """A ``serve`` flag's default from the environment: ``--max-rows`` is ``MFBT_KG_MAX_ROWS`` (argparse
    converts the string with the flag's type, so a bad value is refused as on the command line)."""
    return env.get(env_name(flag), default)


def env_name(flag: str) -> str:
    return "MFBT_KG_" + flag.lstrip("-").replace("-", "_").upper()


def _url_host(host: str) -> str:
    """The host part of a URL for a listening address (all interfaces: this machine's loopback)."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def cmd_serve(args: argparse.Namespace) -> int:
    """Exit 1 when the project's graph does not conform (as ``validate``): the service would refuse it at start.
    The service checks again when it loads the data; the report kept by content makes that a second's work."""
    from mfbt_kg.api.server import serve  # the web stack loads only for this command

    settings = _settings(args)
    if settings.store_url is None and settings.data_file is None and not known_to_conform(_root(args)):
        try:
            validated(_root(args))
        except InvalidGraphError as exc:
            return _refused(exc, "served")
    serve(settings, host=args.host, port=args.port, log_level=args.log_level, access_log=args.access_log)
    return EXIT_OK


# Where ``load --store-user`` finds the password (never on the command line, which other users can read).
STORE_PASSWORD = "MFBT_KG_STORE_PASSWORD"
STORE_GRAPH_HELP = (
    "the named graph that holds the data in the remote store, which queries then use as their default graph "
    "(for Virtuoso, whose default graph is the union of all its graphs; default: the store's default graph)"
)


def cmd_load(args: argparse.Namespace) -> int:
    from mfbt_kg.publish.upload import upload

    if args.store_user and not os.environ.get(STORE_PASSWORD):
        raise UsageError(f"--store-user needs the password in the environment variable {STORE_PASSWORD}")
    try:
        triples = upload(
            args.store,
            _root(args),
            graph=args.store_graph,
            graph_store=args.graph_store,
            user=args.store_user,
            password=os.environ.get(STORE_PASSWORD) if args.store_user else None,
        )
    except InvalidGraphError as exc:
        return _refused(exc, "uploaded")
    print(
        f"uploaded {triples} triples to {args.store}" + (f" (graph <{args.store_graph}>)" if args.store_graph else "")
    )
    return EXIT_OK


# --- export -----------------------------------------------------------------


def cmd_export(args: argparse.Namespace) -> int:
    """Exit 1 when the graph does not conform (as ``validate``), 2 for a setting or folder that cannot be used."""
    try:
        settings = PublishSettings.from_env(
            os.environ,
            publisher_orgnr=args.publisher_orgnr,
            licence=args.licence,
            base_url=args.base_url,
            endpoint_url=args.endpoint_url,
            issued=args.issued,
            contact_email=args.contact_email,
            language=args.language,
            landing_page=args.landing_page,
            version=args.dataset_version,
        )
        unset = tuple(
            name
            for name in ("base_url", "endpoint_url")
            if getattr(args, name) is None and not os.environ.get(PublishSettings.ENV[name])
        )
        if not args.local and (reasons := settings.not_public(unset)):
            raise UsageError(
                f"{'; '.join(reasons)}: a harvested description would point there. Give --base-url "
                "and --endpoint-url where the files and the endpoint will be published, or --local for "
                "a copy to use on this machine only; nothing exported"
            )
        result = export_bundle(_root(args), Path(args.out), settings, Path(args.previous) if args.previous else None)
    except InvalidGraphError as exc:
        return _refused(exc, "exported")
    except (SettingsError, ExportError) as exc:
        raise UsageError(str(exc)) from None
    if not result.publisher_configured:
        print(
            "mfbt-kg: note: no publisher organisation number configured (--publisher-orgnr); "
            "the DCAT description names the project as publisher (see README.md)",
            file=sys.stderr,
        )
    if settings.issued is None:
        print(
            "mfbt-kg: note: no issued date (--issued YYYY-MM-DD, the day the dataset is first published): "
            "the description states none rather than invent one",
            file=sys.stderr,
        )
    print(result.summary_line())
    return EXIT_OK


# --- diff -------------------------------------------------------------------


def cmd_diff(args: argparse.Namespace) -> int:
    """Facts added, removed and changed between two releases; exit 0 (a difference is an answer, not an error)."""
    from mfbt_kg.publish.diff import DiffError, as_rdf, as_text, compare, next_version, read_release

    repository = _root(args)
    try:
        old, new = read_release(args.old, repository), read_release(args.new, repository)
    except DiffError as exc:
        raise UsageError(str(exc)) from None
    diff = compare(old, new, args.old, args.new)
    if args.format == "turtle":
        sys.stdout.write(as_rdf(diff).serialize(format="turtle"))
    else:
        sys.stdout.write(as_text(diff, new))
        if args.release:
            print(f"next version: {next_version(args.release, diff.level())} (was {args.release}; {diff.level()})")
    return EXIT_OK


# --- parser -----------------------------------------------------------------


class _Version(argparse.Action):
    """``--version``: the installed metadata is read only when asked for (40 ms on every command otherwise)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> None:
        print(f"{parser.prog} {mfbt_kg.__version__}")  # on standard output, as argparse's own action
        parser.exit()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mfbt-kg", description="Medication-free treatment offers knowledge graph")
    parser.add_argument("--version", action=_Version)
    parser.add_argument("--root", help="project folder (default: found from the current folder)")
    sub = parser.add_subparsers(dest="command")

    def validate_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--format", choices=("text", "json"), default="text")
        _progress_args(p)

    _add(sub, "validate", cmd_validate, "check the graph against the SHACL shapes", validate_args)

    query = sub.add_parser("query", help="the query catalogue").add_subparsers(dest="query_command")
    _add(query, "list", cmd_query_list, "list the catalogue")
    _add(query, "show", cmd_query_show, "show one query", lambda p: p.add_argument("name"))

    def run_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("name")
        p.add_argument("--param", action="append", metavar="NAME=VALUE", help="a parameter (repeatable)")
        _output_args(p)

    _add(query, "run", cmd_query_run, "run a catalogue query", run_args)

    def sparql_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("file", nargs="?", help="a .rq file, or - for standard input")
        p.add_argument("-q", "--query", metavar="SPARQL", help="the query itself, instead of a file")
        _output_args(p)

    _add(query, "sparql", cmd_query_sparql, "run an ad-hoc SPARQL query", sparql_args)

    def serve_args(p: argparse.ArgumentParser) -> None:
        p.description = (
            "Serve the SPARQL endpoint, the API and the pages. Every flag can also be set in the "
            "environment as MFBT_KG_<FLAG> (e.g. MFBT_KG_PORT=8001, MFBT_KG_PUBLIC_BASE_URL=https://kg."
            "example.org, MFBT_KG_TRUSTED_PROXY=10.0.0.1,10.0.0.2, MFBT_KG_ALLOW_WORKER_NETWORK=1); "
            "a flag given wins. The publication facts /dataset states come from MFBT_KG_BASE_URL, "
            "MFBT_KG_ENDPOINT_URL, MFBT_KG_PUBLISHER_ORGNR ... (see README)."
        )
        env = os.environ
        p.add_argument(
            "--host", default=_env_flag(env, "--host", "127.0.0.1"), help="address to listen on (default: %(default)s)"
        )
        p.add_argument("--port", type=int, default=_env_flag(env, "--port", 8000), help="port (default: %(default)s)")
        p.add_argument(
            "--store",
            default=_env_flag(env, "--store", None),
            help="a remote SPARQL 1.1 endpoint instead of the embedded store",
        )
        p.add_argument(
            "--store-graph", metavar="IRI", default=_env_flag(env, "--store-graph", None), help=STORE_GRAPH_HELP
        )
        p.add_argument(
            "--data",
            default=_env_flag(env, "--data", None),
            help="serve this RDF dataset file (.nq, .trig, .nt) instead of the project graph",
        )
        for flag, field, kind, meaning in SERVE_LIMITS:
            p.add_argument(
                flag,
                dest=field,
                type=kind,
                default=_env_flag(env, flag, getattr(DEFAULT_SETTINGS, field)),
                help=meaning + " (default: %(default)s)",
            )
        p.add_argument(
            "--public-base-url",
            metavar="URL",
            default=_env_flag(env, "--public-base-url", None),
            help="the service's public address (scheme and host): its own URLs (service description, "
            "redirects, and /dataset's download and endpoint URLs unless MFBT_KG_BASE_URL and "
            "MFBT_KG_ENDPOINT_URL say otherwise) use it, never the request's Host header "
            "(default: the address it listens on)",
        )
        p.add_argument(
            "--trusted-proxy",
            action="append",
            metavar="ADDRESS",
            default=[a.strip() for a in (_env_flag(env, "--trusted-proxy", "") or "").split(",") if a.strip()] or None,
            help="a reverse proxy whose X-Forwarded-For names the client (repeatable; default: none)",
        )
        p.add_argument(
            "--allow-worker-network",
            action="store_true",
            default=(_env_flag(env, "--allow-worker-network", "") or "").lower() in ("1", "true", "yes"),
            help="run SPARQL sent to the service even where its workers could not be cut off the network",
        )
        p.add_argument(
            "--log-level",
            choices=LOG_LEVELS,
            default=_env_flag(env, "--log-level", "info"),
            help="what the server logs: debug, info (start-up line and one access-log line per request), "
            "warning (problems only), error (default: %(default)s)",
        )
        p.add_argument(
            "--no-access-log",
            dest="access_log",
            action="store_false",
            default=(_env_flag(env, "--no-access-log", "") or "").lower() not in ("1", "true", "yes"),
            help="no line per request (the access log is written at --log-level info or debug)",
        )

    _add(sub, "serve", cmd_serve, "serve the SPARQL endpoint and API", serve_args)

    def load_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--store", required=True, help="SPARQL endpoint URL of the remote store")
        p.add_argument("--store-graph", metavar="IRI", help=STORE_GRAPH_HELP)
        p.add_argument(
            "--graph-store",
            metavar="URL",
            help="the store's Graph Store Protocol endpoint the upload is sent to (default: the --store URL "
            "with /query or /sparql replaced by /store, as Oxigraph server; Virtuoso: .../sparql-graph-crud-auth)",
        )
        p.add_argument(
            "--store-user",
            metavar="NAME",
            help=f"who may write to the store (HTTP Basic or Digest); the password is read from {STORE_PASSWORD}",
        )

    _add(sub, "load", cmd_load, "upload the validated graph to a remote store", load_args)

    def export_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--out", required=True, metavar="DIR", help="folder to write (new, empty, or an earlier export)")
        p.add_argument("--publisher-orgnr", help="the publisher's organisation number (9 digits)")
        p.add_argument("--licence", help="licence IRI (default: NLOD 2.0)")
        p.add_argument(
            "--base-url",
            help="where the files will be downloadable (required unless --local: the local service's /dump/)",
        )
        p.add_argument(
            "--endpoint-url",
            help="the public SPARQL endpoint (required unless --local, which uses the local service's /sparql)",
        )
        p.add_argument("--issued", metavar="YYYY-MM-DD", help="date the dataset is first published")
        p.add_argument("--contact-email", help="e-mail address of the contact point")
        p.add_argument(
            "--previous",
            metavar="DIR",
            help="the previous release's export: the version follows the changes since it (docs/"
            "curation.md, Releases), and the bundle carries the diff and a data changelog",
        )
        p.add_argument(
            "--dataset-version",
            metavar="X.Y.Z",
            help="the release's version (with --previous: refused unless it is the one the changes call "
            "for; default: the ontology's owl:versionInfo, or the next one after --previous)",
        )
        p.add_argument(
            "--landing-page",
            metavar="URL",
            help="the dataset's web page (default: the bundle's README.md at --base-url)",
        )
        p.add_argument(
            "--language",
            choices=("nb", "en"),
            help="language of the spreadsheet tables' headers and labels (default: nb, or MFBT_KG_LANGUAGE)",
        )
        _progress_args(p)
        p.add_argument(
            "--local",
            action="store_true",
            help="allow download and endpoint URLs on this machine (the defaults, or a loopback host): "
            "a copy for local use, not for a catalogue",
        )

    _add(sub, "export", cmd_export, "validate, then write dumps, CSVs, DCAT-AP-NO and VoID to a folder", export_args)

    def diff_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("old", help="an export folder, a project folder, an RDF file, or git:REV")
        p.add_argument("new", help="the same kinds as OLD")
        p.add_argument("--format", choices=("text", "turtle"), default="text")
        p.add_argument("--release", metavar="X.Y.Z", help="the version of OLD: prints the version NEW should get")

    _add(sub, "diff", cmd_diff, "facts added, removed and changed between two releases of the data", diff_args)
    return parser


def _progress_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="a line on standard error as each step starts (default: when standard error is a terminal)",
    )


def _output_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--format",
        choices=("table", *ROW_FORMATS, *GRAPH_FORMATS),
        default="table",
        help="table (default); rows and booleans: json, xml (SPARQL XML), csv, tsv; "
        "graphs (CONSTRUCT, DESCRIBE): turtle, nt, json-ld, rdfxml",
    )
    p.add_argument("--store", help="a remote SPARQL 1.1 endpoint instead of the embedded store")
    p.add_argument("--store-graph", metavar="IRI", help=STORE_GRAPH_HELP)
    p.add_argument(
        "--width",
        type=int,
        metavar="N",
        help="wrap the table's columns to fit N characters (default: "
        "the terminal's width; piped output is not wrapped unless given; 0: no wrapping)",
    )


def _add(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    handler: Callable[[argparse.Namespace], int],
    help_text: str,
    configure: Callable[[argparse.ArgumentParser], object] | None = None,
) -> argparse.ArgumentParser:
    parser = sub.add_parser(name, help=help_text)
    if configure:
        configure(parser)
    parser.set_defaults(handler=handler)
    return parser


if __name__ == "__main__":
    raise SystemExit(main())
