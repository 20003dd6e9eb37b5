"""How the sandbox draws values from its seed and writes them as the two APIs do: date-times, money, ids.

YM's date-times are kept as .NET-style ticks (100 ns units since 0001-01-01, server-local, no zone) so
that its seven fraction digits survive comparisons and round trips exactly. Younium's are integer
milliseconds since 1970-01-01 UTC.
"""

from __future__ import annotations

import hashlib
import re
import time
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

TICKS_PER_SECOND = 10_000_000
_EPOCH = datetime(1, 1, 1)
# YM's "no date" is .NET DateTime.MinValue.
NO_DATE = "0001-01-01T00:00:00"

SECOND = 1000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
_UNIX_DAY_ORDINAL = date(1970, 1, 1).toordinal()

_MOMENT = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7})\d*)?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$"
)
_US_MOMENT = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


# -- drawing from the seed --------------------------------------------------------------------------------


def seed_key(system: str, seed: int) -> bytes:
    """The key of one system's digests: equal seeds, equal data; the two systems draw independently."""
    return hashlib.blake2b(f"finsync-sandbox-{system}:{seed}".encode(), digest_size=32).digest()


def digest(key: bytes, person: bytes, number: int) -> bytes:
    """48 bytes that are a pure function of (key, person, number): where every seeded value comes from."""
    return hashlib.blake2b(number.to_bytes(8, "little"), key=key, person=person, digest_size=48).digest()


def uuid_of(raw: bytes) -> str:
    """A version-4 UUID made of the first 16 bytes (what `uuid.UUID(bytes=..., version=4)` makes, faster)."""
    b = bytearray(raw[:16])
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def luhn_digit(body: str) -> int:
    """The Luhn check digit of `body` (card numbers, Swedish OCR references)."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        digit = int(ch) * (2 if i % 2 == 0 else 1)
        total += digit - 9 if digit > 9 else digit
    return (10 - total % 10) % 10


def money(cents: int) -> Decimal:
    """An exact two-decimal amount."""
    return Decimal(cents).scaleb(-2)


# -- YM: server-local ticks ---------------------------------------------------------------------------------


def ticks_of(moment: datetime) -> int:
    """Ticks of a naive datetime."""
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * TICKS_PER_SECOND + delta.microseconds * 10


def format_ticks(ticks: int) -> str:
    """`2024-05-03T01:24:34`, with the fraction (`.3184733`) only when there is one, as YM writes it."""
    seconds, fraction = divmod(ticks, TICKS_PER_SECOND)
    text = (_EPOCH + timedelta(seconds=seconds)).isoformat()
    return f"{text}.{fraction:07d}" if fraction else text


def parse_server_time(text: str, server_zone: ZoneInfo) -> int:
    """A date-time query parameter as server-local ticks.

    YM reads date-times without an offset in its own zone; one with an offset (or `Z`) is converted
    to that zone first. Raises ValueError for anything else.
    """
    match = _MOMENT.match(text.strip())
    if not match:
        raise ValueError(f"not a date-time: {text!r}")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    moment = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
    if offset:
        zone_text = "+00:00" if offset == "Z" else offset
        aware = datetime.fromisoformat(moment.isoformat() + zone_text)
        moment = aware.astimezone(server_zone).replace(tzinfo=None)
    return ticks_of(moment) + int((fraction or "").ljust(7, "0"))


# -- Younium: UTC milliseconds ------------------------------------------------------------------------------


def format_instant(ms: int) -> str:
    """`2024-01-02T07:30:00.12Z`: UTC, with the milliseconds (trailing zeros dropped) when there are some."""
    seconds, millis = divmod(ms, SECOND)
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    return f"{text}.{millis:03d}".rstrip("0") + "Z" if millis else text + "Z"


def format_naive_instant(ms: int) -> str:
    """`2024-01-02T07:30:00.12`: UTC without an offset, as the catalogue's timestamps are written."""
    return format_instant(ms).removesuffix("Z")


def format_day(ordinal: int) -> str:
    """A date as Younium writes one: midnight, no offset."""
    return date.fromordinal(ordinal).isoformat() + "T00:00:00"


def day_of(ms: int) -> int:
    """The date ordinal of a moment (UTC)."""
    return _UNIX_DAY_ORDINAL + ms // DAY


def start_of_day(ordinal: int) -> int:
    return (ordinal - _UNIX_DAY_ORDINAL) * DAY


def parse_moment(text: str) -> int:
    """A Younium date-time parameter in ms since 1970 UTC: ISO 8601 (a date alone is midnight; no offset
    means UTC) or US-style `03/01/2025 00:00:00` as in the API's examples. Raises ValueError."""
    text = text.strip()
    us = _US_MOMENT.match(text)
    if us:
        month, day, year, hour, minute, second = (int(g) if g else 0 for g in us.groups())
        moment = datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc)
    else:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
    return round(moment.timestamp() * 1000)
