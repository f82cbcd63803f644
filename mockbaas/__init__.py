"""mockbaas: a local, deterministic fake of the Meeting BaaS API for tests and CI."""

__version__ = "0.1.0"
