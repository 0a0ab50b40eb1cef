"""Tests against real servers other people wrote, installed by .ci/servers/install."""
