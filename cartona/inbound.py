"""Inbound orders: check and normalise one entry of Cartona's pull feed.

Source of truth: ``cartona-api.md`` sections 4 (statuses), 5 (``delivered_by``), 6
(payment methods) and 7 (the pull-orders payload). :func:`normalize_order` checks a
whole payload before anything is touched: it returns an :class:`InboundOrder` of plain
values, or raises one :class:`InvalidOrder` listing every problem found, each line's
problems prefixed with its position and Cartona id. :func:`payload_fingerprint`
identifies one version of a feed entry, so that importing it twice changes nothing.

Nothing in a feed entry is trusted. Besides types, every value is bounded to what
Cartona can send, so that one hostile or broken entry can never stop the others
(a 3,000-character ``hashed_id`` would break a job's identity key):

- identifiers are short tokens (:data:`MAX_ID` characters, no control characters or
  line breaks): ``hashed_id`` (letters, digits, ``._~-``: it goes into URL paths),
  codes, product ids, route codes, OTPs; phone numbers have :data:`MAX_PHONE`
  characters of digits, spaces and ``+-()./``; line ids are positive integers of at
  most 18 digits;
- texts (names, addresses, notes, comments, product names, reasons) have at most
  :data:`MAX_TEXT` characters;
- ``amount`` is a whole number > 0 (section 3.4: an integer; ``6.0`` is accepted);
  an order has at most :data:`MAX_LINES` lines;
- anywhere in the entry, read or not, keys and values must be storable: no lone
  UTF-16 surrogate, no NUL character (PostgreSQL and JSON refuse them), finite
  numbers of sane size, at most :data:`MAX_DEPTH` levels and :data:`MAX_VALUES`
  values, strings of at most :data:`MAX_ANY_TEXT` characters.

Every problem gets its own reason (at most :data:`MAX_REASONS`, then a count).

:func:`status_steps` tells what Cartona's status of an order means for Odoo, for both
delivery responsibilities (section 8.2 and the permission matrix of section 5).
"""

import dataclasses
import datetime
import hashlib
import json
import math
import re
from dataclasses import dataclass

from . import statuses

#: Cancellations Cartona may report; the last two are undocumented but seen upstream.
CANCELLATION_STATUSES = frozenset(
    {
        statuses.CANCELLED_BY_RETAILER,
        statuses.CANCELLED_BY_SUPPLIER,
        "cancelled",
        "cancelled_by_cartona",
    }
)
KNOWN_STATUSES = frozenset(statuses.STATUSES) | CANCELLATION_STATUSES
#: Statuses Cartona drives for the orders its own couriers deliver.
CARTONA_SHIPPING_STATUSES = frozenset(
    {statuses.ASSIGNED_TO_SALESMAN, statuses.DELIVERED}
)

# What a status asks of Odoo (see :func:`status_steps`).
STEP_CONFIRM = "confirm"
STEP_CANCEL = "cancel"
STEP_VALIDATE_DELIVERY = "validate_delivery"
STEP_RETURN = "return"
STEP_NOT_DRIVEN = "not_driven"
STEP_UNKNOWN = "unknown"

#: Largest amount or price accepted (beyond it Odoo's floats lose their cents).
MAX_NUMBER = 1e12
MAX_LINE_ID = 10**18
#: Longest identifier, code or OTP (Cartona's ids are short tokens: "Qm7TzR2a").
MAX_ID = 64
#: Longest phone number.
MAX_PHONE = 32
#: Longest text: names, addresses, notes, comments, product names, reasons.
MAX_TEXT = 1000
#: Most lines in one order.
MAX_LINES = 1000
#: Most reasons listed for one entry; the rest are counted.
MAX_REASONS = 50
#: Anywhere in an entry, including fields the import does not read: the deepest
#: nesting, the most values, the longest string and the total of such strings.
MAX_DEPTH = 16
MAX_VALUES = 100_000
MAX_ANY_TEXT = 10_000
MAX_EXTRA_TEXT = 1_000_000
#: Integers past this many bits cannot be a Cartona value (about 30 digits).
_MAX_INT_BITS = 100
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DIGITS = re.compile(r"\d{1,18}")
_HASHED_ID = re.compile(r"[A-Za-z0-9._~-]+")
_PHONE = re.compile(r"[\d+()./ -]+")
#: C0 and C1 control characters (line breaks and tabs included).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_PLAIN_KEY = re.compile(r"[\w-]{1,40}")
_SHOWN = 60
_MISSING = object()

