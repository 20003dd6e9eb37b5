"""The optional members of the Younium records that only a share of them carry, drawn from the seed: the API
leaves a null member out, and a tenant has notes, CRM and ERP ids and links on some records, not all.

Each is a pure function of the seed and of what the record is (its number, id, journal position), never of
the clock, so a record carries the same members on every route that serves it (list pages, by-id reads,
ModifiedAfter windows, a batch's embedded invoices) and after every change that does not touch it.

- invoice: `notes` (a quarter), `externalCRMId` (a Salesforce opportunity id, two fifths); `settledNotes`
  on a third of the settled ones (settling an invoice changes its `modified`);
- invoice line: `chargePlanId` (every line of a charge of a plan: most; a credit note's line is its
  original's charge, so its plan too), `notes` (an eighth), `externalERPId` and `externalCRMId` (shares);
- account: `parentAccountId` on a sixth of the accounts after the first, the id of an account numbered
  before it;
- payment: `onlinePaymentIntentId` and `onlinePaymentChargeId` (Stripe's `pi_…`/`ch_…`) on a fifth;
- journal: `externalERPId` and `transferredToERP` (a timestamp: the integration transfers a journal when
  it is posted) on two thirds; their vouchers carry an ERP id of their own, and a quarter a CRM id;
- voucher: a payment's `paymentSettlementId` (a payment's one settlement has no id in its record: a uuid
  of the payment's); an invoice's posting or reversal, on half of the invoices, names the invoice line
  and order charge it books first (`invoiceLineId`, `orderChargeId`, `orderChargeNumber`, as that line
  serves them) and a revenue schedule item (`revenueScheduleItemId`, a uuid of the line's);
- chart of accounts: `externalERPId` on most accounts, `externalCRMId` on the revenue accounts' half;
- exchange rates: the rates each pair had before the current ones took effect (`RATES_FROM`), half a year
  each, their `effectiveToDate` the day before the next one starts; the current ones stay open-ended.
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from typing import Any

from ..kernel.formats import format_day, format_instant, uuid_of
from .dataset import YouniumDataset
from .gl import CURRENCIES, PAYMENT, POST, RATES_FROM, REVERSE, Journal, Voucher
from .seed import BASE_CURRENCY, RATES_E4, SETTLED, Account, Line, Payment, YouniumSeed

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_INVOICE_NOTES = (
    "Per agreement, invoiced annually in advance.",
    "Price adjusted by the index from January.",
    "Please state the invoice number with your payment.",
    "Replaces the quote sent by email.",
)
_LINE_NOTES = ("Prorated for the first period.", "Includes the agreed volume discount.", "Usage as reported.")
# The months the rates before the current ones took effect, newest first (each held until the next).
_RATE_STARTS = (date(2023, 7, 1).toordinal(), date(2023, 1, 1).toordinal())


def _digest(raw: str | bytes, person: bytes) -> bytes:
    data = raw.encode() if isinstance(raw, str) else raw
    return hashlib.blake2b(data, person=person, digest_size=32).digest()


def crm_id(prefix: str, d: bytes) -> str:
    """A Salesforce-style 18-character id: the object's key prefix, pod and 8 characters of `d`."""
    tail = "".join(_BASE62[b % 62] for b in d[:8])
    return f"{prefix}5g00000{tail}"


def _stripe_id(prefix: str, d: bytes) -> str:
    return prefix + "".join(_BASE62[b % 62] for b in d[:24])


def charge_number(line: Line) -> str:
    """The number of the order charge a line comes from."""
    return f"C-{int.from_bytes(line.digest[21:24], 'little') % 900_000 + 100_000}"


def charge_id(line: Line) -> str:
    """The id of the order charge a line comes from."""
    return uuid_of(line.digest[16:32])


def invoice_parts(dataset: YouniumDataset, n: int) -> dict[str, Any]:
    """Invoice `n`'s notes and CRM id, if it has them (also what a batch or a related invoice names)."""
    d = dataset.seeded.digest(b"invoice-extra", n)
    settled = dataset.invoices.status(n) == SETTLED and d[2] < 86
    return {
        "notes": _INVOICE_NOTES[d[3] % len(_INVOICE_NOTES)] if d[0] < 64 else None,
        "settledNotes": f"Settled by bank transfer, reference {d[4:8].hex().upper()}" if settled else None,
        "externalCRMId": invoice_crm_id(dataset, n),
    }


def invoice_crm_id(dataset: YouniumDataset, n: int) -> str | None:
    d = dataset.seeded.digest(b"invoice-extra", n)
    return crm_id("006", d[8:16]) if d[1] < 102 else None


