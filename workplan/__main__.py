"""Run the command line as `python -m workplan`."""

from workplan.cli import main

main()