DATE_FIELDS = (
    "delivery_day",
    "estimated_delivery_day",
    "retailer_preferred_delivery_date",
    "pickup_date",
)
TEXT_FIELDS = ("note_message", "cancellation_reason", "return_reason")
MONEY_FIELDS = ("cartona_credit", "installment_cost", "wallet_top_up")
#: Keys whose values a field check reads (and checks for storability itself); the
#: storability scan of the rest of the entry skips them.
ORDER_KEYS_READ = frozenset(
    {
        "hashed_id",
        "status",
        "retailer",
        "order_details",
        "total_price",
        "supplier_code",
        "pickup_otp",
        "edited_by_admin",
        *DATE_FIELDS,
        *TEXT_FIELDS,
        *MONEY_FIELDS,
    }
)
RETAILER_KEYS_READ = frozenset(
    {
        "retailer_name",
        "retailer_code",
        "retailer_number",
        "retailer_number2",
        "retailer_address",
        "address_notes",
    }
)
LINE_KEYS_READ = frozenset(
    {
        "id",
        "internal_product_id",
        "supplier_product_id",
        "base_product_id",
        "unit",
        "amount",
        "selling_price",
        "applied_cartona_discount",
        "comment",
        "product_name",
    }
)


class InvalidOrder(ValueError):
    """A feed entry that cannot be imported; ``reasons`` lists every problem."""

    def __init__(self, reasons, hashed_id=None):
        reasons = list(reasons) or ["invalid order"]
        if len(reasons) > MAX_REASONS:
            more = len(reasons) - MAX_REASONS
            reasons = reasons[:MAX_REASONS] + [f"... and {more} more problems"]
        self.reasons = reasons
        self.hashed_id = hashed_id
        super().__init__("\n".join(self.reasons))


@dataclass(frozen=True)
class Retailer:
    """The retailer of an order (section 7.2); empty values are ``None``."""

    name: str
    code: str | None = None
    phone: str | None = None
    phone2: str | None = None
    address: str | None = None
    address_notes: str | None = None


@dataclass(frozen=True)
class OrderLine:
    """One ``order_details`` entry (section 7.3); ``position`` counts from 1."""

    position: int
    line_id: int
    internal_product_id: str
    amount: int
    selling_price: float
    comment: str | None = None
    product_name: str | None = None
    supplier_product_id: str | None = None
    #: ``applied_cartona_discount``: the per-piece discount Cartona funds.
    cartona_discount: float = 0

    @property
    def label(self):
        """``line 2 (id 5550102)``: how messages name the line."""
        return f"line {self.position} (id {self.line_id})"


