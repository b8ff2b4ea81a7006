"""mfbt-kg: a knowledge graph of Norway's medication-free mental-health treatment offers."""


def __getattr__(name: str) -> str:
    """``__version__``, read from the installed metadata when first asked for: importing importlib.metadata
    takes ~40 ms, which importing any module of the package (the query guard, say) should not pay."""
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("mfbt-kg")  # one version source: pyproject.toml
    except PackageNotFoundError:  # run from a source tree that was never installed
        found = "0+unknown"
    globals()["__version__"] = found
    return found