def line_parts(line: Line) -> dict[str, Any]:
    """An invoice line's charge plan, notes and ERP and CRM ids, if it has them."""
    plan = _digest(line.digest[16:32], b"charge-plan")  # the charge's
    own = _digest(line.id, b"line-extra")
    return {
        "chargePlanId": uuid_of(plan[:16]) if plan[16] < 224 else None,
        "notes": _LINE_NOTES[own[1] % len(_LINE_NOTES)] if own[0] < 32 else None,
        "externalERPId": f"IR-{int.from_bytes(own[2:6], 'little') % 9_000_000 + 1_000_000}" if own[6] < 128 else None,
        "externalCRMId": crm_id("00k", own[8:16]) if own[7] < 64 else None,
    }


def parent_account_id(dataset: YouniumDataset, account: Account) -> str | None:
    """The id of the account `account` belongs under, for a sixth of them: one numbered before it."""
    d = dataset.seeded.digest(b"account-parent", account.number)
    if account.number < 2 or d[0] >= 43:
        return None
    parent = dataset.accounts.numbered(1 + int.from_bytes(d[1:3], "little") % (account.number - 1))
    return parent.id


def payment_parts(seeded: YouniumSeed, payment: Payment) -> dict[str, Any]:
    """The Stripe payment intent and charge behind a payment paid online, a fifth of them."""
    d = seeded.digest(b"online-payment", payment.number)
    online = d[0] < 51
    return {
        "onlinePaymentIntentId": _stripe_id("pi_", d[1:25]) if online else None,
        "onlinePaymentChargeId": _stripe_id("ch_", d[24:48]) if online else None,
    }


def _erp_voucher_series(seeded: YouniumSeed, entry: Journal) -> str | None:
    """The ERP's verification number of a journal transferred to it (two thirds are), else None."""
    d = seeded.digest(b"journal-erp", entry.number)
    return f"A{int.from_bytes(d[1:4], 'little') % 90_000 + 10_000}" if d[0] < 171 else None


def journal_parts(seeded: YouniumSeed, entry: Journal) -> dict[str, Any]:
    series = _erp_voucher_series(seeded, entry)
    return {
        "externalERPId": series,
        "transferredToERP": format_instant(entry.created) if series else None,
    }


def voucher_parts(dataset: YouniumDataset, entry: Journal, position: int, v: Voucher) -> dict[str, Any]:
    """A voucher's references to the line, charge, schedule item or settlement it books, and its ids."""
    seeded = dataset.seeded
    d = seeded.digest(b"voucher-extra", entry.number << 20 | position)
    series = _erp_voucher_series(seeded, entry)
    parts: dict[str, Any] = {
        "externalERPId": f"{series}-{position + 1}" if series else None,
        "externalCRMId": crm_id("a0V", d[1:9]) if d[0] < 64 else None,
    }
    if v.kind == PAYMENT and v.payment:
        parts["paymentSettlementId"] = seeded.uuid(b"settlement", v.payment.number)
    elif v.kind in (POST, REVERSE) and v.invoice and seeded.digest(b"voucher-line", v.invoice)[0] < 128:
        lines = dataset.lines.of(v.invoice)
        if lines:
            line = lines[0]
            parts["invoiceLineId"] = line.id
            parts["orderChargeId"] = charge_id(line)
            parts["orderChargeNumber"] = charge_number(line)
            parts["revenueScheduleItemId"] = uuid_of(_digest(line.id, b"schedule-item"))
    return parts


def gl_account_parts(seeded: YouniumSeed, code: str) -> dict[str, Any]:
    """A chart-of-accounts entry's ERP id (most have one) and CRM id (half the revenue accounts)."""
    d = seeded.digest(b"gl-account-extra", int(code))
    return {
        "externalERPId": f"GL-{code}" if d[0] < 224 else None,
        "externalCRMId": crm_id("a0G", d[2:10]) if code.startswith("3") and d[1] < 128 else None,
    }


def earlier_rates(seeded: YouniumSeed) -> list[dict[str, Any]]:
    """ExchangeRateResponse of the rates superseded by the current ones: one or two per foreign currency,
    a few percent off the current rate, each ending the day before its successor starts."""
    rates = []
    for i, (code, _) in enumerate(CURRENCIES):
        if code == BASE_CURRENCY:
            continue
        d = seeded.digest(b"earlier-rates", i)
        following = RATES_FROM
        for k, start in enumerate(_RATE_STARTS[: 1 + d[0] % 2]):
            rate_e4 = RATES_E4[code] * (1000 + d[1 + k] % 61 - 30) // 1000
            record = {
                "id": seeded.uuid(b"exchange-rate", 16 * (k + 1) + i),
                "fromCurrency": code,
                "toCurrency": BASE_CURRENCY,
                "rate": Decimal(rate_e4).scaleb(-4),
                "effectiveFromDate": format_day(start),
                "effectiveToDate": format_day(following - 1),
            }
            rates.append(record)
            following = start
    return rates
