"""mfbt-kg: a knowledge graph of Norway's medication-free mental-health treatment offers."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mfbt-kg")  # one version source: pyproject.toml
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"
