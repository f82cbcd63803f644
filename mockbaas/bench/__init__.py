"""`make bench`: mockbaas measured against a bare aiohttp baseline in the same run.

Sections (`--only`): `api` (reads and POST /bots/, empty and with 50,000 bots present),
`webhooks` (a receiver answering in 100 ms; API p99 while one receiver hangs),
`lifecycle` (1k, 10k, 50k whole lives, every webhook delivered), `streaming` (100 bots
streaming live audio at --speed 10: chunk lateness). Every server is a separate process on loopback,
every wait is bounded, and every child process is stopped on the way out, Ctrl-C included.
Speed lives here only: tests run `--quick` and check the table's shape, never a number.
"""

from .run import main

__all__ = ["main"]
