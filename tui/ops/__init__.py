"""Use-cases with no UI, shared by the app and the command line."""
