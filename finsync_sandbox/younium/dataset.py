"""The Younium dataset: one tenant's accounts, invoices and their lines, invoice batches, payments,
catalogue and general ledger, linked and seeded, each kept by a store of its own.

What never changes comes from the seed (`younium.seed`), drawn when asked for, so equal seeds give
byte-identical pages. What changes is kept by the store of the entity it changes: `accounts`
(`younium.accounts`), `invoices` (`younium.invoices`: status, batch, `modified`, deletions, the listing
order), `lines` (`younium.lines`: edits and removals), `batches` (`younium.batches`), `payments`
(`younium.payments`), `catalogue` (`younium.catalogue`), `gl`, the journals (`younium.gl`), and
`orders`, the subscriptions, their versions and bookings (`younium.orders`, told by `story`:
`younium.order_story`; their billings are invoices, `younium.subscription_invoices`), and `usage`
(`younium.usage`). A step
that changes several at once (a batch generated or posted, an invoice cancelled, credited or paid) is
`billing`'s (`younium.billing`), and so is what an invoice still owes. Who takes which step is said
elsewhere: the batch jobs in `younium.tenant`, time moving on in `younium.changes`, a user's changes by
hand in `younium.edits`.

What is the whole tenant's stays here: its lock (the server reads pages while tests change the tenant;
the stores that list things take it too) and its clock. Time is the tenant's own: the seeded history
starts on 2024-01-02, or `shift_days` later (`SandboxConfig.history_shift_days`: the demo's history ends
the week before the day it runs), and each later event (an `advance`, a job finishing, a change) happens
an hour after the previous one (`tick`), so `modified` only ever moves forward and equal sequences of
events give equal data. Times are integer milliseconds since 1970-01-01 UTC.

How the seeded history looks (`younium.history` tells it in full): the oldest ~70% of the invoices
(`batched_share`) were invoiced in `batches` invoice batches, all posted except the newest; a quarter of the
posted invoices were paid in full, one payment each. Of the rest, 3% of the posted invoices were cancelled after posting
(they owe nothing), 3% were credited in full by a credit note each (a separate Posted invoice record with
negated lines, `invoiceType` Credit, except one or two auto-generated ones typed Invoice with negative
totals; `GET /Invoices/{id}/RelatedInvoices` links the pair), and 2% were partly paid. Unpaid posted
invoices fall past due (`daysPastDue`, on the tenant's clock). The newest invoices are drafts outside
any batch, waiting for the next generate job. Whatever is posted (a batch, a draft on its own, a credit
note, a cancellation, a payment) is journaled as it happens, so later postings appear as new journals.
"""

from __future__ import annotations

import threading

from ..kernel.formats import HOUR
from .accounts import AccountStore
from .batches import BatchStore
from .billing import Billing
from .catalogue import Catalogue, catalogue_size
from .gl import GeneralLedger
from .history import BATCHED_SHARE, seed_history
from .invoices import InvoiceStore
from .lines import LineStore
from .order_story import SubscriptionStory
from .orders import OrderStore
from .payments import PaymentStore
from .revenue import RevenueLedger
from .seed import YouniumSeed
from .subscription_invoices import SubscriptionInvoicer
from .usage import UsageStore

# Each event after the seeded history (advance, a job finishing, a change) happens this long after the previous one.
EVENT_STEP = HOUR


class YouniumDataset:
    """A seeded Younium tenant: its stores, the billing steps over them, its lock and its clock."""

    def __init__(
        self,
        seed: int = 7,
        accounts: int = 50,
        invoices: int = 600,
        lines_per_invoice: int = 5,
        batches: int = 4,
        shift_days: int = 0,
        batched_share: float = BATCHED_SHARE,
        subscriptions: int = 0,
        usage: int = 0,
    ) -> None:
        if accounts < 1 or invoices < 0 or lines_per_invoice < 1 or min(batches, subscriptions, usage) < 0:
            raise ValueError(
                "accounts and lines_per_invoice must be >= 1, invoices, batches, subscriptions and usage >= 0"
            )
        self.seed = seed
        self.seeded = YouniumSeed(seed, shift_days)
        self.batch_groups = self.seeded.batch_groups
        self.legal_entity_id = self.seeded.legal_entity_id
        self.lock = threading.RLock()
        self.accounts = AccountStore(self.seeded, accounts)
        self.invoices = InvoiceStore(self.seeded, self.accounts, invoices, self.lock)
        self.lines = LineStore(self.seeded, self.invoices, lines_per_invoice)
        self.batches = BatchStore(self.seeded, self.lock)
        self.payments = PaymentStore(self.seeded, self.lock)
        self.gl = GeneralLedger(self.seeded)
        self.catalogue = Catalogue(self.seeded, catalogue_size(accounts), self.lock)
        self.billing = Billing(self.invoices, self.lines, self.batches, self.payments, self.gl)
        seed_history(self.seeded, self.billing, batches, batched_share)
        self.gl.seal()
        self.payments.seal()
        self.invoices.seal()
        latest = max(self.seeded.first_created, self.invoices.last_modified(), self.payments.last_paid())
        self._now = latest - latest % HOUR + HOUR
        # The subscription story (none without `subscriptions`): what happened before now is told now.
        self.orders = OrderStore(self.lock)
        invoicer = SubscriptionInvoicer(self.seeded, self.invoices, self.lines)
        self.revenue = RevenueLedger(self.seeded, self.gl, invoicer)
        self.story = SubscriptionStory(
            self.seeded, self.accounts.live(), self.catalogue, self.orders, subscriptions, self.revenue
        )
        self.story.seed_history(self._now)
        # Its charges' invoicing and recognition (none without orders) join the ledger, numbered in time.
        self.revenue.run_due(self._now, seeded=True)
        if self.revenue.billings:
            self.gl.reseal()
            self.invoices.seal()  # their invoices, numbered after the seeded ones, listed in time
        # Usage (none without `usage`), imported and invoiced before now, on the story's orders where it has some.
        self.usage = UsageStore(
            self.seeded, self.accounts.live(), self.catalogue, self.orders, usage, self._now, self.lock
        )
        self.advances = 0  # how many times `advance` or a `modify` fault changed the tenant (see younium.changes)

    @property
    def now(self) -> int:
        """The tenant's clock: the time of its latest event."""
        return self._now

    def tick(self) -> int:
        """The time of the next event."""
        self._now += EVENT_STEP
        self.revenue.run_due(self._now)  # a month that ended meanwhile has its revenue recognised first
        return self._now

    # -- growth (made by younium.changes): what it adds is created on the tenant's clock ---------------

    def add_invoices(self, count: int, start: int) -> range:
        """`count` new draft invoices, created from `start`, spread over every account there is; their
        numbers."""
        added = self.invoices.add(count, start)
        if added:
            self._now = max(self._now, self.invoices.created(added[-1]))
        return added

    def add_products(self, count: int, start: int, spacing: int) -> list[str]:
        """`count` new catalogue products, created from `start`, `spacing` apart; their ids."""
        added = self.catalogue.add(count, start, spacing)
        self._now = max([self._now, *(p.created for p in added)])
        return [p.id for p in added]
