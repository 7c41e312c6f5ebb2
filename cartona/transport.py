"""HTTP sessions for Cartona: no cookie jar, and every connection's address checked.

:func:`cartona.urls.check_base_url` judges a base URL when an account is saved and when
a client is built; a host name may still resolve elsewhere when a request is sent
(its DNS record changed, or answers differently: "DNS rebinding"). So the sessions
made here also check the address each new connection really reaches, right after the
TCP connect and before a byte is sent: an address that is no public Internet address
(:func:`cartona.urls.address_problem`; loopback allowed with ``allow_local``) closes
the connection and raises :class:`cartona.urls.UnsafeURLError`, which no retry can
help. Connections through a proxy configured in the environment reach the proxy,
which the administrator chose: they are not checked.

The sessions keep no cookie: Cartona's API authenticates by token, and a cookie set
for one account must never go with another account's requests.
"""

import http.cookiejar
import ipaddress

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from . import urls


class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    """A cookie policy that accepts and returns no cookie at all."""

    def set_ok(self, cookie, request):
        return False

    def return_ok(self, cookie, request):
        return False


class _CheckedPeer:
    """Connection mixin: refuse a socket connected to a non-public address."""

    allow_local = False

    def _new_conn(self):
        sock = super()._new_conn()
        peer = sock.getpeername()[0]
        try:
            address = ipaddress.ip_address(peer.split("%", 1)[0])
        except ValueError:
            address, problem = peer, "unknown"
        else:
            problem = urls.address_problem(address, allow_loopback=self.allow_local)
        if problem:
            sock.close()
            raise urls.UnsafeURLError(
                "address",
                f"{self.host} now resolves to {address}, which is not a public "
                f"Internet address ({problem}): nothing was sent.",
                host=self.host,
                address=str(address),
                kind=problem,
            )
        return sock


def _pool_classes(allow_local):
    attrs = {"allow_local": allow_local}
    connections = {
        "http": type("CheckedHTTPConnection", (_CheckedPeer, HTTPConnection), attrs),
        "https": type("CheckedHTTPSConnection", (_CheckedPeer, HTTPSConnection), attrs),
    }
    return {
        "http": type(
            "CheckedHTTPConnectionPool",
            (HTTPConnectionPool,),
            {"ConnectionCls": connections["http"]},
        ),
        "https": type(
            "CheckedHTTPSConnectionPool",
            (HTTPSConnectionPool,),
            {"ConnectionCls": connections["https"]},
        ),
    }


_POOL_CLASSES = {False: _pool_classes(False), True: _pool_classes(True)}


class CheckedAdapter(HTTPAdapter):
    """``requests`` adapter whose direct connections check the address they reach."""

    __attrs__ = [*HTTPAdapter.__attrs__, "allow_local"]

    def __init__(self, allow_local=False, **kwargs):
        self.allow_local = bool(allow_local)
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        result = super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOL_CLASSES[self.allow_local]
        return result


def secure_session(session, allow_local=False):
    """Make ``session`` (a ``requests.Session``) keep no cookie and check the
    address of each connection (loopback allowed with ``allow_local``); returns it.

    Idempotent: a session already set up the same way keeps its adapters, so its
    kept-alive connections.
    """
    session.cookies.clear()
    if not isinstance(session.cookies.get_policy(), _NoCookies):
        session.cookies.set_policy(_NoCookies())
    for prefix in ("https://", "http://"):
        adapter = session.adapters.get(prefix)
        if not isinstance(adapter, CheckedAdapter) or (
            adapter.allow_local != bool(allow_local)
        ):
            if adapter is not None:
                adapter.close()
            session.mount(prefix, CheckedAdapter(allow_local))
    return session


def new_session(allow_local=False):
    """A ``requests.Session`` for Cartona: kept-alive connections, no cookie jar,
    each connection's address checked."""
    return secure_session(requests.Session(), allow_local)
