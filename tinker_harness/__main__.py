"""``python -m tinker_harness`` is ``tinker-harness``."""

from tinker_harness.cli import main

raise SystemExit(main())
