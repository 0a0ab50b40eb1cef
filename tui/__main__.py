"""``python -m tui`` runs the ``thread-browser`` command."""

from tui.cli import main

main()
