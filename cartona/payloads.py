"""Outbound bodies for Cartona's status endpoints, and what logs may keep of a body.

The ORM layer passes plain values; these functions return the exact JSON-able bodies
sent (cartona-api.md sections 3.2 and 3.3), a redacted copy for previews
(:func:`redacted`) and, for anything stored in a log, a bounded, secret-masked,
storable text excerpt (:func:`log_excerpt`).
"""

import json
import math
import re

from . import statuses

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: Keys whose values never reach a log or a preview in clear, compared in lower case:
#: both OTPs of an order (sections 3.2 and 5) and any credential a body might echo.
SECRET_KEYS = frozenset(
    {
        "retailer_otp",
        "pickup_otp",
        "authorizationtoken",
        "authorization",
        "auth_token",
        "token",
        "password",
        "api_key",
        "secret",
    }
)
MASK = "***"
#: Default length of a log excerpt, in characters.
EXCERPT_LIMIT = 2000
#: Nesting an excerpt still shows; Cartona's bodies are 4 levels deep.
EXCERPT_DEPTH = 20
_KEY_ALTERNATIVES = "|".join(sorted(re.escape(key) for key in SECRET_KEYS))
#: ``"key": value`` (JSON, or a Python repr with single quotes), even in cut text.
_SECRET_PAIR = re.compile(
    r"""(?P<q>["'])(?P<key>[\w-]{1,64})(?P=q)(?P<sep>\s*:\s*)"""
    r"""(?P<value>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s,{}\[\]]+)"""
)
#: ``key=value`` (query strings, form bodies).
_SECRET_PARAM = re.compile(
    rf"(?<![\w-])(?P<key>{_KEY_ALTERNATIVES})=(?P<value>[^&\s]+)", re.IGNORECASE
)
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def build_status_item(
    hashed_id,
    status,
    payment_method=statuses.PAYMENT_STANDARD,
    retailer_otp=None,
    cancellation_reason=None,
    delivery_day=None,
    estimated_delivery_day=None,
):
    """One status update: the bulk endpoint's array item and the single endpoint's body.

    ``retailer_otp`` is sent only where Cartona requires it (``delivered`` for
    installment and wallet top-up orders); ``cancellation_reason`` only on a
    supplier cancellation.
    Raises ``ValueError`` with a readable message when the update cannot be valid.
    """
    if not hashed_id or not isinstance(hashed_id, str):
        raise ValueError("the order has no Cartona id (hashed_id)")
    if status not in statuses.SUPPLIER_STATUSES:
        raise ValueError(f"{status!r} is not a status the supplier may send")
    item = {"hashed_id": hashed_id, "status": status}
    if statuses.otp_required(status, payment_method):
        if not retailer_otp:
            raise ValueError(
                f"Cartona needs the retailer's OTP to accept 'delivered' for "
                f"{payment_method} orders"
            )
        item["retailer_otp"] = str(retailer_otp).strip()
    if status == statuses.CANCELLED_BY_SUPPLIER:
        reason = cancellation_reason or statuses.DEFAULT_CANCELLATION_REASON
        if reason not in statuses.CANCELLATION_REASONS:
            raise ValueError(f"unknown cancellation reason {reason!r}")
        item["cancellation_reason"] = reason
    for key, value in (
        ("delivery_day", delivery_day),
        ("estimated_delivery_day", estimated_delivery_day),
    ):
        if value:
            if not _DATE.match(str(value)):
                raise ValueError(f"{key} must be a YYYY-MM-DD date, not {value!r}")
            item[key] = str(value)
    return item


def is_secret_key(key):
    """Whether the value of ``key`` is a secret (:data:`SECRET_KEYS`, any case)."""
    return isinstance(key, str) and key.lower() in SECRET_KEYS


