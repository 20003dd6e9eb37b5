"""The invoices of the subscription story: each billing of a recurring charge (`younium.revenue`) is a line
of a real, posted Younium invoice, served on /Invoices like any other (commercial facts §2.10, §7).

- **One invoice per order and invoice run**: the billings of one order made at one moment (a nightly
  run, a change, a cancellation, a charge invoiced by hand) are the lines of one invoice, in the order
  they were billed; a credit (a change or cancellation ending a charge invoiced past its new end) is a
  credit note of its own (`invoiceType` Credit, negative amounts), for the days no longer served.
- The invoice is the order's account's, in its currency, Posted when created (no batch), dated the day
  of the run and due by the account's payment terms; it is left unpaid, so it falls past due as others.
- **Numbering**: the invoices are added to the invoice store after every seeded invoice and credit note,
  in the order they were billed, so the seeded history keeps its numbers and ids; with no subscriptions
  there are none.
- **A line** names what it bills (`SubscriptionRef`): the order product (`OP-…`), the charge (`OPC-…`)
  and its version's id (`orderChargeId`), the order version that made it (`orderId`), the service
  period billed (first and last day). Quantity 1 at the billing's subtotal; its amounts are the
  billing's, exactly as the Invoice journal books them: the subtotal (the sum of its schedule items),
  VAT 25 % of it for a SEK customer (none for the others), base amounts the items' base amounts (at the
  rate frozen on the charge), so an invoice's receivable is its journal's debit of 1510. Its accounts
  are the journals': receivables 1510, deferred revenue 2971, recognised revenue 3011 (product P-100's).
"""

from __future__ import annotations

from typing import Any

from ..kernel.formats import format_day
from .invoices import InvoiceStore
from .lines import LineStore
from .revenue import VAT_PERCENT, ChargeBilling
from .seed import BASE_CURRENCY, PRODUCTS, Line, SubscriptionRef, Totals, YouniumSeed

# The catalogue product whose accounts (3011 recognised, 2971 deferred) and unit the journals use.
_PRODUCT = next(p for p in PRODUCTS if p.recognized["code"] == "3011")


class SubscriptionInvoicer:
    """Makes the invoice lines of the billings, grouping a run's billings of one order on one invoice."""

    def __init__(self, seeded: YouniumSeed, invoices: InvoiceStore, lines: LineStore) -> None:
        self.seeded, self.invoices, self.lines = seeded, invoices, lines
        self._runs: dict[tuple[int, int, int], int] = {}  # (order number, when, sign) -> invoice number
        self._lines: dict[int, int] = {}  # invoice number -> how many lines it has

    def invoice(self, billing: ChargeBilling, subtotal: int, subtotal_base: int, tax: int) -> tuple[int, int]:
        """The line of `billing` (its amounts in cents: `subtotal` and `subtotal_base` signed, `tax` in the
        sales currency, which is the base currency whenever there is tax): (invoice number, line number)."""
        order, charge = billing.order, billing.charge
        key = (order.number, billing.at, billing.sign)
        n = self._runs.get(key)
        if n is None:
            n = self._runs[key] = self.invoices.add_posted(order.account.number, billing.at, billing.sign < 0)
        k = self._lines[n] = self._lines.get(n, 0) + 1
        ref = SubscriptionRef(
            f"OP-{charge.product.number:06d}",
            charge.product.name,
            charge.product.id,
            charge.product.plan_id,
            f"OPC-{charge.number:06d}",
            charge.id,
            charge.order_version_id,
            billing.start,
            billing.end - 1,
        )
        amounts = Totals(subtotal, tax, subtotal + tax, subtotal_base, tax, subtotal_base + tax)
        tax_rate = VAT_PERCENT if order.currency == BASE_CURRENCY else 0
        digest = self.seeded.digest(b"line", n << 10 | k)
        line = Line(k, digest, _PRODUCT, 1, subtotal, tax_rate, amounts, billing.at, self.lines.id(n, k), ref)
        self.lines.give(n, line)
        return n, k

    def invoice_id(self, n: int) -> str:
        return self.invoices.id(n)

    def line_id(self, n: int, k: int) -> str:
        return self.lines.id(n, k)


def subscription_line_members(ref: SubscriptionRef) -> dict[str, Any]:
    """What an invoice line billing a subscription charge serves instead of a seeded line's members."""
    return {
        "productNumber": ref.product_number,
        "productName": ref.product_name,
        "chargeDescription": ref.product_name,
        "chargeNumber": ref.charge_number,
        "charge": {"name": ref.product_name, "chargeNumber": ref.charge_number, "id": ref.charge_id},
        "servicePeriodStartDate": format_day(ref.first),
        "servicePeriodEndDate": format_day(ref.last),
        "orderChargeId": ref.charge_id,
        "orderId": ref.order_id,
        "orderProductId": ref.product_id,
        "chargePlanId": ref.plan_id,
    }
