"""Faults the sandbox injects into ``/api/v1/`` requests, on demand.

A fault matches requests by an optional path substring and method. It fires for the
next ``count`` matching requests, or for a seeded random ``ratio`` of them (capped by
``count`` when both are given) until the faults are cleared.
"""

import itertools
import random
from dataclasses import dataclass, field

LATENCY = "latency"
ERROR = "error"
RATE_LIMIT = "rate_limit"
AUTH = "auth"
HANG = "hang"
MALFORMED = "malformed"
WRONG_SHAPE = "wrong_shape"
DROP = "drop"
FAULT_KINDS = (LATENCY, ERROR, RATE_LIMIT, AUTH, HANG, MALFORMED, WRONG_SHAPE, DROP)

#: ``seconds`` when not given: latency added, Retry-After announced, hang duration.
DEFAULT_SECONDS = {LATENCY: 0.2, RATE_LIMIT: 1.0, HANG: 5.0}


@dataclass
class Fault:
    """One injected fault; ``remaining`` counts down, ``None`` means unlimited."""

    id: int
    kind: str
    remaining: int | None
    ratio: float | None
    path: str | None
    method: str | None
    status: int
    seconds: float
    apply: bool
    body: object
    retry_after: str | None
    seed: int
    hits: int = 0
    rng: random.Random = field(default=None, repr=False)

    def __post_init__(self):
        self.rng = random.Random(self.seed)

    def matches(self, method, path):
        """Whether a request with this method and path is one the fault targets."""
        if self.method and self.method.upper() != method.upper():
            return False
        return not self.path or self.path in path

    def fires(self):
        """Decide for one matching request; a firing fault uses up one ``remaining``."""
        if self.ratio is not None and self.rng.random() >= self.ratio:
            return False
        if self.remaining is not None:
            self.remaining -= 1
        self.hits += 1
        return True

    @property
    def exhausted(self):
        return self.remaining is not None and self.remaining <= 0

    def as_dict(self):
        """JSON view of the fault, for the control API."""
        return {
            "id": self.id,
            "kind": self.kind,
            "remaining": self.remaining,
            "ratio": self.ratio,
            "path": self.path,
            "method": self.method,
            "status": self.status,
            "seconds": self.seconds,
            "apply": self.apply,
            "body": self.body,
            "retry_after": self.retry_after,
            "seed": self.seed,
            "hits": self.hits,
        }


class FaultBook:
    """The active faults, first added first matched. Callers hold the state lock."""

    def __init__(self):
        self._faults = []
        self._ids = itertools.count(1)

    def add(
        self,
        kind,
        count=None,
        ratio=None,
        path=None,
        method=None,
        status=500,
        seconds=None,
        apply=False,
        seed=0,
        body=None,
        retry_after=None,
    ):
        """Register a fault and return it; raises ``ValueError`` on bad arguments."""
        _check_fault_args(kind, count, ratio, status, seconds)
        fault = Fault(
            id=next(self._ids),
            kind=kind,
            remaining=1 if count is None and ratio is None else count,
            ratio=None if ratio is None else float(ratio),
            path=path or None,
            method=method.upper() if method else None,
            status=int(status),
            seconds=float(
                DEFAULT_SECONDS.get(kind, 0.0) if seconds is None else seconds
            ),
            apply=bool(apply),
            body=body,
            retry_after=None if retry_after is None else str(retry_after),
            seed=int(seed),
        )
        self._faults.append(fault)
        return fault

    def take(self, method, path):
        """The fault that fires for this request, or ``None``."""
        for fault in self._faults:
            if fault.matches(method, path) and fault.fires():
                if fault.exhausted:
                    self._faults.remove(fault)
                return fault
        return None

    def clear(self):
        self._faults.clear()

    def as_list(self):
        return [fault.as_dict() for fault in self._faults]


def _check_fault_args(kind, count, ratio, status, seconds):
    """Raise ``ValueError`` for arguments no fault can have."""
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int)):
        raise ValueError(f"count must be an integer, got {count!r}")
    if count is not None and count < 1:
        raise ValueError(f"count must be at least 1, got {count!r}")
    if ratio is not None and not 0 <= float(ratio) <= 1:
        raise ValueError(f"ratio must be between 0 and 1, got {ratio!r}")
    if not 100 <= int(status) <= 599:
        raise ValueError(f"status must be an HTTP status code, got {status!r}")
    if seconds is not None and float(seconds) < 0:
        raise ValueError(f"seconds must not be negative, got {seconds!r}")
