"""``python -m netad.cli``."""

from netad.cli import main

main()
