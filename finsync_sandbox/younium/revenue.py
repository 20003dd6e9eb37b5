"""Revenue schedules of the subscriptions' recurring charges, and the ledger postings they make: the
invoicing of those charges and the monthly recognition of what was invoiced (commercial facts §7,
finance facts §1 and §6).

Each billing is a line of a real, posted invoice on /Invoices (`younium.subscription_invoices` makes
it, through `Invoicer`): the Invoice journal's voucher names that invoice and line, and so do the
schedule items and the recognition vouchers.

- **A billing** (`ChargeBilling`) is one charge version invoiced over `[start, end)` (days, end exclusive)
  at a moment, or credited back (sign -1) when a change or a cancellation ends a charge already invoiced
  past its new end (the credit covers the days no longer served).
- **Schedule items**: recognition is Monthly (facts §7.2): the billed span is cut at the charge's service
  months (`effectiveStartDate` plus whole months), one item per service month or part of one. A whole
  service month is the charge's `recurringMonthlyAmount` (base: `recurringMonthlyAmountBase`), a part
  that share of it by days, rounded half-even, so a billing is the sum of its items, exactly. An item
  belongs to the accounting period of its first day, or to the billing's period when it is later (an
  item billed after its month was recognised is caught up in the next run): never to a period already
  run.
- **Invoice journal**: each invoice run (the billings made at one moment) is one `Invoice` journal, a
  voucher per billing (`source` Invoicing): debit receivables (1510) the total, credit the charge's
  deferred-revenue account (2971) the subtotal and output VAT 25 % (2611) the tax of a SEK account (the
  other currencies' customers are invoiced without VAT); a credit mirrors it. Effective the day invoiced.
- **RevenueRecognition journal**: after a month ends, its recognition runs (02:00 on the 1st for the
  seeded history, later at the tenant's next event): one journal for the period, one voucher per schedule
  item of the period (`source` RevenueRecognition, `revenueScheduleItemId` the item's id), debit deferred
  revenue (2971), credit recognised revenue (3011). It is effective on the period's last day while the
  period is Open, else (closed meanwhile) on the day it runs, in the open period: nothing is posted into
  a closed period. Periods before the first item's never run (nothing to recognise); a period with no
  item runs without a journal.
- A hard-deleted subscription's charges keep their schedules and postings (the ledger never forgets),
  and their recognition runs on.
- Not modelled: a period closed by hand before an invoice run of its own month still receives that
  run's voucher (`close_period` on the current month is the only way to get there).
- **Item amounts** (`deferredRevenue`, `recognizedRevenue`; whether Younium means movements or balances is
  open, §7.4): the sandbox serves movements of the item itself: before its period is recognised the
  item's whole amount is `deferredRevenue` and `recognizedRevenue` is 0; after, the reverse. The item's
  `modified` is when it was recognised (its `created` when billed).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from ..kernel.formats import HOUR, day_of, start_of_day
from .gl import BILL, OPEN, RECOGNISE, GeneralLedger, GLLine, Posting, month_days, month_of, period_name
from .orders import Order, OrderCharge, add_months
from .seed import BASE_CURRENCY, RATES_E4, YouniumSeed

RECEIVABLES, DEFERRED, RECOGNISED, VAT = "1510", "2971", "3011", "2611"
VAT_PERCENT = 25
RUN_HOUR = 2  # the seeded history's recognition runs: 02:00 on the 1st of the month after


@dataclass(frozen=True)
class ChargeBilling:
    seq: int
    at: int  # when invoiced (ms)
    charge: OrderCharge  # the charge version invoiced (its number, amounts and start never change)
    order: Order
    start: int  # first day billed
    end: int  # the first day not billed
    sign: int  # 1: invoiced, -1: credited


class Invoicer(Protocol):
    def invoice(self, billing: ChargeBilling, subtotal: int, subtotal_base: int, tax: int) -> tuple[int, int]:
        """The invoice line that bills `billing`, made now: (invoice number, line number)."""
        ...

    def invoice_id(self, n: int) -> str: ...

    def line_id(self, n: int, k: int) -> str: ...


class ScheduleItem(NamedTuple):
    id: str
    billing: ChargeBilling
    first: int  # the item's first day
    last: int  # its last day (inclusive)
    amount: int  # signed cents, sales currency
    base: int  # signed cents, base currency
    month: int  # its accounting period (year * 12 + month - 1)


def _half_even(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half-even (denominator > 0)."""
    quotient, remainder = divmod(numerator, denominator)
    twice = 2 * remainder
    return quotient + (twice > denominator or (twice == denominator and quotient % 2))


