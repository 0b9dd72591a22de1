"""``python -m mock_server`` is ``tinker-harness``."""

from mock_server.cli import main

raise SystemExit(main())
