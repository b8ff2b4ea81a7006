"""mfbt-kg: a knowledge graph of Norway's medication-free mental-health treatment offers."""

__version__ = "0.1.0"