@dataclass(frozen=True)
class InboundOrder:
    """A checked pull-orders entry, in plain normalised values.

    ``status`` is Cartona's, as sent (unknown ones included, see ``status_known``);
    ``delivered_by`` and ``payment_method`` are always one of the known values.
    Dates are :class:`datetime.date` or ``None``; ``warnings`` are readable sentences.
    """

    hashed_id: str
    status: str
    delivered_by: str
    payment_method: str
    retailer: Retailer
    lines: tuple
    total_price: float
    cartona_credit: float = 0
    installment_cost: float = 0
    wallet_top_up: float = 0
    supplier_code: str | None = None
    delivery_day: datetime.date | None = None
    estimated_delivery_day: datetime.date | None = None
    retailer_preferred_delivery_date: datetime.date | None = None
    pickup_date: datetime.date | None = None
    pickup_otp: str | None = None
    note_message: str | None = None
    cancellation_reason: str | None = None
    return_reason: str | None = None
    distribution_route_code: str | None = None
    edited_by_admin: bool = False
    fingerprint: str = ""
    warnings: tuple = ()

    @property
    def status_known(self):
        return self.status in KNOWN_STATUSES

    @property
    def is_cancellation(self):
        return self.status in CANCELLATION_STATUSES

    @property
    def product_ids(self):
        """The distinct ``internal_product_id`` values, in line order."""
        return tuple(dict.fromkeys(line.internal_product_id for line in self.lines))

    def to_job(self):
        """This checked order as JSON values (a queue job's argument).

        The feed entry is checked once, when it is pulled; the import job takes
        the result back with :meth:`from_job` instead of checking it again.
        """
        values = dataclasses.asdict(self)
        for key, value in values.items():
            if isinstance(value, datetime.date):
                values[key] = value.isoformat()
        values["lines"] = [dataclasses.asdict(line) for line in self.lines]
        values["warnings"] = list(self.warnings)
        values[JOB_FORMAT_KEY] = JOB_FORMAT
        return values

    @classmethod
    def from_job(cls, values):
        """The order :meth:`to_job` gave (``values`` is not checked again)."""
        values = dict(values)
        values.pop(JOB_FORMAT_KEY, None)
        for key in DATE_FIELDS:
            if values.get(key):
                values[key] = datetime.date.fromisoformat(values[key])
        values["retailer"] = Retailer(**values["retailer"])
        values["lines"] = tuple(OrderLine(**line) for line in values["lines"])
        values["warnings"] = tuple(values.get("warnings") or ())
        return cls(**values)


#: Marks a queue job argument made by :meth:`InboundOrder.to_job`.
JOB_FORMAT_KEY = "_checked"
JOB_FORMAT = 1


def from_job_or_payload(value):
    """An :class:`InboundOrder` from an import job's argument: a checked order, or
    (jobs queued before the feed was checked at pull) a raw feed entry, checked now.
    Raises :class:`InvalidOrder` for an invalid raw entry."""
    if isinstance(value, dict) and value.get(JOB_FORMAT_KEY) == JOB_FORMAT:
        return InboundOrder.from_job(value)
    return normalize_order(value)


@dataclass(frozen=True)
class LinesDiff:
    """How the lines of a pulled version differ from the order's, by Cartona id."""

    added: tuple = ()
    changed: tuple = ()
    removed: tuple = ()

    def __bool__(self):
        return bool(self.added or self.changed or self.removed)


def diff_lines(current, pulled):
    """Compare the order's lines with a pulled version's, both given as
    ``{cartona_line_id: comparable value}``; returns a :class:`LinesDiff` of ids."""
    return LinesDiff(
        added=tuple(sorted(pulled.keys() - current.keys())),
        changed=tuple(
            sorted(
                ref
                for ref in pulled.keys() & current.keys()
                if pulled[ref] != current[ref]
            )
        ),
        removed=tuple(sorted(current.keys() - pulled.keys())),
    )


def payload_fingerprint(payload):
    """SHA-256 of the payload's canonical JSON: one id per version of a feed entry.

    Key order and whitespace do not matter; any value (even not JSON) is accepted.
    """
    text = json.dumps(
        _canonical(payload),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
        allow_nan=True,
        default=repr,
    )
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def hashed_id_of(payload):
    """The entry's ``hashed_id`` when it is a well-formed one, else ``None``.

    Well-formed: at most :data:`MAX_ID` letters, digits, ``.``, ``_``, ``~`` or
    ``-`` once stripped, so that it is safe in keys, locks and logs.
    """
    if isinstance(payload, dict):
        value = payload.get("hashed_id")
        if isinstance(value, str):
            value = value.strip()
            if len(value) <= MAX_ID and _HASHED_ID.fullmatch(value):
                return value
    return None


