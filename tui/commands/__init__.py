"""The subcommands of ``thread-browser``, one module each."""
