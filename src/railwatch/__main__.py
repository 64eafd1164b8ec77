"""``python -m railwatch``: the command line, as the ``railwatch`` script runs it."""

from railwatch.cli import main

main()