def normalize_order(payload):
    """Check one pull-orders entry completely; return an :class:`InboundOrder`.

    Raises :class:`InvalidOrder` with every reason found (never another exception).
    Unknown statuses and a missing or unknown ``delivered_by`` are warnings, not
    errors.
    """
    if not isinstance(payload, dict):
        raise InvalidOrder([f"the order must be a JSON object, got {_show(payload)}"])
    check = _Checker()
    hashed_id = check.hashed_id(payload)
    status = check.token(payload, "status", required=True, ints=False)
    retailer = _retailer(check, payload.get("retailer", _MISSING))
    lines = _lines(check, payload.get("order_details", _MISSING))
    money = {key: check.number(payload, key, default=0) for key in MONEY_FIELDS}
    total = check.number(payload, "total_price", default=None)
    dates = {key: check.date(payload, key) for key in DATE_FIELDS}
    texts = {key: check.text(payload, key) for key in TEXT_FIELDS}
    texts["distribution_route_code"] = check.token(payload, "distribution_route_code")
    supplier_code = check.token(payload, "supplier_code")
    pickup_otp = check.token(payload, "pickup_otp")
    edited_by_admin = check.boolean(payload, "edited_by_admin")
    check.storable(payload, "", skip=ORDER_KEYS_READ)
    if check.errors:
        raise InvalidOrder(check.errors, hashed_id_of(payload))

    warnings = []
    if status not in KNOWN_STATUSES:
        warnings.append(f"unknown Cartona status {status!r}, kept as is")
    raw_delivered_by = payload.get("delivered_by")
    if raw_delivered_by is not None and not isinstance(raw_delivered_by, str):
        raw_delivered_by = _show(raw_delivered_by)
    delivered_by, warning = statuses.normalize_delivered_by(raw_delivered_by)
    if warning:
        warnings.append(warning)
    lines_total = sum(line.amount * line.selling_price for line in lines)
    if total is None:
        total = lines_total
    elif abs(total - lines_total) > 0.01:
        warnings.append(
            f"total_price {_number_text(total)} differs from the lines' total "
            f"{_number_text(lines_total)}"
        )
    return InboundOrder(
        hashed_id=hashed_id,
        status=status,
        delivered_by=delivered_by,
        payment_method=statuses.payment_method_from_amounts(**money),
        retailer=retailer,
        lines=tuple(lines),
        total_price=total,
        supplier_code=supplier_code,
        pickup_otp=pickup_otp,
        edited_by_admin=edited_by_admin,
        fingerprint=payload_fingerprint(payload),
        warnings=tuple(warnings),
        **money,
        **dates,
        **texts,
    )


def status_steps(status, delivered_by):
    """What Cartona's ``status`` asks of Odoo, as a tuple of ``STEP_*`` values.

    - any cancellation: cancel the order (``STEP_CANCEL``);
    - ``approved``: confirm a draft order (``STEP_CONFIRM``);
    - ``returned``, whoever delivers: the goods come back (``STEP_RETURN``, see
      ``cartona.returns``);
    - ``assigned_to_salesman``, ``delivered`` of an order Cartona delivers: confirm
      it if needed, then validate its delivery; Cartona does not drive these for
      supplier-delivered orders (``STEP_NOT_DRIVEN``);
    - ``pending`` and ``editing``: nothing to do besides keeping the status;
    - anything else: ``STEP_UNKNOWN``.
    """
    if status in CANCELLATION_STATUSES:
        return (STEP_CANCEL,)
    if status == statuses.APPROVED:
        return (STEP_CONFIRM,)
    if status == statuses.RETURNED:
        return (STEP_RETURN,)
    if status in CARTONA_SHIPPING_STATUSES:
        if delivered_by != statuses.DELIVERED_BY_CARTONA:
            return (STEP_NOT_DRIVEN,)
        if status == statuses.DELIVERED:
            return (STEP_CONFIRM, STEP_VALIDATE_DELIVERY)
        return (STEP_CONFIRM,)
    if status in (statuses.PENDING, statuses.EDITING):
        return ()
    return (STEP_UNKNOWN,)


def planned_status(stored, pulled):
    """Cartona's status for planning: the stored one, unless the last version
    pulled is a cancellation, which nothing follows (an undocumented name such as
    ``cancelled`` counts as the retailer's side, not the supplier's)."""
    if pulled in CANCELLATION_STATUSES and stored not in statuses.TERMINAL_STATUSES:
        return stored_status(pulled) or statuses.CANCELLED_BY_RETAILER
    return stored


