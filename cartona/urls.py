"""Which base URLs an account may point at: Cartona's public service, or the local
sandbox when a manager allows it.

A base URL decides where the API token goes and whose answer lands in logs that
Marketplace Users read, so it is checked before any request (``CartonaClient``) and
when an account is saved (``marketplace.config``, which also resolves the name):

- ``https://`` to a public host; ``http://`` only with ``allow_local`` (the account's
  "Local Cartona sandbox" switch) and only to a loopback host;
- no user name or password, no query, no fragment, a valid port;
- the host is a public name or address: never a private, shared, link-local (cloud
  metadata: 169.254.169.254), multicast, reserved or unspecified address, IPv6
  unique-local, link-local or site-local, nor an IPv4 address written in a legacy
  numeric form (``2852039166``, ``0xA9FEA9FE``, ``127.1``); names of the local
  network (one label, ``.local``, ``.internal``, ``.home.arpa``...) are refused;
- loopback hosts (``127.0.0.0/8``, ``::1``, ``localhost`` and ``*.localhost``) only
  with ``allow_local``;
- with ``resolve``, a name is also refused when it resolves, at check time, to an
  address refused above. A name that does not resolve now is accepted (nothing can
  be reached through it either).

Redirects are never followed by the client, so a checked URL cannot bounce the
token elsewhere.
"""

import ipaddress
import re
import socket
from urllib.parse import urlsplit

#: Why a URL is refused (``UnsafeURLError.code``); the ORM translates each.
REFUSALS = (
    "syntax",
    "scheme",
    "http",
    "credentials",
    "extra",
    "local_host",
    "internal_host",
    "address",
)
LOCAL_NAMES = frozenset(
    {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}
)
#: Special-use and customary suffixes of names that only a local network resolves.
INTERNAL_SUFFIXES = (
    ".local",
    ".localdomain",
    ".internal",
    ".intranet",
    ".lan",
    ".home.arpa",
)
DEFAULT_PORTS = {"https": 443, "http": 80}
_BLANK_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")
_HOST_NAME = re.compile(r"[\w-]+(\.[\w-]+)*")


class UnsafeURLError(ValueError):
    """A base URL the integration must not call.

    ``code`` is one of :data:`REFUSALS`; ``params`` holds the values of the
    message (``host``, ``address``, ``kind``, ``detail``).
    """

    def __init__(self, code, message, **params):
        super().__init__(message)
        self.code = code
        self.params = params


def check_base_url(url, allow_local=False, resolve=None):
    """Return ``url`` without surrounding spaces, or raise :class:`UnsafeURLError`.

    ``allow_local`` lets ``http://`` and ``https://`` reach a loopback host (the
    local sandbox). ``resolve(host, port)`` returns the addresses of a name (see
    :func:`resolve_host`); without it names are not resolved.
    """
    if not isinstance(url, str) or not url.strip():
        raise UnsafeURLError("syntax", "The base URL is empty.", detail="empty")
    url = url.strip()
    if _BLANK_OR_CONTROL.search(url):
        raise _syntax("it contains spaces or control characters")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise _scheme()
    if "@" in parts.netloc:
        raise UnsafeURLError(
            "credentials", "The base URL must not contain a user name or password."
        )
    if "?" in url or "#" in url:
        raise UnsafeURLError(
            "extra",
            "The base URL must not contain a query (?...) or a fragment (#...).",
        )
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise _syntax("it has no host")
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError:
        raise _syntax("its port is not a number from 1 to 65535") from None
    local = _check_host(host, allow_local)
    if scheme == "http" and not local:
        if not allow_local:
            raise _scheme()
        raise UnsafeURLError(
            "http",
            "http:// is allowed only for the local Cartona sandbox, on a loopback "
            "address of this machine; use https://.",
            host=host,
        )
    if resolve is not None and not _ip_literal(host):
        for address in resolve(host, port):
            _check_address(host, _parse_address(address), allow_local, local)
    return url


#: Lowest port the local sandbox may listen on: those below are the system's.
SANDBOX_MIN_PORT = 1024


