"""What the graph cannot say about its own publication: publisher, licence, where the files and the
endpoint will be, dates. ``export`` takes it alone; the service holds it as ``Settings.publish``.
Only ``cli.py`` reads the ``MFBT_KG_*`` environment (``PublishSettings.from_env``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar
from urllib.parse import urlsplit

from mfbt_kg.namespaces import EU_COUNTRY, EU_DATA_THEME, LOS_HEALTH_AND_CARE, NLOD_2_0


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
    # EU's health theme (what DCAT-AP-NO requires) and the national Los theme "Helse og omsorg"
    themes: tuple[str, ...] = (str(EU_DATA_THEME["HEAL"]), LOS_HEALTH_AND_CARE)
    spatial: tuple[str, ...] = (str(EU_COUNTRY["NOR"]),)
    language: str = "nb"  # of the spreadsheet tables' headers and labels: nb or en
    landing_page: str | None = None  # the dataset's web page (default: the bundle's README where published)
    # Set by ``export --previous`` (publish/release.py), never by hand: the release before and what changed.
    previous_version: str | None = None
    version_notes: tuple[tuple[str, str], ...] = ()  # (language, text)

    # Setting -> environment variable, for the service (and the CLI, whose flags win).
    ENV: ClassVar[dict[str, str]] = {
        "publisher_orgnr": "MFBT_KG_PUBLISHER_ORGNR",
        "licence": "MFBT_KG_LICENCE",
        "base_url": "MFBT_KG_BASE_URL",
        "endpoint_url": "MFBT_KG_ENDPOINT_URL",
        "issued": "MFBT_KG_ISSUED",
        "modified": "MFBT_KG_MODIFIED",
        "version": "MFBT_KG_VERSION",
        "contact_email": "MFBT_KG_CONTACT_EMAIL",
        "language": "MFBT_KG_LANGUAGE",
        "landing_page": "MFBT_KG_LANDING_PAGE",
    }

    def __post_init__(self) -> None:
        if self.publisher_orgnr is not None:
            object.__setattr__(self, "publisher_orgnr", check_orgnr(self.publisher_orgnr))
        for name in ("licence", "base_url", "endpoint_url", "landing_page"):
            if name == "landing_page" and self.landing_page is None:
                continue
            if not re.fullmatch(r"https?://[^\s<>\"{}|\\^`]+", getattr(self, name)):
                raise SettingsError(f"{name.replace('_', '-')} must be an http(s) URL, not {getattr(self, name)!r}")
        if not self.base_url.endswith("/"):
            object.__setattr__(self, "base_url", self.base_url + "/")
        for name in ("issued", "modified"):
            value = getattr(self, name)
            if value is not None and not _is_date(value):
                raise SettingsError(f"{name} must be a date YYYY-MM-DD, not {value!r}")
        if self.version is not None and not re.fullmatch(r"\d+\.\d+\.\d+", self.version):
            raise SettingsError(f"version must read X.Y.Z (semantic versioning), not {self.version!r}")
        if self.language not in ("nb", "en"):
            raise SettingsError(f"language must be nb or en, not {self.language!r}")
        if self.contact_email is not None and not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", self.contact_email):
            raise SettingsError(f"contact-email is not an e-mail address: {self.contact_email!r}")

    def not_public(self, unset: tuple[str, ...] = ()) -> list[str]:
        """Why the download and endpoint URLs would not work for anyone else: each left ``unset`` (the
        defaults name this machine) or naming a loopback or unspecified host; empty when both are public."""
        reasons = []
        for name in ("base_url", "endpoint_url"):
            flag, value = name.replace("_", "-"), getattr(self, name)
            host = (urlsplit(value).hostname or "").lower()
            if name in unset:
                reasons.append(f"{flag} is not set (the default {value} is this machine)")
            elif (
                host in ("localhost", "0.0.0.0", "::", "::1")
                or host.endswith(".localhost")
                or host.startswith("127.")
                or host.startswith("0.")
            ):
                reasons.append(f"{flag} {value} names this machine")
        return reasons

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
    remainder = sum(int(d) * w for d, w in zip(digits, (3, 2, 7, 6, 5, 4, 3, 2), strict=False)) % 11
    check = 0 if remainder == 0 else 11 - remainder
    if check == 10 or check != int(digits[8]):
        raise SettingsError(
            f"organisation number {digits} fails its check digit; check it against Brønnøysundregistrene"
        )
    return digits


def _is_date(value: str) -> bool:
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10