def stored_status(status):
    """The status as kept on the order (a known one), or ``None`` for others."""
    return status if status in statuses.STATUSES else None


# Internals


def _retailer(check, retailer):
    if retailer is _MISSING or retailer is None:
        check.errors.append("retailer is missing")
        return None
    if not isinstance(retailer, dict):
        check.errors.append(f"retailer must be an object, got {_show(retailer)}")
        return None
    where = "retailer."
    result = Retailer(
        name=check.text(retailer, "retailer_name", required=True, where=where),
        code=check.token(retailer, "retailer_code", where=where),
        phone=check.phone(retailer, "retailer_number", where=where),
        phone2=check.phone(retailer, "retailer_number2", where=where),
        address=check.text(retailer, "retailer_address", where=where),
        address_notes=check.text(retailer, "address_notes", where=where),
    )
    check.storable(retailer, where, skip=RETAILER_KEYS_READ)
    return result


def _lines(check, details):
    if details is _MISSING or details is None:
        check.errors.append("order_details is missing")
        return []
    if not isinstance(details, list):
        check.errors.append(f"order_details must be a list, got {_show(details)}")
        return []
    if not details:
        check.errors.append("order_details is empty: an order needs lines")
        return []
    if len(details) > MAX_LINES:
        check.errors.append(
            f"order_details has {len(details)} lines; at most {MAX_LINES} are accepted"
        )
        return []
    lines, seen = [], {}
    for position, detail in enumerate(details, start=1):
        line = _line(check, position, detail)
        if line is None:
            continue
        if line.line_id in seen:
            check.errors.append(
                f"{line.label}: the same id as line {seen[line.line_id]}"
            )
        seen.setdefault(line.line_id, position)
        lines.append(line)
    return lines


def _line(check, position, detail):
    if not isinstance(detail, dict):
        check.errors.append(f"line {position}: must be an object, got {_show(detail)}")
        return None
    line_id = _line_id(detail.get("id", _MISSING))
    if line_id is None:
        check.errors.append(
            f"line {position}: id must be a positive integer, "
            f"got {_show(detail.get('id', _MISSING))}"
        )
        where = f"line {position}: "
    else:
        where = f"line {position} (id {line_id}): "
    before = len(check.errors)
    product = check.token(
        detail, "internal_product_id", required=True, where=where, ints=False
    )
    supplier_product = check.token(detail, "supplier_product_id", where=where)
    check.token(detail, "base_product_id", where=where)
    check.token(detail, "unit", where=where, ints=False)
    amount = check.number(detail, "amount", where=where, positive=True, whole=True)
    price = check.number(detail, "selling_price", where=where)
    cartona_discount = check.number(
        detail, "applied_cartona_discount", where=where, default=0
    )
    comment = check.text(detail, "comment", where=where)
    name = check.text(detail, "product_name", where=where)
    check.storable(detail, where, skip=LINE_KEYS_READ)
    if line_id is None or len(check.errors) > before:
        return None
    return OrderLine(
        position=position,
        line_id=line_id,
        internal_product_id=product,
        amount=amount,
        selling_price=price,
        comment=comment,
        product_name=name,
        supplier_product_id=supplier_product,
        cartona_discount=cartona_discount,
    )


