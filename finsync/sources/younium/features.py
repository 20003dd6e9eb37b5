"""What of a Younium tenant a run may read: the ledger, payments, subscriptions and usage are features an API user
may not be allowed to read (Younium names a permission per endpoint), and the base currency an endpoint an older
tenant may not serve. A feature that is denied fails alone: its tables are left as the last run left them, everything
else loads, and the run ends with exit 1 and a paragraph naming the endpoint, the likely missing permission and
the setting that leaves the feature out (with it out, the run exits 0).

Which features a run may read is settled once, before the first of their lists is read: each endpoint of
an enabled feature is asked for one record, so a feature is read whole or not at all (never its journals
without its chart of accounts). What was denied is kept in the source's state for the runner's summary.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

from finsync.errors import UpstreamError, setting_env_var

from .client import (
    BASE_CURRENCY_PATH,
    BOOKINGS_PATH,
    CHART_OF_ACCOUNTS_PATH,
    CURRENCIES_PATH,
    EXCHANGE_RATES_PATH,
    JOURNAL_DETAILS_PATH,
    JOURNALS_PATH,
    PAYMENTS_PATH,
    SALES_ORDERS_PATH,
    SUBSCRIPTIONS_PATH,
    USAGE_PATH,
    YouniumClient,
)

# Answers that say "not for this user" or "not on this tenant": 401 after the token was renewed, 403, 404.
DENIED = (401, 403, 404)


@dataclass(frozen=True)
class Feature:
    """A part of the tenant a run reads only when allowed: `name` is its setting (`sources.younium.<name>`)."""

    name: str
    holds: str  # what it is, in the words of a run's summary
    paths: tuple[str, ...]  # every endpoint a run reads for it
    permission: str  # what the API user likely lacks when an endpoint refuses it

    def denied(self, path: str, status: int | None, tables: tuple[str, ...]) -> str:
        """The paragraph a run ends with when `path` refused this feature."""
        setting = f"sources.younium.{self.name}"
        if status == 404:
            cause = f"Younium does not serve GET {path} on this tenant (HTTP 404: an older tenant or API version)"
            fix = f"Leave {self.holds} out"
        else:
            cause = f"Younium refused GET {path} (HTTP {status}): the API user likely lacks {self.permission}"
            fix = f"Give the API user that permission, or leave {self.holds} out"
        return (
            f"{cause}, so {self.holds} was not read and its tables ({', '.join(tables)}) are as the last run left "
            f"them; everything else loaded. {fix}: {setting} = false ({setting_env_var(setting)}=false)."
        )


LEDGER_FEATURE = Feature(
    "ledger",
    "the ledger",
    (JOURNALS_PATH, JOURNAL_DETAILS_PATH, CHART_OF_ACCOUNTS_PATH, CURRENCIES_PATH, EXCHANGE_RATES_PATH),
    "read access to the accounting data (journals, chart of accounts, currencies and exchange rates)",
)
PAYMENTS_FEATURE = Feature(
    "payments",
    "payments",
    (PAYMENTS_PATH,),
    "read access to payments",
)
# Younium's spec: GET /Subscriptions/{id} "Requires permission Order View"; bookings are order events, and a
# sales order is the same order model (one permission for both, as far as the spec names any).
SUBSCRIPTIONS_FEATURE = Feature(
    "subscriptions",
    "the order book (subscriptions, sales orders and bookings)",
    (SUBSCRIPTIONS_PATH, SALES_ORDERS_PATH, BOOKINGS_PATH),
    "the Order View permission (subscriptions, sales orders, their versions and bookings)",
)
# Usage is imported and rated apart from orders: a role may read orders and not usage (the spec names no
# permission for GET /Usage), and a tenant on an older API version may not serve the route at all.
USAGE_FEATURE = Feature(
    "usage",
    "usage",
    (USAGE_PATH,),
    "read access to usage (the usage records imported for Usage charges)",
)
FEATURES = (LEDGER_FEATURE, PAYMENTS_FEATURE, SUBSCRIPTIONS_FEATURE, USAGE_FEATURE)


def base_currency_denied(status: int | None) -> str:
    setting = "sources.younium.base_currency"
    if status == 404:
        cause = f"Younium does not serve GET {BASE_CURRENCY_PATH} on this tenant (HTTP 404: an older tenant)"
    else:
        cause = f"Younium refused GET {BASE_CURRENCY_PATH} (HTTP {status}): the API user may not read currencies"
    return (
        f"{cause}, so the base currency is not known: the tenant table, which names it, is as the last run left "
        "it, and every other table loaded. Set the tenant's base currency (its ISO code) yourself: "
        f'{setting} = "EUR" ({setting_env_var(setting)}=EUR).'
    )


class Permissions:
    """Which features this run reads, and the base currency: settled once per run, on first use."""

    def __init__(self, client: YouniumClient, tables: Mapping[str, tuple[str, ...]], base_currency: str | None):
        """`tables`: the features this run reads (those enabled), each with the tables it fills."""
        self.client, self.tables, self.configured = client, tables, base_currency
        self._lock = threading.Lock()
        self._settled = False
        self._base: str | None = None
        self.denied: dict[str, str] = {}  # what could not be read -> the paragraph saying so

    def allowed(self, feature: str) -> bool:
        self.settle()
        return feature in self.tables and feature not in self.denied

    @property
    def base_currency(self) -> str | None:
        """The tenant's base currency: as configured, else as Younium says; None when it would not say."""
        self.settle()
        return self._base

    def settle(self) -> None:
        with self._lock:
            if self._settled:
                return
            self.client.sign_in()  # credentials refused fail the run (exit 2), never a feature
            for feature in FEATURES:
                if feature.name in self.tables and (refused := self._refused(feature.paths)) is not None:
                    self.denied[feature.name] = feature.denied(*refused, self.tables[feature.name])
            self._base = self.configured or self._read_base()
            self._settled = True

    def _refused(self, paths: tuple[str, ...]) -> tuple[str, int | None] | None:
        """The first of `paths` that refuses a one-record read, with its status."""
        for path in paths:
            try:
                self.client.ask_for_one(path)
            except UpstreamError as error:
                if error.status not in DENIED:
                    raise
                return path, error.status
        return None

    def _read_base(self) -> str | None:
        try:
            return self.client.base_currency()
        except UpstreamError as error:
            if error.status not in DENIED:
                raise
            self.denied["base currency"] = base_currency_denied(error.status)
            return None
