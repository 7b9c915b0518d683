"""Run the command line as `python -m workplan`."""

from workplan.cli.commands import main

main()