def service_slices(charge_start: int, start: int, end: int) -> Iterator[tuple[int, int, int, int]]:
    """(first day, end exclusive, service month's first day, its end exclusive) of each piece of
    `[start, end)` cut at the service months of a charge starting `charge_start`."""
    k = 0
    while add_months(charge_start, k + 1) <= start:
        k += 1
    while True:
        month_start, month_end = add_months(charge_start, k), add_months(charge_start, k + 1)
        lo, hi = max(month_start, start), min(month_end, end)
        if lo < hi:
            yield lo, hi, month_start, month_end
        if month_end >= end:
            return
        k += 1


def items_of(seeded: YouniumSeed, billing: ChargeBilling) -> list[ScheduleItem]:
    """The schedule items of a billing: a whole service month at the monthly amount, a part by days."""
    charge = billing.charge
    billed_month = month_of(day_of(billing.at))
    items = []
    for i, (lo, hi, month_start, month_end) in enumerate(service_slices(charge.start, billing.start, billing.end)):
        if (lo, hi) == (month_start, month_end):
            amount, base = charge.amount, charge.base
        else:
            days, length = hi - lo, month_end - month_start
            amount, base = _half_even(charge.amount * days, length), _half_even(charge.base * days, length)
        item_id = seeded.uuid(b"schedule-item", billing.seq << 10 | i)
        month = max(month_of(lo), billed_month)
        items.append(ScheduleItem(item_id, billing, lo, hi - 1, billing.sign * amount, billing.sign * base, month))
    return items


def tax_of(billing: ChargeBilling, subtotal: int) -> int:
    """The VAT of a billing's subtotal (cents, signed): 25 % for a SEK customer, none for the others."""
    if billing.order.currency != BASE_CURRENCY:
        return 0
    sign = 1 if subtotal >= 0 else -1
    return sign * _half_even(abs(subtotal) * VAT_PERCENT, 100)


