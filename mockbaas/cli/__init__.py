"""The `mockbaas` command line (`mockbaas = "mockbaas.cli:main"`)."""

from .main import build_parser, main

__all__ = ["build_parser", "main"]