def _line_id(value):
    """A Cartona line id: a positive integer, also as digits or an integral float."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        value = int(value.strip())
    if isinstance(value, int) and 0 < value < MAX_LINE_ID:
        return value
    return None


class _Checker:
    """Reads typed values out of dicts, collecting one message per problem."""

    def __init__(self):
        self.errors = []
        self._scan = _Scan(self.errors)

    def _fail(self, where, key, message, value=_MISSING):
        got = "" if value is _MISSING else f", got {_show(value)}"
        self.errors.append(f"{where}{key} {message}{got}")

    def storable(self, data, where, skip):
        """Check every key, and every value not under ``skip``, can be stored."""
        self._scan.mapping(data, where, "", 0, skip)

    def hashed_id(self, data):
        """The order's id: a required token of URL-safe characters."""
        value = self.token(data, "hashed_id", required=True, ints=False)
        if value is not None and not _HASHED_ID.fullmatch(value):
            self._fail(
                "", "hashed_id", "must be letters, digits, '.', '_', '~' or '-'", value
            )
            return None
        return value

    def token(self, data, key, required=False, where="", ints=True, limit=MAX_ID):
        """An identifier, code or OTP: a short string without control characters.

        With ``ints``, an integer is taken as its digits.
        """
        value = data.get(key)
        if ints and isinstance(value, int) and not isinstance(value, bool):
            if abs(value) >= MAX_LINE_ID:
                self._fail(where, key, "is too large", value)
                return None
            return str(value)
        text = self.text(data, key, required=required, where=where, limit=limit)
        if text is not None and _CONTROL.search(text):
            self._fail(where, key, "contains a control character or a line break")
            return None
        return text

    def phone(self, data, key, where=""):
        """A phone number: digits (any script), spaces and ``+-()./``."""
        value = self.token(data, key, where=where, limit=MAX_PHONE)
        if value is not None and not _PHONE.fullmatch(value):
            self._fail(
                where,
                key,
                "must be a phone number (digits, spaces and + - ( ) . /)",
                value,
            )
            return None
        return value

    def text(self, data, key, required=False, where="", limit=MAX_TEXT):
        """A string, stripped; ``None`` when absent, null or empty (unless required)."""
        value = data.get(key, _MISSING)
        if value is _MISSING or value is None or value == "":
            if required:
                if value is _MISSING:
                    self._fail(where, key, "is missing")
                else:
                    self._fail(where, key, "must be a non-empty string", value)
            return None
        if not isinstance(value, str):
            self._fail(where, key, "must be a string", value)
            return None
        cleaned = value.strip()
        problem = _storable_problem(cleaned)
        if problem:
            self._fail(where, key, problem)
            return None
        if len(cleaned) > limit:
            self._fail(where, key, f"is longer than {limit} characters", cleaned)
            return None
        if required and not cleaned:
            self._fail(where, key, "must be a non-empty string", value)
            return None
        return cleaned or None

    def number(
        self, data, key, default=_MISSING, where="", positive=False, whole=False
    ):
        """A finite JSON number, >= 0 (or > 0 with ``positive``).

        With ``whole``, an integer (``6.0`` is taken as ``6``). Absent or null gives
        ``default``; without a default the key is required.
        """
        value = data.get(key, _MISSING)
        if value is _MISSING or value is None:
            if default is _MISSING:
                self._fail(where, key, "is missing")
            return None if default is _MISSING else default
        if isinstance(value, bool) or not isinstance(value, int | float):
            self._fail(where, key, "must be a number", value)
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self._fail(where, key, "must be a finite number", value)
            return None
        if abs(value) > MAX_NUMBER:
            self._fail(where, key, f"must be at most {MAX_NUMBER:g}", value)
            return None
        if whole:
            if isinstance(value, float) and not value.is_integer():
                self._fail(where, key, "must be a whole number", value)
                return None
            value = int(value)
        if positive and value <= 0:
            self._fail(where, key, "must be > 0", value)
            return None
        if value < 0:
            self._fail(where, key, "must be >= 0", value)
            return None
        return value

    def date(self, data, key, where=""):
        """A ``YYYY-MM-DD`` date; absent, null or empty gives ``None``."""
        value = data.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, str) and _DATE.fullmatch(value.strip()):
            try:
                return datetime.date.fromisoformat(value.strip())
            except ValueError:  # shaped like a date but not one (2025-02-30)
                self._fail(where, key, "must be a YYYY-MM-DD date or null", value)
                return None
        self._fail(where, key, "must be a YYYY-MM-DD date or null", value)
        return None

    def boolean(self, data, key, where=""):
        value = data.get(key)
        if value is None:
            return False
        if not isinstance(value, bool):
            self._fail(where, key, "must be true or false", value)
            return False
        return value


