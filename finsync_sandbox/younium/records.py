"""The Younium dataset's records as the API 2.1 writes them (InvoiceResponse, AccountResponse, …), ready
for the JSON writer: money as exact Decimals, null members left for the writer to drop. The members only a
share of the records carry (notes, CRM ids, a parent account, online payment ids) are `younium.extras`'.

Sub-objects that many records share (an account's reference and address, a product's unit and revenue
accounts) are encoded once and embedded as RawJson: a page of 100 invoices of 5 lines needs them
hundreds of times.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..kernel.formats import day_of, format_day, format_instant, money, uuid_of
from ..kernel.jsonwriter import RawJson, dumps
from . import extras
from .batches import log_record
from .dataset import YouniumDataset
from .seed import (
    ACCOUNT_TYPES,
    BASE_CURRENCY,
    DRAFT,
    OUR_PEOPLE,
    PEOPLE,
    PRODUCTS,
    RATES_E4,
    STREETS,
    Account,
    InvoiceBatch,
    Line,
    Payment,
    Totals,
    invoice_number,
    ocr,
)
from .subscription_invoices import subscription_line_members
from .window import Window

_ACCOUNTS_RECEIVABLE = RawJson(dumps({"code": "1510", "name": "Kundfordringar", "description": "Accounts receivable"}))
_PAYMENT_ACCOUNT = RawJson(dumps({"code": "1930", "name": "Företagskonto", "description": "Bank account"}))
_BANK_FEE_ACCOUNT = RawJson(dumps({"code": "6570", "name": "Bankkostnader", "description": "Bank fees"}))
_EMPTY_OBJECT = RawJson("{}")
_EMPTY_LIST = RawJson("[]")
VAT_NAMES = {25: "Standard rate 25%", 12: "Reduced rate 12%", 6: "Reduced rate 6%"}
# (unitOfMeasure, recognizedRevenue, deferredRevenue) of each product.
_PRODUCT_PARTS = {p.number: tuple(RawJson(dumps(x)) for x in (p.unit, p.recognized, p.deferred)) for p in PRODUCTS}


def _rate(currency: str) -> Decimal:
    return Decimal(RATES_E4[currency]).scaleb(-4)


class YouniumRecords:
    def __init__(self, dataset: YouniumDataset) -> None:
        self.dataset = dataset
        # account number -> (reference, address, payment term), encoded
        self._account_parts: dict[int, tuple[RawJson, RawJson, RawJson]] = {}

    def _parts(self, account: Account) -> tuple[RawJson, RawJson, RawJson]:
        """The account's pieces that invoices and payments embed: reference, address and payment term."""
        parts = self._account_parts.get(account.number)
        if parts is None:
            city, zip_code = account.place
            d = account.digest
            address = {
                "id": uuid_of(d[20:36]),
                "description": "Invoice address",
                "name": account.name,
                "street": f"{STREETS[d[16] % len(STREETS)]} {1 + d[17] % 80}",
                "city": city,
                "zip": zip_code,
                "country": account.form[1],
            }
            reference = {
                "name": account.name,
                "accountNumber": account.account_number,
                "id": account.id,
                "externalERPId": f"C{10_000 + account.number}",
            }
            parts = (RawJson(dumps(reference)), RawJson(dumps(address)), RawJson(dumps(account.term._asdict())))
            self._account_parts[account.number] = parts
        return parts

    def account(self, a: int) -> dict[str, Any]:
        """AccountResponse."""
        account = self.dataset.accounts.numbered(a)
        d = account.digest
        contact = PEOPLE[d[10] % len(PEOPLE)]
        domain = account.name.split(" ")[0].lower().replace("'", "").replace('"', "") + ".example"
        stamp = format_instant(account.created)
        address = self._parts(account)[1]
        swedish = account.form[1] == "Sweden"
        organization = f"556{int.from_bytes(d[7:10], 'little') % 1_000_000:06d}"
        return {
            "id": account.id,
            "parentAccountId": extras.parent_account_id(self.dataset, account),
            "accountNumber": account.account_number,
            "name": account.name,
            "accountType": ACCOUNT_TYPES[d[5] % len(ACCOUNT_TYPES)],
            "inactive": d[6] < 13,
            "currencyCode": account.currency,
            "organizationNumber": organization if swedish else None,
            "taxRegistrationNumber": f"SE{organization}01" if swedish else None,
            "domain": domain,
            "invoiceDeliveryMethod": "Email" if d[11] < 200 else "ElectronicInvoice",
            "accountsReceivable": "1510",
            "defaultPaymentTerm": account.term.name,
            "invoiceBatchGroupId": account.group.id,
            "invoiceEmailAddress": f"invoices@{domain}",
            "reminderEmailAddress": f"{contact.split(' ')[0].lower()}@{domain}" if d[12] < 128 else None,
            "yourReference": contact,
            "ourReference": OUR_PEOPLE[d[13] % len(OUR_PEOPLE)],
            "defaultInvoiceAddress": address,
            "defaultDeliveryAddress": address,
            "addresses": RawJson(f"[{address}]"),
            "customFields": _EMPTY_OBJECT,
            "externalERPId": f"C{10_000 + account.number}",
            "externalCRMId": f"0015g00000{d[14:20].hex()[:8].upper()}",
            "created": stamp,
            "modified": stamp,
        }

    def invoice_page(self, window: Window, skip: int, size: int) -> tuple[int, list[dict[str, Any]]]:
        """(how many invoices are in `window`, the records of `size` of them after the first `skip`)."""
        with self.dataset.lock:
            total, numbers = self.dataset.invoices.page(window, skip, size)
            return total, [self.invoice(n, window) for n in numbers]

    def invoice(self, n: int, window: Window = Window()) -> dict[str, Any]:
        """InvoiceResponse; its `invoiceLines` only those modified within `window` (the API applies
        ModifiedAfter/ModifiedBefore to sub-entities too). A credit note shares the order, references and
        service period of the invoice it credits."""
        dataset, invoices = self.dataset, self.dataset.invoices
        account = invoices.account(n)
        source = invoices.credited(n) or n
        d = dataset.seeded.digest(b"invoice", source)
        invoice_id = invoices.id(n)
        lines = dataset.lines.of(n)
        totals = dataset.lines.totals(n, lines)
        rate = _rate(account.currency)
        created_at = invoices.created(n)
        created = format_instant(created_at)
        batch = dataset.billing.batch_of(n)
        reference, address, term = self._parts(account)
        service_day = day_of(invoices.created(source))
        period = (format_day(service_day), format_day(service_day + 30))
        invoice_lines = [
            self._line(invoice_id, uuid_of(d[32:48]), account.id, line, rate, period, created_at, created)
            for line in lines
            if window.contains(line.modified)
        ]
        return {
            "id": invoice_id,
            "invoiceNumber": invoice_number(n),
            "status": invoices.status_name(n),
            "invoiceType": invoices.invoice_type(n),
            "account": reference,
            "paymentTerm": term,
            **self._dates(n),
            "currency": account.currency,
            "exchangeRate": rate,
            **self._amounts(n, totals),
            "taxIncluded": False,
            "invoiceAddress": address,
            "deliveryAddress": address,
            "invoiceBatchId": batch.id if batch else None,
            "invoiceLines": invoice_lines,
            "latestOnlinePaymentLogs": _EMPTY_LIST,
            "onlinePaymentStatus": "None",
            "yourReference": PEOPLE[account.digest[10] % len(PEOPLE)],
            "ourReference": OUR_PEOPLE[account.digest[13] % len(OUR_PEOPLE)],
            "yourOrderNumber": f"PO-{int.from_bytes(d[8:10], 'little') % 90_000 + 10_000}" if d[10] < 90 else None,
            "buyerReference": f"REF{d[11]:03d}" if d[12] < 60 else None,
            "ocrNumber": ocr(n),
            "sendMethod": "Email",
            "invoiceDeliveryMethod": "Email",
            "paymentMethodForInvoice": "Invoice",
            "disableAutomaticInvoiceReminder": False,
            "accountsReceivable": _ACCOUNTS_RECEIVABLE,
            "customFields": _EMPTY_OBJECT,
            "externalERPId": self._erp_id(n),
            **extras.invoice_parts(dataset, n),
            "created": created,
            "modified": format_instant(invoices.modified(n)),
        }

    def _dates(self, n: int) -> dict[str, Any]:
        """Invoice `n`'s dates: when it is dated, due and was paid, and how late it is on the tenant's clock."""
        dataset = self.dataset
        payment = dataset.payments.for_invoice(n)
        payment_day = format_day(day_of(payment.paid)) if payment else None
        return {
            "invoiceDate": format_day(dataset.invoices.invoice_day(n)),
            "dueDate": format_day(dataset.invoices.due_day(n)),
            "paymentDate": payment_day,
            "lastPaymentDate": payment_day,
            "daysPastDue": dataset.billing.days_past_due(n, dataset.now),
            "nrOfReminders": 0,
        }

    def _amounts(self, n: int, totals: Totals) -> dict[str, Any]:
        """Invoice `n`'s money members: its totals, what is settled and what is left, both currencies."""
        settled, settled_base = self.dataset.payments.settled(n)
        balance, balance_base = self.dataset.billing.balance(n)
        return {
            "subtotal": money(totals.subtotal),
            "subtotalBaseAmount": money(totals.subtotal_base),
            "tax": money(totals.tax),
            "taxBaseAmount": money(totals.tax_base),
            "totalAmount": money(totals.total),
            "totalBaseAmount": money(totals.total_base),
            "totalRoundingAmount": money(0),
            "totalRoundingBaseAmount": money(0),
            "settledAmount": money(settled),
            "settledBaseAmount": money(settled_base),
            "balancedAmount": money(balance),
            "balancedBaseAmount": money(balance_base),
        }

    @staticmethod
    def _line(
        invoice_id: str,
        order_id: str,
        account_id: str,
        line: Line,
        rate: Decimal,
        period: tuple[str, str],
        created_at: int,
        created: str,
    ) -> dict[str, Any]:
        """InvoiceLineResponse."""
        d, product, amounts = line.digest, line.product, line.amounts
        number, charge = extras.charge_number(line), extras.charge_id(line)
        subtotal, tax, total = money(amounts.subtotal), money(amounts.tax), money(amounts.total)
        subtotal_base, tax_base = money(amounts.subtotal_base), money(amounts.tax_base)
        total_base = money(amounts.total_base)
        unit, recognized, deferred = _PRODUCT_PARTS[product.number]
        record: dict[str, Any] = {
            "id": line.id,
            "invoiceId": invoice_id,
            "invoiceLineNumber": line.number,
            "productNumber": product.number,
            "productName": product.name,
            "chargeDescription": product.description,
            "chargeNumber": number,
            "charge": RawJson(f'{{"name":"{product.name}","chargeNumber":"{number}","id":"{charge}"}}'),
            "quantity": line.quantity,
            "unitOfMeasure": unit,
            "price": money(line.price),
            "subtotal": subtotal,
            "subtotalBaseAmount": subtotal_base,
            "total": total,
            "totalBaseAmount": total_base,
            "tax": tax,
            "taxBaseAmount": tax_base,
            "subtotalPreDiscount": subtotal,
            "subtotalPreDiscountBaseAmount": subtotal_base,
            "totalPreDiscount": total,
            "totalPreDiscountBaseAmount": total_base,
            "taxPreDiscount": tax,
            "taxPreDiscountBaseAmount": tax_base,
            "exchangeRate": rate,
            "taxCategoryName": VAT_NAMES.get(line.tax_rate, "Reverse charge"),
            "taxRate": line.tax_rate,
            "servicePeriodStartDate": period[0],
            "servicePeriodEndDate": period[1],
            "orderChargeId": charge,
            "orderId": order_id,
            "accountId": account_id,
            "orderProductId": uuid_of(d[32:48]),
            "accountsReceivable": _ACCOUNTS_RECEIVABLE,
            "deferredRevenue": deferred,
            "recognizedRevenue": recognized,
            "customFields": _EMPTY_OBJECT,
            **extras.line_parts(line),
            "created": created,
            "modified": created if line.modified == created_at else format_instant(line.modified),
        }
        if line.subscription is not None:  # a subscription charge's billing
            record |= subscription_line_members(line.subscription)
        return record

    def _erp_id(self, n: int) -> str | None:
        """The id the ERP gave the invoice when it was posted."""
        return f"F{invoice_number(n)}" if self.dataset.invoices.status(n) != DRAFT else None

    def _summary(self, n: int) -> dict[str, Any]:
        """What a short form of invoice `n` (a batch's, a related invoice) tells: number, status, amounts."""
        invoices, totals = self.dataset.invoices, self.dataset.lines.totals(n)
        return {
            "invoiceNumber": invoice_number(n),
            "status": invoices.status_name(n),
            "invoiceDate": format_day(invoices.invoice_day(n)),
            "currency": invoices.account(n).currency,
            "subtotal": money(totals.subtotal),
            "totalAmount": money(totals.total),
        }

    def _simple_invoice(self, n: int) -> dict[str, Any]:
        """SimpleInvoiceModel: an invoice as a batch lists it."""
        invoice_id, crm = self.dataset.invoices.id(n), extras.invoice_crm_id(self.dataset, n)
        return {**self._summary(n), "id": invoice_id, "externalERPId": self._erp_id(n), "externalCRMId": crm}

    def related_invoice(self, n: int) -> dict[str, Any] | None:
        """RelatedInvoiceResponse of invoice `n`: the other invoice of its credit pair (the credit note of
        an invoice, the invoice a credit note credits), naming both sides; None when it has none."""
        invoices = self.dataset.invoices
        with self.dataset.lock:
            original, note = invoices.credited(n), invoices.credit_note(n)
            if original is not None:  # n is a credit note
                debit, credit, other = original, n, original
            elif note is not None:
                debit, credit, other = n, note, note
            else:
                return None
            return {
                "id": invoices.id(other),
                "invoiceType": invoices.invoice_type(other),
                "debitInvoiceId": invoices.id(debit),
                "creditInvoiceId": invoices.id(credit),
                **self._summary(other),
                "externalERPId": self._erp_id(other),
                "externalCRMId": extras.invoice_crm_id(self.dataset, other),
            }

    def batch(self, batch: InvoiceBatch) -> dict[str, Any]:
        """InvoiceBatchResponse."""
        with self.dataset.lock:
            return {
                "id": batch.id,
                "batchNumber": batch.batch_number,
                "targetDate": format_day(batch.target_day),
                "invoiceDate": format_day(batch.invoice_day) if batch.invoice_day else None,
                "batchGroups": list(batch.groups),
                "invoices": [self._simple_invoice(n) for n in batch.invoices],
                "batchLog": [log_record(entry) for entry in batch.log],
                "created": format_instant(batch.created),
                "modified": format_instant(batch.modified),
            }

    def payment(self, payment: Payment) -> dict[str, Any]:
        """PaymentResponse, with its one settlement: of the invoice's total, or of part of it."""
        dataset, invoices = self.dataset, self.dataset.invoices
        n = payment.invoice
        account = invoices.account(n)
        totals = dataset.lines.totals(n)
        amount = {
            "amount": money(payment.amount),
            "currencyCode": account.currency,
            "baseCurrencyAmount": money(payment.amount_base),
            "baseCurrencyCode": BASE_CURRENCY,
        }
        paid = format_day(day_of(payment.paid))
        part = "Part payment" if payment.amount != totals.total else "Payment"
        return {
            "id": payment.id,
            "payerName": account.name,
            "payerInformation": f"{account.name}, {account.place[0]}",
            "paymentDate": paid,
            "postedDate": paid,
            "reference": ocr(n),
            "description": f"{part} of invoice {invoice_number(n)}",
            "amount": amount,
            "bankFeeAmount": {"amount": money(0), "currencyCode": account.currency},
            "exchangeRate": _rate(account.currency),
            "paymentAccount": _PAYMENT_ACCOUNT,
            # Sic: the API spells this one with a capital B.
            "BankFeeAccount": _BANK_FEE_ACCOUNT,
            "paymentMethodName": "Bank transfer",
            "paymentMethodId": dataset.seeded.payment_method_id,
            "paymentBatchNumber": f"PB-{payment.batch:05d}",
            "paymentBatchId": dataset.seeded.uuid(b"payment-batch", payment.batch),
            "paymentSettlements": [
                {
                    "amount": amount,
                    "invoice": {
                        "account": self._parts(account)[0],
                        "id": invoices.id(n),
                        "invoiceNumber": invoice_number(n),
                        "status": invoices.status_name(n),
                        "invoiceDate": format_day(invoices.invoice_day(n)),
                        "dueDate": format_day(invoices.due_day(n)),
                        "currency": account.currency,
                        "subtotal": money(totals.subtotal),
                        "tax": money(totals.tax),
                        "totalAmount": money(totals.total),
                        "settledAmount": money(dataset.payments.settled(n)[0]),
                    },
                    "writeOffs": _EMPTY_LIST,
                }
            ],
            "paymentWriteOffs": _EMPTY_LIST,
            "externalBankId": f"BG{payment.number:08d}",
            **extras.payment_parts(dataset.seeded, payment),
        }
