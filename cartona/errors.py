"""The errors raised by the Cartona client, and the helpers that classify responses.

Every failure of a call to Cartona is one of four classes, so that callers decide once
what to do with it (``ARCHITECTURE.md`` section 2, step 5):

- :class:`TransientError`: timeout, connection trouble, 5xx or 429. Retry later,
  after ``retry_after`` seconds when Cartona said so.
- :class:`AuthenticationError`: 401/403. The token is wrong; retrying cannot help.
- :class:`RejectedError`: any other 4xx. Cartona refused this request (unknown order,
  forbidden transition, wrong OTP ...); the message carries Cartona's own words.
- :class:`ProtocolError`: a 2xx whose body is not what the endpoint returns
  (:class:`MalformedResponseError` when it cannot even be read as JSON).

None of them ever carries the API token: the client passes every text through
:func:`redact` before it reaches an error, an exchange or a log line. The texts they
keep are bounded, secret-masked and storable (:func:`.payloads.log_excerpt`).
"""

import json
import time
from email.utils import parsedate_to_datetime

from .payloads import log_excerpt

#: Longest response text kept on an error or an exchange.
BODY_LIMIT = 2000
#: Longest server message copied into an error message.
MESSAGE_LIMIT = 500
#: Longest wait a ``Retry-After`` is honoured for (seconds): one hour. A longer one
#: (``1000000000`` would freeze a job until 2058) is not trusted.
MAX_RETRY_AFTER = 3600
#: Largest answer read from Cartona (bytes); a larger one is refused unread.
MAX_RESPONSE_BYTES = 20 * 1024 * 1024
#: JSON keys where Cartona (or a proxy in front of it) puts its error text.
MESSAGE_KEYS = ("error", "message", "detail", "details", "errors")
REDACTED = "***"


def redact(text, secrets):
    """Return ``text`` with each occurrence of every non-empty secret made ``***``."""
    if not text:
        return text
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def truncate(text, limit=BODY_LIMIT):
    """Cut ``text`` to ``limit`` characters, saying how much was left out."""
    if text is None or len(text) <= limit:
        return text
    return f"{text[:limit]}... [{len(text) - limit} more characters]"


class CartonaError(Exception):
    """Base class of every error the Cartona client raises.

    ``status_code`` is the HTTP status (``None`` when no response came back), ``body``
    an excerpt of the response text (bounded, secrets masked), and ``exchange`` the
    :class:`~.client.Exchange` recorded for the failed attempt.
    """

    def __init__(self, message, status_code=None, body=None, exchange=None):
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.body = log_excerpt(body, BODY_LIMIT)
        self.exchange = exchange

    def __str__(self):
        if self.status_code is None:
            return self.message
        return f"{self.message} (HTTP {self.status_code})"


class TransientError(CartonaError):
    """A failure that may pass by itself: timeout, connection error, 5xx, 429.

    ``retry_after`` is the delay in seconds Cartona asked for, or ``None``.
    """

    def __init__(
        self, message, status_code=None, body=None, exchange=None, retry_after=None
    ):
        super().__init__(message, status_code, body, exchange)
        self.retry_after = bounded_retry_after(retry_after)


class AuthenticationError(CartonaError):
    """Cartona refused the token (401/403)."""


class RejectedError(CartonaError):
    """Cartona refused the request itself (a 4xx other than 401, 403 and 429)."""


class ProtocolError(CartonaError):
    """A success status whose body is not what the endpoint returns."""


class ResponseTooLargeError(ProtocolError):
    """Cartona's answer is larger than ``limit`` bytes: it was refused before being
    read whole, and nothing in it was used."""

    def __init__(self, message, status_code=None, body=None, exchange=None, limit=0):
        super().__init__(message, status_code, body, exchange)
        self.limit = limit


