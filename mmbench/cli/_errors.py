"""The error a subcommand raises for a user mistake it detects itself (bad input file,
unavailable scorer): ``main`` prints the message without a traceback and exits with 2.

Subcommands raise this instead of click's exceptions: click is not a declared dependency
(typer bundles its own copy), so importing it could fail on a fresh install.
"""


class CommandError(Exception):
    """A user-facing failure of a command; the message says what to do."""
