"""The command line: a thin shell over the library, and the only reader of the clock.

The top of the flow: may import anything.  Command modules import only click at start-up, so
that `workplan --help` is quick; each command imports what it needs when it runs.
"""

from workplan.cli.commands import cli, main

__all__ = ["cli", "main"]