class MalformedResponseError(ProtocolError):
    """A success status whose body cannot be read as JSON at all: invalid UTF-8 or
    JSON, nesting too deep, a number too long. On a page of the pull feed, one
    broken entry is enough (see ``CartonaClient.iter_pull_orders``).

    ``array`` tells whether the body starts as a JSON array (so one of its entries
    may be what breaks it); ``digest`` is the SHA-256 of the body as received.
    """

    def __init__(
        self,
        message,
        status_code=None,
        body=None,
        exchange=None,
        array=False,
        digest=None,
    ):
        super().__init__(message, status_code, body, exchange)
        self.array = array
        self.digest = digest


class ConfigurationError(CartonaError):
    """The account's settings forbid the call (e.g. a base URL that is not
    Cartona's public service): nothing was sent, and retrying cannot help until a
    manager fixes them."""


#: How each failure is recorded (a sync log's outcome), most specific class first.
OUTCOME_OF_ERROR = (
    (TransientError, "transient_error"),
    (AuthenticationError, "auth_error"),
    (RejectedError, "rejected"),
    (ProtocolError, "protocol_error"),
)
#: Outcomes of a failure: a Cartona error above, or an import that failed ("error").
ERROR_OUTCOMES = (
    "transient_error",
    "auth_error",
    "rejected",
    "protocol_error",
    "error",
)


def outcome_of(error):
    """The log outcome of ``error``: ``success`` for ``None``, ``error`` for an
    error of no known class."""
    if error is None:
        return "success"
    for error_class, outcome in OUTCOME_OF_ERROR:
        if isinstance(error, error_class):
            return outcome
    return "error"


def parse_retry_after(value, now=None):
    """Seconds to wait according to a ``Retry-After`` header, or ``None``.

    Accepts delta-seconds (``"120"``, also ``"1.5"``) and an HTTP-date. A date in the
    past gives ``0.0``; a missing or unreadable value gives ``None``.
    """
    if value is None:
        return None
    value = str(value).strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return _seconds_until_http_date(value, now)
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        return None
    return max(seconds, 0.0)


def bounded_retry_after(seconds, limit=MAX_RETRY_AFTER):
    """The wait Cartona asked for (``seconds``), when it can be honoured, else ``None``.

    Honoured: a number of seconds above 0 and at most ``limit`` (one hour). Anything
    else (``None``, junk, ``NaN``, a negative value or 0, an HTTP date in the past,
    an absurd wait such as ``1e12``) gives ``None``: the caller's normal backoff.
    The one place that bounds what Cartona may impose on Odoo's jobs.
    """
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        return None
    seconds = float(seconds)
    if not 0.0 < seconds <= limit:  # also False for NaN
        return None
    return seconds


def _seconds_until_http_date(value, now):
    """Seconds from ``now`` (epoch seconds, default the clock) until an HTTP-date."""
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None or moment.tzinfo is None:
        return None
    now = time.time() if now is None else now
    return max(moment.timestamp() - now, 0.0)


def extract_message(text):
    """Cartona's error message from a response body, or the stripped raw text.

    Looks for ``error``, ``message``, ``detail(s)`` and ``errors`` in a JSON object and
    joins what it finds with ``": "``; falls back to the whole text. The result is an
    excerpt of at most ``MESSAGE_LIMIT`` characters (secrets masked, storable), even
    for a body that cannot be parsed (nested too deep, ...).
    """
    if not text or not text.strip():
        return ""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return log_excerpt(text.strip(), MESSAGE_LIMIT)
    if isinstance(data, dict):
        parts = [_as_text(data[key]) for key in MESSAGE_KEYS if data.get(key)]
        if parts:
            return log_excerpt(": ".join(parts), MESSAGE_LIMIT)
    if isinstance(data, str):
        return log_excerpt(data, MESSAGE_LIMIT)
    return log_excerpt(text.strip(), MESSAGE_LIMIT)


def _as_text(value):
    """A message part: strings as they are, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError, RecursionError):
        return log_excerpt(value, MESSAGE_LIMIT)
