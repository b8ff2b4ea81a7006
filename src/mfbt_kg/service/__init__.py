"""The running service without HTTP: data snapshots, killable workers, the answer cache, settings."""