def check_local_sandbox(url, reserved_ports=()):
    """Return ``url`` if it can be the local Cartona sandbox, else raise
    :class:`UnsafeURLError` (code ``"sandbox"``).

    The sandbox runs on this machine: a loopback host (``localhost``, ``127.0.0.1``,
    ``::1``), on an unprivileged port (from ``SANDBOX_MIN_PORT``) that is none of
    ``reserved_ports`` (Odoo's own: its token would otherwise be sent to Odoo).
    """
    url = check_base_url(url, allow_local=True)
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".")
    port = parts.port or DEFAULT_PORTS[parts.scheme.lower()]
    if (
        not _check_host(host, True)
        or port < SANDBOX_MIN_PORT
        or port in set(reserved_ports)
    ):
        raise UnsafeURLError(
            "sandbox",
            f"The local Cartona sandbox runs on this machine (localhost, 127.0.0.1 "
            f"or ::1) on a port from {SANDBOX_MIN_PORT} to 65535 that is not "
            f"Odoo's own; {host}:{port} is not allowed.",
            host=host,
            port=port,
        )
    return url


def resolve_host(host, port):
    """The addresses ``host`` resolves to now (strings), ``[]`` when it does not."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError):
        return []
    return sorted({info[4][0] for info in infos})


def address_problem(address, allow_loopback=False):
    """Why ``address`` (an ``ipaddress`` object) is no public Internet address.

    Returns the kind of address (``"private"``, ``"link-local"`` ...) or ``None``.
    """
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped or address.sixtofour
        if mapped is not None:
            return address_problem(mapped, allow_loopback)
    if address.is_loopback:
        return None if allow_loopback else "loopback"
    for kind, flag in (
        ("unspecified", address.is_unspecified),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        ("site-local", getattr(address, "is_site_local", False)),
    ):
        if flag:
            return kind
    if not address.is_global:
        return "non-public"
    return None


# Internals


def _scheme():
    return UnsafeURLError(
        "scheme",
        "The base URL must start with https:// (http:// only for the local Cartona "
        "sandbox).",
    )


def _syntax(detail):
    return UnsafeURLError(
        "syntax", f"The base URL is not a valid URL: {detail}.", detail=detail
    )


def _check_host(host, allow_local):
    """Check the host part; return whether it is a loopback host."""
    literal = _ip_literal(host)
    if literal is not None:
        return _check_address(host, literal, allow_local, None)
    if _legacy_ipv4(host):
        raise _syntax(f"{host} is an IP address written in an unusual form")
    if not _HOST_NAME.fullmatch(host):
        raise _syntax(f"{host} is not a host name")
    name = host.lower()
    if name in LOCAL_NAMES or name.endswith(".localhost"):
        if not allow_local:
            raise _local(host)
        return True
    if "." not in name or name.endswith(INTERNAL_SUFFIXES):
        raise UnsafeURLError(
            "internal_host",
            f"{host} is a name of the local network, not of Cartona's public "
            "service.",
            host=host,
        )
    return False


def _check_address(host, address, allow_local, local_name):
    """Refuse ``address`` unless public (or loopback, when allowed).

    ``local_name`` tells whether ``host`` is a local name such as ``localhost``
    (then only loopback addresses are fine); ``None`` for an IP literal.
    Returns whether the address is a loopback one.
    """
    problem = address_problem(address, allow_loopback=allow_local)
    if problem is None and local_name and not _is_loopback(address):
        problem = "non-loopback"
    if problem == "loopback" and local_name is None:
        raise _local(host)
    if problem:
        shown = host if str(address) == host else f"{host} ({address})"
        raise UnsafeURLError(
            "address",
            f"{shown} is not a public Internet address ({problem}): the "
            "integration only calls Cartona's public service.",
            host=host,
            address=str(address),
            kind=problem,
        )
    return _is_loopback(address)


def _local(host):
    return UnsafeURLError(
        "local_host",
        f"{host} is this machine: allowed only for the local Cartona sandbox "
        "(testing only).",
        host=host,
    )


def _is_loopback(address):
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_loopback


def _ip_literal(host):
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _parse_address(text):
    """An address from ``getaddrinfo`` (an IPv6 one may carry a ``%zone``)."""
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return ipaddress.ip_address(text.split("%", 1)[0])


def _legacy_ipv4(host):
    """Whether the C resolver would read ``host`` as an IPv4 address."""
    try:
        socket.inet_aton(host)
    except (OSError, ValueError):
        return False
    return True
