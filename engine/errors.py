"""Errors the engine reports to its users (bad configuration, not bugs)."""


class ConfigError(Exception):
    """A VM configuration that cannot start: names the file, option or value at fault."""