def redacted(value):
    """Copy of a body (dict, list or scalar) with secret keys masked, for previews.

    Empty secrets (``None``, ``""``) stay visible: they tell an OTP was missing.
    """
    if isinstance(value, dict):
        return {
            key: MASK if is_secret_key(key) and val else redacted(val)
            for key, val in value.items()
        }
    if isinstance(value, list):
        return [redacted(val) for val in value]
    return value


def log_excerpt(value, limit=EXCERPT_LIMIT, secrets=()):
    """What a log may keep of ``value``: bounded, secret-masked, storable text.

    ``value`` is anything: a body as sent or received (text or bytes, JSON or not,
    possibly cut), or a decoded structure, however large, deep or odd. The result:

    - the values of :data:`SECRET_KEYS` are ``***``, in structures and in text
      (``"key": value`` pairs, also in cut or invalid JSON, and ``key=value``);
    - each of ``secrets`` (e.g. the API token) is ``***`` wherever it occurs;
    - lone UTF-16 surrogates and NUL characters (which PostgreSQL and JSON cannot
      store) are U+FFFD; bytes are decoded as UTF-8, bad sequences U+FFFD;
    - at most ``limit`` characters, followed by ``... [N more characters]`` when
      more was cut; structures are described with bounded work (at most ``limit``
      items, :data:`EXCERPT_DEPTH` levels).

    ``None`` gives ``None``. Never raises.
    """
    if value is None:
        return None
    if isinstance(value, bytes | bytearray):
        text = bytes(value).decode("utf-8", errors="replace")
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(
            _describe(value, 0, [max(limit, 1)]),
            ensure_ascii=False,
            allow_nan=True,
        )
    text = mask_secret_text(text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    text = _UNSTORABLE.sub("\ufffd", text)
    if len(text) > limit:
        return f"{text[:limit]}... [{len(text) - limit} more characters]"
    return text


def mask_secret_text(text):
    """``text`` with the values of :data:`SECRET_KEYS` masked (see log_excerpt)."""
    if not text:
        return text
    text = _SECRET_PAIR.sub(_mask_pair, text)
    return _SECRET_PARAM.sub(lambda m: f"{m['key']}={MASK}", text)


def _mask_pair(match):
    value = match["value"]
    if not is_secret_key(match["key"]) or value in ("null", "None", '""', "''"):
        return match[0]
    quote = match["q"]
    return f"{quote}{match['key']}{quote}{match['sep']}{quote}{MASK}{quote}"


def _describe(value, depth, budget):
    """``value`` as a JSON-able structure of bounded size, secrets masked.

    ``budget`` is a one-item list: the items left to describe, shared by the whole
    walk, so that a huge structure costs at most that many steps.
    """
    budget[0] -= 1
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        if value.bit_length() > 200:  # int -> str is quadratic, and refused past 4300
            digits = int(value.bit_length() * math.log10(2)) + 1
            return f"<integer of about {digits} digits>"
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, dict | list | tuple | set | frozenset):
        if depth >= EXCERPT_DEPTH:
            return "<nested too deeply>"
        if isinstance(value, dict):
            return _describe_items(value.items(), len(value), depth, budget, True)
        return _describe_items(value, len(value), depth, budget, False)
    try:
        return f"<{type(value).__name__}: {repr(value)[:200]}>"
    except Exception:  # a repr that fails is still described
        return f"<{type(value).__name__}>"


def _describe_items(items, size, depth, budget, mapping):
    result = {} if mapping else []
    done = 0
    for item in items:
        if budget[0] <= 0:
            break
        done += 1
        if mapping:
            key, val = item
            key = key if isinstance(key, str) else str(_describe(key, depth, budget))
            secret = is_secret_key(key) and val not in (None, "")
            result[key] = MASK if secret else _describe(val, depth + 1, budget)
        else:
            result.append(_describe(item, depth + 1, budget))
    if done < size:
        more = f"{size - done} more items"
        if mapping:
            result["..."] = more
        else:
            result.append(f"... {more}")
    return result