class RevenueLedger:
    """Every billing of a recurring charge, its schedule items, and which periods' recognition ran; each
    posting goes to the general ledger as it happens."""

    def __init__(self, seeded: YouniumSeed, gl: GeneralLedger, invoicer: Invoicer) -> None:
        self.seeded, self.gl, self.invoicer = seeded, gl, invoicer
        self._lines: dict[int, tuple[int, int]] = {}  # billing seq -> (invoice number, line number)
        self.billings: list[ChargeBilling] = []
        self._by_charge: dict[int, list[ScheduleItem]] = {}
        self._by_month: dict[int, list[ScheduleItem]] = {}
        self._subtotals: dict[int, int] = {}  # billing seq -> its items' sum (sales currency)
        self.runs: dict[int, tuple[int, int]] = {}  # period -> (when it ran, the period it posted into)

    def bill(self, charge: OrderCharge, order: Order, at: int, start: int, end: int, sign: int = 1) -> None:
        """Charge version `charge` of `order` invoiced (or credited, `sign` -1) over `[start, end)` at `at`:
        its schedule items, and a voucher in the `Invoice` journal of the moment."""
        if end <= start:
            return
        billing = ChargeBilling(len(self.billings) + 1, at, charge, order, start, end, sign)
        self.billings.append(billing)
        items = items_of(self.seeded, billing)
        self._by_charge.setdefault(charge.number, []).extend(items)
        for item in items:
            self._by_month.setdefault(item.month, []).append(item)
        subtotal, subtotal_base = sum(i.amount for i in items), sum(i.base for i in items)
        self._subtotals[billing.seq] = subtotal
        tax = tax_of(billing, subtotal)
        invoice = self._lines[billing.seq] = self.invoicer.invoice(billing, subtotal, subtotal_base, tax)
        rate = RATES_E4[order.currency]
        number = f"OPC-{charge.number:06d}"
        text = f"{'Credit' if sign < 0 else 'Invoice'} of {number}"
        lines = [
            GLLine(RECEIVABLES, text, subtotal_base + tax, subtotal + tax, order.currency, rate),
            GLLine(DEFERRED, charge.product.name, -subtotal_base, -subtotal, order.currency, rate),
        ]
        if tax:
            lines.append(GLLine(VAT, f"Utgående moms {VAT_PERCENT} %", -tax, -tax, order.currency, rate))
        references = (*self._references(billing), ("invoiceAccountId", order.account.id))
        day = day_of(at)
        description = f"Subscription invoicing {period_name(month_of(day))}"
        posting = Posting(tuple(lines), references)
        self.gl.post_revenue(BILL, (at,), "Invoice", description, at, day, posting, invoice[0])

    def _references(self, billing: ChargeBilling) -> tuple[tuple[str, str], ...]:
        return (
            ("invoiceId", self.invoice_id(billing)),
            ("invoiceLineId", self.line_id(billing)),
            ("orderChargeId", billing.charge.id),
            ("orderChargeNumber", f"OPC-{billing.charge.number:06d}"),
        )

    def invoice_line(self, billing: ChargeBilling) -> tuple[int, int]:
        """(invoice number, line number) of the invoice line that bills `billing`."""
        return self._lines[billing.seq]

    def invoice_id(self, billing: ChargeBilling) -> str:
        return self.invoicer.invoice_id(self._lines[billing.seq][0])

    def line_id(self, billing: ChargeBilling) -> str:
        n, k = self._lines[billing.seq]
        return self.invoicer.line_id(n, k)

    def of_charge(self, number: int) -> list[ScheduleItem]:
        return self._by_charge.get(number, [])

    def subtotal(self, billing: ChargeBilling) -> int:
        """What the billing invoiced (or credited, negative), before tax: the sum of its items."""
        return self._subtotals[billing.seq]

    def recognised_at(self, item: ScheduleItem) -> int | None:
        """When the item's period was recognised, or None while it is not."""
        run = self.runs.get(item.month)
        return run[0] if run is not None else None

    def run_due(self, now: int, *, seeded: bool = False) -> None:
        """Run the recognition of every period that ended before `now` and has not run: at 02:00 on the
        next month's 1st for the seeded history (`seeded`), else now."""
        if not self._by_month:
            return
        first = min(self._by_month)
        last = month_of(day_of(now)) - 1
        for month in range(first, last + 1):
            if month in self.runs:
                continue
            at = start_of_day(month_days(month)[1] + 1) + RUN_HOUR * HOUR if seeded else now
            if at > now:
                break
            self._recognise(month, at)

    def _recognise(self, month: int, at: int) -> None:
        status, _ = self.gl.period_state(month, at)
        day = month_days(month)[1] if status == OPEN else day_of(at)
        self.runs[month] = (at, month_of(day))
        for item in self._by_month.get(month, []):
            billing = item.billing
            rate = RATES_E4[billing.order.currency]
            text = f"Revenue recognition OPC-{billing.charge.number:06d} {period_name(month)}"
            lines = (
                GLLine(DEFERRED, text, item.base, item.amount, billing.order.currency, rate),
                GLLine(RECOGNISED, text, -item.base, -item.amount, billing.order.currency, rate),
            )
            references = (*self._references(billing), ("revenueScheduleItemId", item.id))
            description = f"Revenue recognition {period_name(month)}"
            self.gl.post_revenue(
                RECOGNISE, (month,), "RevenueRecognition", description, at, day, Posting(lines, references)
            )
