"""``python -m opsready.cli``."""

from opsready.cli.main import main

main()
