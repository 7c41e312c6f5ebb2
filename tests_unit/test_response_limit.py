"""Cartona's answers are read as a stream and refused past their size limit."""

import http.server
import socketserver
import threading
import tracemalloc

import pytest

from cartona import errors
from cartona.client import CartonaClient

TOKEN = "token-for-the-size-limit"
CHUNK = b"[" + b'{"hashed_id": "x"},' * 3000  # about 57 kB


class _Huge(http.server.BaseHTTPRequestHandler):
    """Answers every GET with ``size`` bytes of a JSON array, produced on the fly,
    with or without announcing its length; counts what it managed to send."""

    size = 0
    announce = False
    sent = 0

    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if self.announce:
            self.send_header("Content-Length", str(self.size))
        self.send_header("Connection", "close")
        self.end_headers()
        sent = 0
        try:
            while sent < self.size:
                self.wfile.write(CHUNK)
                sent += len(CHUNK)
        except OSError as exc:
            self.hung_up = exc  # the client hung up, as it should
        type(self).sent = sent

    def log_message(self, *args):
        pass


@pytest.fixture
def huge_server():
    class Handler(_Huge):
        pass

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, Handler
    server.shutdown()
    server.server_close()


def _client(server):
    host, port = server.server_address
    return CartonaClient(
        f"http://{host}:{port}/api/v1/", TOKEN, timeout=10, allow_local=True
    )


def test_a_streamed_answer_of_hundreds_of_mb_is_refused_early(huge_server):
    server, handler = huge_server
    handler.size = 400 * 1024 * 1024
    tracemalloc.start()
    try:
        with (
            _client(server) as client,
            pytest.raises(errors.ResponseTooLargeError) as caught,
        ):
            client.pull_orders()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "20 MB" in str(caught.value)
    assert caught.value.limit == errors.MAX_RESPONSE_BYTES
    # Memory stays bounded: the limit and a little more, never the whole answer.
    assert peak < 2 * errors.MAX_RESPONSE_BYTES + 8 * 1024 * 1024
    # The client stopped reading: most of the answer was never sent.
    server.shutdown()
    assert handler.sent < 100 * 1024 * 1024
    # The refusal is recorded like any failed attempt, without the body.
    assert client.last_exchange.error == str(caught.value)
    assert len(client.last_exchange.response_body or "") <= errors.BODY_LIMIT


def test_an_announced_length_past_the_limit_is_refused_unread(huge_server):
    server, handler = huge_server
    handler.size, handler.announce = 300 * 1024 * 1024, True
    with _client(server) as client, pytest.raises(errors.ResponseTooLargeError):
        client.pull_orders()


def test_an_answer_within_the_limit_is_read(huge_server):
    server, handler = huge_server
    handler.size = 1  # one chunk: unreadable JSON, but read whole
    with _client(server) as client, pytest.raises(errors.ProtocolError) as caught:
        client.pull_orders()
    assert not isinstance(caught.value, errors.ResponseTooLargeError)


def test_the_limit_is_the_clients(huge_server):
    server, handler = huge_server
    handler.size = 10 * len(CHUNK)
    host, port = server.server_address
    with (
        CartonaClient(
            f"http://{host}:{port}/api/v1/",
            TOKEN,
            timeout=10,
            allow_local=True,
            max_response_bytes=len(CHUNK) * 2,
        ) as client,
        pytest.raises(errors.ResponseTooLargeError) as caught,
    ):
        client.pull_orders()
    assert f"{len(CHUNK) * 2} bytes" in str(caught.value)