def _storable_problem(text):
    """Why a string cannot be stored by PostgreSQL or sent as JSON, or ``None``."""
    if "\x00" in text:
        return "contains a NUL character, which cannot be stored"
    if _SURROGATE.search(text):
        return "contains a lone UTF-16 surrogate, which cannot be stored"
    return None


class _Scan:
    """Walks what no field check reads, one reason per value that cannot be stored.

    Bounded: containers deeper than :data:`MAX_DEPTH` are not entered, and the walk
    stops after :data:`MAX_VALUES` values or :data:`MAX_EXTRA_TEXT` characters.
    """

    def __init__(self, errors):
        self.errors = errors
        self.values = 0
        self.chars = 0
        self.stopped = False

    def mapping(self, data, where, path, depth, skip=()):
        """Check the keys of ``data`` and the values of those not in ``skip``."""
        for key, value in data.items():
            if self.stopped:
                return
            if not isinstance(key, str):
                self.errors.append(f"{where}{path or 'the order'} has a non-text key")
                continue
            problem = _storable_problem(key)
            if problem:
                self.errors.append(f"{where}the key {_key_shown(key)} {problem}")
            if key in skip:
                continue
            name = key if _PLAIN_KEY.fullmatch(key) else _key_shown(key)
            self.value(value, where, f"{path}.{name}" if path else name, depth + 1)

    def value(self, value, where, path, depth):
        self.values += 1
        if self.values > MAX_VALUES:
            self._stop(f"the order has more than {MAX_VALUES} values")
            return
        problem = None
        if isinstance(value, str):
            self.chars += len(value)
            problem = _storable_problem(value)
            if not problem and len(value) > MAX_ANY_TEXT:
                problem = f"is longer than {MAX_ANY_TEXT} characters"
            if self.chars > MAX_EXTRA_TEXT:
                self._stop(
                    f"the order's other texts have more than {MAX_EXTRA_TEXT} "
                    "characters"
                )
        elif value is None or isinstance(value, bool):
            pass
        elif isinstance(value, int):
            if value.bit_length() > _MAX_INT_BITS:
                problem = "is a number too large to store"
        elif isinstance(value, float):
            if not math.isfinite(value):
                problem = "is not a finite number"
        elif isinstance(value, dict | list | tuple):
            if depth > MAX_DEPTH:
                problem = f"is nested more than {MAX_DEPTH} levels deep"
            elif isinstance(value, dict):
                self.mapping(value, where, path, depth)
            else:
                for index, item in enumerate(value):
                    if self.stopped:
                        break
                    self.value(item, where, f"{path}[{index}]", depth + 1)
        else:
            problem = "is not a JSON value"
        if problem:
            self.errors.append(f"{where}{path} {problem}")

    def _stop(self, reason):
        self.errors.append(reason)
        self.stopped = True


def _key_shown(key):
    """A key as messages show it: JSON with escapes, at most 40 characters."""
    shown = json.dumps(key, ensure_ascii=True)
    return shown if len(shown) <= 40 else shown[:36] + '..."'


def _show(value):
    """A short JSON-like rendering of a value for messages."""
    if value is _MISSING:
        return "nothing"
    try:
        text = json.dumps(
            _canonical(value), ensure_ascii=True, default=repr, allow_nan=True
        )
    except (TypeError, ValueError, RecursionError):
        text = f"<{type(value).__name__}>"
    if len(text) > _SHOWN:
        text = text[: _SHOWN - 3] + "..."
    return text


def _number_text(value):
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _canonical(value, depth=0):
    """``value`` with every mapping key a string, tuples as lists (for hashing)."""
    if depth > 100:
        return "<nested too deeply>"
    if isinstance(value, int) and not isinstance(value, bool):
        # Past 4300 digits int -> str raises; hex has no such limit.
        return value if value.bit_length() < 256 else hex(value)
    if isinstance(value, dict):
        return {str(key): _canonical(val, depth + 1) for key, val in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(val, depth + 1) for val in value]
    return value
