"""xtbox's user-facing floor: the Textual manager and console, the CLI, and control clients.

Nothing below this package (engine/, disks/) may import it.
"""

__version__ = "0.1.0"
