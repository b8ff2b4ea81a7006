"""A throwaway Virtuoso Open Source server on 127.0.0.1 for the remote-mode tests (``VirtuosoServer``).

Debian's ``virtuoso-t`` (package virtuoso-opensource-7-bin, installed by scripts/ensure-virtuoso.sh) runs from
a virtuoso.ini written into a temporary folder: database, logs and HTTP root there, the SQL (ISQL) port and
the HTTP port both bound to 127.0.0.1 on free ports. Once it answers, the well-known ``dba`` password of a new
database is replaced by a random one and a writer account is made with the SPARQL_UPDATE role, the least a
Graph Store upload needs (Virtuoso's /sparql-graph-crud-auth endpoint, HTTP Digest). Nothing here is a
setting of a real deployment: the passwords live as long as the test session.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
import time
from pathlib import Path

import httpx

from service_fixtures import free_port

VIRTUOSO = shutil.which("virtuoso-t")
ISQL = shutil.which("isql-vt")
WRITER = "mfbt_loader"  # the account the tests upload with (SPARQL_UPDATE role)
# The server's own limits, set in the ini: an "anytime" answer cut at MaxQueryExecutionTime seconds, and
# ResultSetMaxRows well above any answer the tests compare (the packaged default cuts at 10,000 rows).
MAX_QUERY_SECONDS = 4
RESULT_SET_MAX_ROWS = 1_000_000

INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
ServerThreads = 8
CheckpointInterval = 0
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
CaseMode = 2
DirsAllowed = {dir}
AllowOSCalls = 0

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {dir}/www
ServerThreads = 8
MaxClientConnections = 8

[SPARQL]
ResultSetMaxRows = {max_rows}
MaxQueryExecutionTime = {max_seconds}
"""


class VirtuosoServer:
    """``virtuoso-t +foreground`` on 127.0.0.1 from a throwaway ini in ``location``; ``stop`` ends it."""

    def __init__(self, location: Path, limit: float = 90) -> None:
        assert VIRTUOSO and ISQL, "virtuoso-t is missing: sh scripts/ensure-virtuoso.sh"
        self.location = location
        (location / "www").mkdir(parents=True, exist_ok=True)
        self.sql_port, self.http_port = free_port(), free_port()
        base = f"http://127.0.0.1:{self.http_port}"
        self.url = f"{base}/sparql"  # the SPARQL Protocol endpoint (reads need no account)
        self.graph_store = f"{base}/sparql-graph-crud-auth"  # the Graph Store endpoint that takes an account
        self.user, self.password = WRITER, secrets.token_urlsafe(16)
        ini = location / "virtuoso.ini"
        ini.write_text(
            INI.format(
                dir=location,
                sql_port=self.sql_port,
                http_port=self.http_port,
                max_rows=RESULT_SET_MAX_ROWS,
                max_seconds=MAX_QUERY_SECONDS,
            )
        )
        self.proc = subprocess.Popen(
            [VIRTUOSO, "+foreground", "+configfile", str(ini)],
            cwd=location,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            self._wait(limit)
            self._accounts()
        except BaseException:
            self.stop()
            raise

    def _wait(self, limit: float) -> None:
        """Until the SPARQL endpoint answers an ASK (the HTTP listener comes up after the database), or fail
        with the log's last lines after ``limit`` seconds."""
        started = time.monotonic()
        while time.monotonic() - started < limit:
            if self.proc.poll() is not None:
                raise RuntimeError(f"virtuoso-t exited with {self.proc.returncode}: {self.log_tail()}")
            try:
                if httpx.get(self.url, params={"query": "ASK {}"}, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"Virtuoso did not answer within {limit}s: {self.log_tail()}")

    def _accounts(self) -> None:
        """A random dba password instead of the new database's 'dba', and the writer account. The statements
        go on standard input, so no password but the well-known first one is on a command line."""
        dba = secrets.token_urlsafe(16)
        self.isql(
            "dba",
            "dba",
            f"DB.DBA.USER_CREATE('{WRITER}', '{self.password}');\n"
            f'GRANT SPARQL_UPDATE TO "{WRITER}";\n'
            f"USER_SET_PASSWORD('dba', '{dba}');\n",
        )
        self._dba = dba

    def isql(self, user: str, password: str, statements: str) -> str:
        done = subprocess.run(
            [ISQL, f"127.0.0.1:{self.sql_port}", user, password],
            input=statements,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0 or "*** Error" in done.stdout + done.stderr:
            raise RuntimeError(f"isql failed: {done.stdout[-500:]} {done.stderr[-500:]}")
        return done.stdout

    def sql(self, statements: str) -> str:
        """Statements run as dba (e.g. to look at what the server holds, as the tests' control)."""
        return self.isql("dba", self._dba, statements)

    def log_tail(self) -> str:
        log = self.location / "virtuoso.log"
        return "\n".join(log.read_text(errors="replace").splitlines()[-15:]) if log.exists() else ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()  # Virtuoso shuts down on SIGTERM
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


# --- where Virtuoso's answers differ from the embedded engine's, and why ------------------------------------
# Each class is pinned on a minimal query in tests/test_remote_virtuoso.py and named in docs/deployment.md. The
# catalogue is written around the classes that change values (integer division: a decimal operand; unbound as
# NULL: BOUND tested first; a date filter's <=: written !(>)) and around the boolean one (xsd:boolean(...)), so
# only the classes below that change a term's form are left, and only in the queries listed.
BOOLEAN_AS_INTEGER = "boolean-as-integer"  # EXISTS and comparisons give 1/0 as xsd:integer (#251, #485)
INTEGER_DIVISION = "integer-division"  # integer / integer truncates to xsd:integer, not xsd:decimal (#475)
UNBOUND_AS_NULL = "unbound-as-null"  # an unbound variable is SQL NULL, not an error: CONCAT("a", ?u) is "a",
# IF(?u, ...) takes the else branch (expressions are evaluated as SQL; #140 on COALESCE and errors)
DATE_AT_MOST = "date-at-most"  # FILTER (?day <= a date) on stored xsd:date values drops rows that match
CONCAT_WITHOUT_LANGUAGE = "concat-without-language"  # GROUP_CONCAT drops a shared language tag, as SPARQL 1.1
# says it should (the embedded pyoxigraph keeps it; Oxigraph itself stopped in oxigraph/oxigraph#1717)
EMPTY_CONCAT = "empty-concat"  # GROUP_CONCAT over a group whose values are all unbound is "", not unbound

# Catalogue queries whose answers differ on Virtuoso, by class (every other query answers the same).
VIRTUOSO_DIFFERENCES: dict[str, tuple[str, ...]] = {
    "offers-overview": (CONCAT_WITHOUT_LANGUAGE,),
    "protocol-contents": (CONCAT_WITHOUT_LANGUAGE, EMPTY_CONCAT),
    "protocol-signatories": (CONCAT_WITHOUT_LANGUAGE, EMPTY_CONCAT),
    "unn-asgard-changes": (EMPTY_CONCAT,),
}
# The classes that change a term's form but not what it says: an answer with only these must match the
# embedded one once both are read leniently (1/0 as true/false, no language tag, "" as unbound).
FORM_ONLY = frozenset({BOOLEAN_AS_INTEGER, CONCAT_WITHOUT_LANGUAGE, EMPTY_CONCAT})
