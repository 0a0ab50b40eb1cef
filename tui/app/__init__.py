"""The Textual app: sidebar of tracked items, message pane, dialogs."""
