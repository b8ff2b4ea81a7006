"""Every setting in one place: what ``mfbt-kg serve`` can set (``Settings``) and what the graph cannot
say about its own publication (``PublishSettings``, used by ``export`` and the service's ``/dataset``).

The defaults are the safe ones. Only ``cli.py`` reads the command line and the ``MFBT_KG_*``
environment (``PublishSettings.from_env``); everything else is handed a settings object.
Read by the CLI without loading the web stack.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Mapping

from mfbt_kg.namespaces import EU_COUNTRY, EU_DATA_THEME, NLOD_2_0
from mfbt_kg.service.workers import worker_memory_default


class SettingsError(ValueError):
    """A setting that cannot be used; one line that says which and why."""


@dataclass(frozen=True)
class PublishSettings:
    """What the graph cannot say about its own publication.

    The defaults describe a copy served by ``mfbt-kg serve`` on this machine; set the
    base URL, endpoint and publisher's organisation number before handing it on.
    """

    publisher_orgnr: str | None = None
    licence: str = NLOD_2_0
    base_url: str = "http://127.0.0.1:8000/dump/"
    endpoint_url: str = "http://127.0.0.1:8000/sparql"
    issued: str | None = None
    modified: str | None = None
    version: str | None = None
    contact_email: str | None = None
    themes: tuple[str, ...] = (str(EU_DATA_THEME["HEAL"]),)
    spatial: tuple[str, ...] = (str(EU_COUNTRY["NOR"]),)

    # Setting -> environment variable, for the service (and the CLI, whose flags win).
    ENV: ClassVar[dict[str, str]] = {
        "publisher_orgnr": "MFBT_KG_PUBLISHER_ORGNR", "licence": "MFBT_KG_LICENCE", "base_url": "MFBT_KG_BASE_URL",
        "endpoint_url": "MFBT_KG_ENDPOINT_URL", "issued": "MFBT_KG_ISSUED", "modified": "MFBT_KG_MODIFIED",
        "version": "MFBT_KG_VERSION", "contact_email": "MFBT_KG_CONTACT_EMAIL",
    }

    def __post_init__(self) -> None:
        if self.publisher_orgnr is not None:
            object.__setattr__(self, "publisher_orgnr", check_orgnr(self.publisher_orgnr))
        for name in ("licence", "base_url", "endpoint_url"):
            if not re.fullmatch(r"https?://[^\s<>\"{}|\\^`]+", getattr(self, name)):
                raise SettingsError(f"{name.replace('_', '-')} must be an http(s) URL, not {getattr(self, name)!r}")
        if not self.base_url.endswith("/"):
            object.__setattr__(self, "base_url", self.base_url + "/")
        for name in ("issued", "modified"):
            value = getattr(self, name)
            if value is not None and not _is_date(value):
                raise SettingsError(f"{name} must be a date YYYY-MM-DD, not {value!r}")
        if self.contact_email is not None and not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", self.contact_email):
            raise SettingsError(f"contact-email is not an e-mail address: {self.contact_email!r}")

    @classmethod
    def from_env(cls, env: Mapping[str, str], **overrides: object) -> PublishSettings:
        """Settings from ``MFBT_KG_*`` variables (how the service is configured), then overrides."""
        values: dict[str, object] = {k: env[v] for k, v in cls.ENV.items() if env.get(v)}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]


def check_orgnr(value: str) -> str:
    """A Norwegian organisation number: nine digits whose last is the modulus-11 check digit.

    Checking the digit catches a mistyped number before it names the wrong publisher.
    """
    digits = re.sub(r"\s", "", value)
    if not re.fullmatch(r"\d{9}", digits):
        raise SettingsError(f"organisation number must be nine digits, not {value!r}")
    remainder = sum(int(d) * w for d, w in zip(digits, (3, 2, 7, 6, 5, 4, 3, 2))) % 11
    check = 0 if remainder == 0 else 11 - remainder
    if check == 10 or check != int(digits[8]):
        raise SettingsError(f"organisation number {digits} fails its check digit; check it against Brønnøysundregistrene")
    return digits


def _is_date(value: str) -> bool:
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


@dataclass(frozen=True)
class Settings:
    """Everything ``mfbt-kg serve`` can set; the defaults are the safe ones."""

    root: Path | None = None
    store_url: str | None = None
    timeout: float = 10.0  # seconds a query may take, waiting for a worker included
    max_rows: int = 10000
    workers: int = 2
    data_file: Path | None = None  # serve this RDF dataset (N-Quads, TriG, N-Triples, Turtle) instead
    worker_memory_mb: int = field(default_factory=worker_memory_default)  # 0: no limit
    max_body_bytes: int = 256 * 1024
    max_url_bytes: int = 16 * 1024
    remote_refresh: float = 5.0  # seconds between reads of a remote store's version marker
    answer_cache_mb: float = 64.0  # answers kept per data version (embedded store only); 0: none
    max_answer_mb: float = 16.0  # an answer's size in bytes, capped like max_rows (fewer rows, said so); 0: none
    fast_workers: int = 1  # reserved workers for short queries while the general ones are busy
    fast_limit: float = 1.0  # seconds a query may run on the fast lane
    client_budget: float = 30.0  # worker seconds a client may use a minute (429 beyond); 0: no budgets
    trusted_proxies: tuple[str, ...] = ()  # addresses whose X-Forwarded-For names the client
    public_base_url: str | None = None  # e.g. https://kg.example.org: the service's own URLs, never the Host header
    allow_worker_network: bool = False  # run user SPARQL even where no worker could drop its network
    request_timeout: float = 10.0  # seconds to send a request's headers, and then its body
    keep_alive: float = 5.0  # seconds an idle kept-alive connection stays open
    max_connections: int = 1000  # open connections (lowered to fit the file-descriptor limit)
    publish: PublishSettings = field(default_factory=PublishSettings)  # what /dataset says about the publication
