"""Dialogs and screens of the app."""
