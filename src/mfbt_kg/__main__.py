"""``python -m mfbt_kg``: the same as the ``mfbt-kg`` command."""

from mfbt_kg.cli import main

raise SystemExit(main())
