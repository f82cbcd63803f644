"""How the command line's help reads."""

from __future__ import annotations

import argparse


class Help(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Defaults where they say something (not "None" or "[]"); epilogs keep their lines."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        default = action.default
        if default is None or default is False or default == [] or default is argparse.SUPPRESS:
            return action.help
        if "(default" in (action.help or ""):  # the help already says it, better
            return action.help
        return super()._get_help_string(action)
