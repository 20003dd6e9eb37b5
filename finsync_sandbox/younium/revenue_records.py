"""Revenue schedule items as the API 2.1 writes them (RevenueScheduleItemResponse, commercial facts §7.1),
from the model of `younium.revenue`: served by GET /RevenueSchedule/Charge/{chargeNumber}.

Why a module of its own: the item embeds three other shapes (the accounting period as the journals embed
it, the invoice line the item comes from, the order charge) that a reader joins on, so each is written
here once, in the members the facts list:

- `{id, deferredRevenue, recognizedRevenue (CurrencyAmount: sales currency and base twin, no conversion
  date), accountingPeriod, invoiceLine, orderProductCharge {name, chargeNumber, id}, created, modified}`;
- `invoiceLine` `{id, invoiceId, invoiceDate, quantity, unitCode, price, subtotal, total, tax,
  subtotalPreDiscount, totalPreDiscount, taxPreDiscount, servicePeriodStartDate, servicePeriodEndDate,
  accountsReceivableAccount, deferredRevenueAccount, recognizedRevenueAccount, taxCategoryName,
  taxRate}` and `invoiceNumber`: the invoice line of the billing the item is part of, as /Invoices serves
  it (`younium.subscription_invoices`), in the sales currency (the facts: no base amounts).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..kernel.formats import format_day, format_naive_instant, money
from .dataset import YouniumDataset
from .gl_records import accounting_period
from .records import VAT_NAMES
from .revenue import DEFERRED, RECEIVABLES, RECOGNISED, ChargeBilling, ScheduleItem
from .seed import BASE_CURRENCY, invoice_number

_ONE = Decimal("1.0")


def schedule_item(dataset: YouniumDataset, item: ScheduleItem) -> dict[str, Any]:
    """RevenueScheduleItemResponse of `item`, as it stands on the tenant's clock."""
    billing = item.billing
    revenue = dataset.revenue
    recognised = revenue.recognised_at(item)
    deferred = (0, 0) if recognised is not None else (item.amount, item.base)
    earned = (item.amount, item.base) if recognised is not None else (0, 0)
    return {
        "id": item.id,
        "deferredRevenue": _amount(billing, *deferred),
        "recognizedRevenue": _amount(billing, *earned),
        "accountingPeriod": accounting_period(dataset, item.month),
        "invoiceLine": _invoice_line(dataset, billing),
        "orderProductCharge": {
            "name": billing.charge.product.name,
            "chargeNumber": f"OPC-{billing.charge.number:06d}",
            "id": billing.charge.id,
        },
        "created": format_naive_instant(billing.at),
        "modified": format_naive_instant(recognised if recognised is not None else billing.at),
    }


def _amount(billing: ChargeBilling, cents: int, base: int) -> dict[str, Any]:
    return {
        "amount": money(cents),
        "currencyCode": billing.order.currency,
        "baseCurrencyAmount": money(base),
        "baseCurrencyCode": BASE_CURRENCY,
    }


def _invoice_line(dataset: YouniumDataset, billing: ChargeBilling) -> dict[str, Any]:
    """The invoice line that bills `billing`, as /Invoices serves it (`younium.subscription_invoices`)."""
    n, k = dataset.revenue.invoice_line(billing)
    line = dataset.lines.of(n)[k - 1]
    amounts = line.amounts
    return {
        "id": line.id,
        "invoiceId": dataset.invoices.id(n),
        "invoiceNumber": invoice_number(n),
        "invoiceDate": format_day(dataset.invoices.invoice_day(n)),
        "quantity": Decimal(line.quantity).quantize(_ONE),
        "unitCode": line.product.unit["unitCode"],
        "price": money(line.price),
        "subtotal": money(amounts.subtotal),
        "total": money(amounts.total),
        "tax": money(amounts.tax),
        "subtotalPreDiscount": money(amounts.subtotal),
        "totalPreDiscount": money(amounts.total),
        "taxPreDiscount": money(amounts.tax),
        "servicePeriodStartDate": format_day(billing.start),
        "servicePeriodEndDate": format_day(billing.end - 1),
        "accountsReceivableAccount": RECEIVABLES,
        "deferredRevenueAccount": DEFERRED,
        "recognizedRevenueAccount": RECOGNISED,
        "taxCategoryName": VAT_NAMES.get(line.tax_rate, "Reverse charge"),
        "taxRate": Decimal(line.tax_rate),
    }
