"""The files a bot produces, as real bytes the mock serves itself.

Recordings are small, valid media files shipped with the package (an MP4 for video
modes, an MP3 for `audio_only`, as the docs say); screenshots are PNGs drawn from the
bot's seed. Links are signed and expire like the real pre-signed S3 URLs.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
import zlib
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
MEDIA_PREFIX = "/_mockbaas/media"  # where the mock serves what bots produce
LINK_TTL_MS = 2 * 60 * 60 * 1000  # the docs: pre-signed URLs are valid for two hours

CONTENT_TYPES = {
    ".mp4": "video/mp4",
    ".mp3": "audio/mpeg",
    ".png": "image/png",
    ".wav": "audio/wav",
    ".json": "application/json",
}


@lru_cache(maxsize=4)
def recording_bytes(audio_only: bool) -> bytes:
    return (DATA / ("recording.mp3" if audio_only else "recording.mp4")).read_bytes()


def _chunk(kind: bytes, payload: bytes) -> bytes:
    body = kind + payload
    return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))


@lru_cache(maxsize=256)  # a page of screenshots is fetched again and again
def screenshot_png(seed: int, width: int = 160, height: int = 90) -> bytes:
    """A small gallery-like PNG: tiles in colours drawn from the seed."""
    colours = [((seed >> (i * 8)) & 0xFF, (seed >> (i * 8 + 3)) & 0xFF, 128) for i in range(4)]
    rows = []
    for y in range(height):
        row = bytearray(b"\x00")
        for x in range(width):
            tile = (x * 2 // width) + 2 * (y * 2 // height)
            border = x % (width // 2) < 2 or y % (height // 2) < 2
            row += bytes((20, 20, 20)) if border else bytes(colours[tile])
        rows.append(bytes(row))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + _chunk(b"IEND", b"")
    )


def media_key(secret: str | None) -> bytes:
    """The signing key: from the operator's `--media-secret` (reproducible links), else
    random. Never from the seed, which is public: anyone could forge a link with it."""
    if secret is None:
        return os.urandom(32)
    return hashlib.sha256(b"mockbaas-media\n" + secret.encode()).digest()


class Signer:
    """HMAC signatures for media links, keyed by a secret of the server's."""

    def __init__(self, key: bytes) -> None:
        self._key = key
        # links are re-signed on every read while the clock stands still: remember them
        self.sign = lru_cache(maxsize=4096)(self._sign)

    def _sign(self, path: str, expires_ms: int) -> str:
        message = f"{path}\n{expires_ms}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:32]

    def verify(self, path: str, expires_ms: int, signature: str) -> bool:
        return hmac.compare_digest(self.sign(path, expires_ms), signature)
