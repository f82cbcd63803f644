"""Where the mock may post webhooks: a pure allow-list, checked without any DNS lookup.

A webhook URL comes from whoever calls the API (a bot's, an account's, a retranscription's,
a control redelivery's), so without a policy the mock would post to any address its
machine can reach: cloud metadata services, other hosts of a private network, made-up
internet hosts drawn by a fuzzer. The rule:

- only `http` and `https` URLs, with a plain host (no backslashes, percent-escapes or
  non-ASCII in it, which URL parsers read differently);
- the host must be allowed: by default loopback (127.0.0.0/8, ::1, `localhost`) plus the
  hosts of `--webhook-url` and `--public-url`; `--webhook-allow` replaces loopback with
  its own list of names (`hooks.example.com`, `.example.com` for a whole domain), IP
  addresses and CIDR ranges, or `*` for every host;
- link-local addresses (169.254.0.0/16, where cloud metadata lives, and fe80::/10) are
  refused even under `*` or a wider range, unless an allow entry lies inside them;
- a host name is allowed only by name: names are never resolved, so a name that merely
  points at an allowed address is still refused.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

FLAG = "--webhook-allow"
SCHEMES = ("http", "https")
ANY = "*"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

LOOPBACK: tuple[str, ...] = ("127.0.0.0/8", "::1/128", "localhost")
LINK_LOCAL: tuple[Network, ...] = (
    ipaddress.ip_network("169.254.0.0/16"),
    ipaddress.ip_network("fe80::/10"),
)
_NAME = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*")


def _link_local(network: Network) -> bool:
    if isinstance(network, ipaddress.IPv4Network):
        return any(
            isinstance(ll, ipaddress.IPv4Network) and network.subnet_of(ll) for ll in LINK_LOCAL
        )
    return any(isinstance(ll, ipaddress.IPv6Network) and network.subnet_of(ll) for ll in LINK_LOCAL)


def _address(host: str) -> Address | None:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:169.254.169.254 is 169.254.169.254
    return address


def host_of(url: str) -> str | None:
    """The host a URL names, lower-cased, or None when it has none we can trust."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  # raises on a malformed or out-of-range port
    except ValueError:
        return None
    host = parts.hostname
    # parsers disagree on these in an authority; refusing them keeps ours authoritative
    if not host or any(c in "\\%" or not 32 < ord(c) < 127 for c in parts.netloc):
        return None
    return host.rstrip(".") or None


class TargetPolicy:
    """An allow-list of webhook targets. `refusal(url)` says why a URL is refused."""

    def __init__(self, allow: Iterable[str] = LOOPBACK) -> None:
        self.any = False
        self.names: set[str] = set()
        self.suffixes: set[str] = set()
        self.networks: list[Network] = []
        #: verdicts by URL: every webhook attempt asks, and URLs repeat (bounded)
        self._verdicts: dict[str, str | None] = {}
        for entry in allow:
            self.add(entry)

    @classmethod
    def build(
        cls, allow: Iterable[str] = (), named_urls: Iterable[str | None] = ()
    ) -> TargetPolicy:
        """`allow` entries (loopback when empty) plus the hosts of the URLs the operator
        named at start-up (`--webhook-url`, `--public-url`)."""
        policy = cls(list(allow) or LOOPBACK)
        for url in named_urls:
            host = host_of(url) if url else None
            if host:
                policy.add(host)
        return policy

    def add(self, entry: str) -> None:
        """One allow entry: `*`, a CIDR range, an address, a name or a `.domain`."""
        self._verdicts.clear()
        text = entry.strip().lower().rstrip(".")
        if text.startswith("[") and text.endswith("]"):
            text = text[1:-1]
        if text == ANY:
            self.any = True
            return
        if "/" in text or _address(text) is not None:
            try:
                network = ipaddress.ip_network(text, strict=False)
            except ValueError:
                raise ValueError(f"not an address or CIDR range: {entry!r}") from None
            self.networks.append(network)
            return
        domain = text[2:] if text.startswith("*.") else text[1:] if text.startswith(".") else None
        if not _NAME.fullmatch(domain if domain is not None else text):
            raise ValueError(f"not a host name, address or CIDR range: {entry!r}")
        if domain is not None:
            self.suffixes.add(domain)
        else:
            self.names.add(text)

    def _address_refusal(self, address: Address) -> str | None:
        inside = [n for n in self.networks if n.version == address.version and address in n]
        if _link_local(ipaddress.ip_network(address)):
            # metadata services live here: only an entry within link-local allows it
            if any(_link_local(net) for net in inside):
                return None
            return f"{address} is link-local (cloud metadata lives there)"
        if self.any or inside:
            return None
        return f"{address} is not an allowed address"

    def refusal(self, url: str) -> str | None:
        """Why the mock will not post to `url`, naming the flag; None when it may."""
        try:
            return self._verdicts[url]
        except KeyError:
            pass
        if len(self._verdicts) >= 4096:
            self._verdicts.clear()
        verdict = self._verdicts[url] = self._judge(url)
        return verdict

    def _judge(self, url: str) -> str | None:
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme not in SCHEMES:
            return (
                f"webhook URLs must be http or https (got {scheme + ':' if scheme else url!r}); "
                f"allowed hosts are set with {FLAG}"
            )
        host = host_of(url)
        if host is None:
            return f"not a webhook URL with a plain host: {url!r} (allowed hosts: {FLAG})"
        address = _address(host)
        if address is not None:
            why = self._address_refusal(address)
        elif (
            self.any
            or host in self.names
            or any(host == s or host.endswith("." + s) for s in self.suffixes)
        ):
            why = None
        else:
            why = f"host {host} is not allowed (names are never resolved)"
        if why is None:
            return None
        return f"webhook target refused: {why}; allow it with {FLAG}"

    def allows(self, url: str) -> bool:
        return self.refusal(url) is None
