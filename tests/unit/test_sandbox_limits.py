"""The sandbox's rate limit per credential, and a Younium tenant with several legal entities."""

from __future__ import annotations

import warnings
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from finsync_sandbox import Sandbox, SandboxConfig, SandboxServer, YouniumTenant, build_app, cli as sandbox_cli
from finsync_sandbox.kernel.limits import RateLimiter
from finsync_sandbox.younium.entities import entity_seed

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

YM_CLIENT_ID = 24680
YM_LOGIN = {
    "ClientID": YM_CLIENT_ID,
    "UserType": "Admin",
    "Username": "sandbox-api-key",
    "Password": "sandbox-api-password",
}
CREDENTIALS = {"clientId": "sandbox-younium-client", "secret": "sandbox-younium-secret"}
SMALL: dict[str, Any] = {
    "ym_items": 200,
    "batch_size": 50,
    "younium_accounts": 5,
    "younium_invoices": 40,
    "lines_per_invoice": 2,
    "younium_batches": 1,
    "younium_job_seconds": 5,
    "export_latency_seconds": 0,
}
DEFAULT, SECOND = "Sandbox AB", "Sandbox Oy"


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Caller:
    """A caller of both APIs of one sandbox: signed in to YM, holding a Younium token."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.http = TestClient(build_app(sandbox))
        self.session = ""
        self.token = ""

    def ym_sign_in(self) -> httpx.Response:
        reply = self.http.post("/ym/Ams/Authenticate", json=YM_LOGIN)
        if reply.status_code == 200:
            self.session = str(reply.json()["SessionId"])
        return reply

    def ym(self, route: str, **params: Any) -> httpx.Response:
        return self.http.get(f"/ym/Ams/{YM_CLIENT_ID}/{route}", params=params, headers={"X-SS-ID": self.session})

    def younium_sign_in(self) -> httpx.Response:
        reply = self.http.post("/younium/auth/v2/token", json=CREDENTIALS)
        if reply.status_code == 200:
            self.token = str(reply.json()["access_token"])
        return reply

    def headers(self, entity: str | None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}", "api-version": "2.1"}
        return headers | ({"legal-entity": entity} if entity is not None else {})

    def get(self, path: str, entity: str | None = None, **params: Any) -> httpx.Response:
        return self.http.get(f"/younium{path}", params=params, headers=self.headers(entity))

    def post(self, path: str, body: Any, entity: str | None = None) -> httpx.Response:
        return self.http.post(f"/younium{path}", json=body, headers=self.headers(entity))

    def invoice_ids(self, entity: str | None = None) -> list[str]:
        """Every invoice id /Invoices lists, page by page."""
        ids: list[str] = []
        number = 1
        while True:
            reply = self.get("/Invoices", entity, PageSize=100, PageNumber=number)
            if reply.status_code == 400:
                return ids
            assert reply.status_code == 200, reply.text
            body = reply.json()
            ids += [row["id"] for row in body["data"]]
            if not body.get("nextPage"):
                return ids
            number += 1


def make(clock: Clock | None = None, **settings: Any) -> Caller:
    return Caller(Sandbox(SandboxConfig(**{**SMALL, **settings}), clock=clock or Clock()))


def entities(clock: Clock | None = None, **settings: Any) -> Caller:
    """A caller of a sandbox whose Younium tenant has two legal entities, holding a token."""
    caller = make(clock, younium_legal_entities=(SECOND,), **settings)
    assert caller.younium_sign_in().status_code == 200
    return caller


GENERATE = {"targetDate": "2030-01-01", "invoiceAllAccounts": True, "invoiceAllBatchGroups": True}


# -- the rate limit -------------------------------------------------------------------------------------------


def test_no_limit_by_default() -> None:
    caller = make()
    assert caller.ym_sign_in().status_code == 200
    assert all(caller.ym("FinanceBatches").status_code == 200 for _ in range(20))
    assert sum(caller.sandbox.rate_limited.values()) == 0


def test_the_bucket_refuses_the_request_after_a_burst_and_accepts_again_after_the_refill() -> None:
    clock = Clock()
    caller = make(clock, rate_limit_per_second=3)
    assert caller.ym_sign_in().status_code == 200  # the sign-in spends the client's budget too
    assert [caller.ym("FinanceBatches").status_code for _ in range(3)] == [200, 200, 429]
    refused = caller.ym("FinanceBatches")
    assert (refused.status_code, refused.headers["Retry-After"]) == (429, "1")
    assert refused.json() == {"ErrorCode": "TooManyRequests", "Message": "Too Many Requests"}
    clock.now += 1 / 3  # one token back
    assert [caller.ym("FinanceBatches").status_code for _ in range(2)] == [200, 429]
    clock.now += 1  # a full bucket: 3, never more
    assert [caller.ym("FinanceBatches").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert caller.sandbox.rate_limited == {"ym.finance_batches": 4}
    assert caller.sandbox.requests["ym.finance_batches"] == 10, "a refused request is still counted"
    caller.sandbox.config.rate_limit_per_second = 0  # switched off at runtime
    assert caller.ym("FinanceBatches").status_code == 200


def test_younium_answers_429_as_problem_details_and_a_slow_rate_waits_whole_seconds() -> None:
    caller = make(rate_limit_per_second=0.4)  # a bucket of one token, refilled every 2.5 s
    assert caller.younium_sign_in().status_code == 200
    refused = caller.get("/Invoices")
    assert (refused.status_code, refused.headers["Retry-After"]) == (429, "3")
    body = refused.json()
    assert {k: body[k] for k in ("title", "status")} == {"title": "Too Many Requests", "status": 429}
    assert set(body) == {"title", "status", "traceId"}
    assert caller.sandbox.rate_limited == {"younium.invoices": 1}


def test_the_limiter_keys_buckets_by_credential() -> None:
    clock = Clock()
    limiter = RateLimiter(lambda: 2, clock)
    assert [limiter.take("a"), limiter.take("a"), limiter.take("a")] == [None, None, 1]
    assert limiter.take("b") is None, "another credential has a bucket of its own"
    clock.now += 0.5
    assert [limiter.take("a"), limiter.take("a")] == [None, 1]


def test_ym_and_younium_budgets_are_separate() -> None:
    caller = make(rate_limit_per_second=2)
    assert caller.ym_sign_in().status_code == 200
    assert caller.ym("FinanceBatches").status_code == 200
    assert caller.ym("FinanceBatches").status_code == 429, "YM's budget is spent"
    assert caller.younium_sign_in().status_code == 200
    assert caller.get("/Invoices").status_code == 200, "Younium's is not"
    assert caller.get("/Accounts").status_code == 429, "the token request and the read share the API client's"


def test_every_legal_entity_of_the_api_client_shares_one_budget() -> None:
    caller = entities(rate_limit_per_second=2)  # the token request spent one
    assert caller.get("/Invoices", DEFAULT).status_code == 200
    assert caller.get("/Invoices", SECOND).status_code == 429


def test_requests_with_no_known_token_spend_a_budget_apart_from_the_clients() -> None:
    caller = make(rate_limit_per_second=1)
    assert caller.get("/Invoices").status_code == 401  # no token yet: the anonymous budget
    assert caller.get("/Invoices").status_code == 429
    assert caller.younium_sign_in().status_code == 200, "the client's budget is untouched"


def test_a_refused_request_has_no_effect_and_takes_no_fault() -> None:
    caller = make(rate_limit_per_second=1)
    assert caller.younium_sign_in().status_code == 200
    tenant = caller.sandbox.younium
    jobs = len(tenant.jobs())
    caller.sandbox.faults.add(kind="status", route="younium.generate", status=503)
    refused = caller.post("/InvoiceBatches", GENERATE)
    assert refused.status_code == 429
    assert len(tenant.jobs()) == jobs, "no job was started"
    assert [f.route for f in caller.sandbox.faults.pending()] == ["younium.generate"], "the fault is still armed"
    assert caller.sandbox.requests["younium.generate"] == 1
    caller.sandbox.config.rate_limit_per_second = 0
    assert caller.post("/InvoiceBatches", GENERATE).status_code == 503, "the fault hits the next request let in"


def test_control_routes_are_never_limited_and_report_the_refusals() -> None:
    caller = make(rate_limit_per_second=1)
    assert caller.ym_sign_in().status_code == 200
    assert caller.ym("FinanceBatches").status_code == 429
    for _ in range(5):
        assert caller.http.get("/_sandbox/health").status_code == 200
        counts = caller.http.get("/_sandbox/requests")
        assert counts.status_code == 200
    reported = counts.json()
    assert (reported["ym.finance_batches"], reported["rate_limited.ym.finance_batches"]) == (1, 1)
    assert reported["rate_limited.ym.authenticate"] == 0
    assert caller.http.post("/_sandbox/advance", json={"ym_items": 1}).status_code == 200
    caller.http.delete("/_sandbox/requests")
    assert set(caller.http.get("/_sandbox/requests").json().values()) == {0}
    assert sum(caller.sandbox.rate_limited.values()) == 0


def test_serve_takes_a_rate_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[Sandbox] = []
    monkeypatch.setattr(sandbox_cli, "serve_forever", lambda sandbox, **_: served.append(sandbox))
    result = CliRunner().invoke(sandbox_cli.sandbox_app, ["serve", "--scale", "ym_items=10", "--rate-limit", "1.5"])
    assert result.exit_code == 0, result.output
    assert served[0].config.rate_limit_per_second == 1.5
    assert CliRunner().invoke(sandbox_cli.sandbox_app, ["serve", "--rate-limit", "-1"]).exit_code == 2


def test_the_configuration_refuses_a_negative_rate_and_entity_names_one_header_could_confuse() -> None:
    with pytest.raises(ValueError, match="rate_limit_per_second"):
        SandboxConfig(rate_limit_per_second=-1)
    with pytest.raises(ValueError, match="differ"):
        SandboxConfig(younium_legal_entities=("sandbox ab",))
    with pytest.raises(ValueError, match="non-empty"):
        SandboxConfig(younium_legal_entities=("",))


# -- several legal entities --------------------------------------------------------------------------------


def test_the_entities_are_by_name_the_default_first_seeded_apart_with_ids_of_their_own() -> None:
    sandbox = entities().sandbox
    assert list(sandbox.younium_entities) == [DEFAULT, SECOND]
    default, second = sandbox.younium_entities.values()
    assert default is sandbox.younium and second.name == SECOND
    assert sandbox.younium_entity("SANDBOX OY") is second
    assert sandbox.younium_entity(second.dataset.legal_entity_id.upper()) is second
    with pytest.raises(KeyError):
        sandbox.younium_entity("Other AB")
    assert second.dataset.seed == entity_seed(sandbox.config.seed, 1) != sandbox.config.seed
    assert default.dataset.legal_entity_id != second.dataset.legal_entity_id
    assert second.tokens is default.tokens
    ours, theirs = default.expected_ids(), second.expected_ids()
    for table in ours:
        assert not set(ours[table]) & set(theirs[table]), table
    assert len(default.dataset.invoices) - len(default.dataset.invoices.credit_notes()) == 40
    assert len(second.dataset.invoices) - len(second.dataset.invoices.credit_notes()) == 40
    assert len(second.dataset.accounts) == len(default.dataset.accounts)
    again = Sandbox(SandboxConfig(**SMALL, younium_legal_entities=(SECOND,)))
    assert again.younium_entity(SECOND).expected_ids() == theirs, "equal configurations, equal entities"


def test_two_legal_entities_answer_different_invoices_for_one_token() -> None:
    caller = entities()
    ours, theirs = caller.invoice_ids(DEFAULT), caller.invoice_ids(SECOND)
    assert ours and theirs and not set(ours) & set(theirs)
    assert caller.invoice_ids(caller.sandbox.younium_entity(SECOND).dataset.legal_entity_id) == theirs
    assert caller.invoice_ids("sandbox oy") == theirs
    assert caller.get(f"/Invoices/{theirs[0]}", SECOND).status_code == 200
    assert caller.get(f"/Invoices/{theirs[0]}", DEFAULT).status_code == 404


def test_with_two_entities_a_missing_header_is_403_and_with_one_it_is_fine() -> None:
    caller = entities()
    for path in ("/Invoices", "/Accounts", "/Journals"):
        missing = caller.get(path)
        assert missing.status_code == 403, path
        assert missing.json() == {
            "errors": ["A legal-entity header is required: the tenant has several legal entities."]
        }
    assert caller.post("/InvoiceBatches", GENERATE).status_code == 403
    single = make()
    assert single.younium_sign_in().status_code == 200
    assert single.get("/Invoices").status_code == 200
    assert single.get("/Invoices", DEFAULT).status_code == 200
    assert single.get("/Invoices", SECOND).status_code == 403


def test_an_unknown_entity_is_403() -> None:
    caller = entities()
    unknown = caller.get("/Invoices", "Other AB")
    assert unknown.status_code == 403
    assert unknown.json() == {"errors": ["Legal entity 'Other AB' was not found, or the user has no access to it."]}


def test_a_batch_job_belongs_to_the_entity_that_started_it() -> None:
    caller = entities()
    started = caller.post("/InvoiceBatches", GENERATE, SECOND)
    assert started.status_code == 200, started.text
    job = started.json()["jobId"]
    assert caller.get(f"/InvoiceBatches/BatchJobStatus/{job}/Generated", SECOND).status_code == 200
    assert caller.get(f"/InvoiceBatches/BatchJobStatus/{job}/Generated", DEFAULT).status_code == 400


def test_a_token_expiry_fault_ends_the_token_for_every_entity() -> None:
    caller = entities()
    caller.sandbox.faults.add(kind="expire_sessions")
    assert caller.get("/Invoices", DEFAULT).status_code == 401
    assert caller.get("/Invoices", SECOND).status_code == 401


def test_expected_entity_states_what_the_entity_lists() -> None:
    caller = entities()
    sandbox = caller.sandbox
    second = sandbox.expected_entity(SECOND)
    assert second["invoices"]["rows"] == len(set(caller.invoice_ids(SECOND)))
    assert second != sandbox.expected()["younium"]
    assert sandbox.expected_entity(DEFAULT) == sandbox.expected()["younium"]
    over_http = caller.http.get("/_sandbox/expected", params={"legal_entity": SECOND})
    assert over_http.status_code == 200
    assert over_http.json()["younium"] == second
    assert caller.http.get("/_sandbox/expected", params={"legal_entity": "Other AB"}).status_code == 400


def open_draft(tenant: YouniumTenant) -> str:
    invoices = tenant.dataset.invoices
    return next(invoices.id(n) for n in invoices.numbers() if invoices.is_open_draft(n))


def test_a_change_naming_an_entity_changes_that_entity_alone() -> None:
    caller = entities()
    sandbox = caller.sandbox
    invoice = open_draft(sandbox.younium_entity(SECOND))
    before = {name: tenant.expected()["invoices"]["rows"] for name, tenant in sandbox.younium_entities.items()}
    change = {"change": "delete_invoice", "invoice": invoice}
    assert caller.http.post("/_sandbox/younium/change", json=change).status_code == 400, "not the default's"
    done = caller.http.post("/_sandbox/younium/change", json={**change, "legal_entity": SECOND})
    assert done.status_code == 200, done.text
    assert sandbox.expected_entity(SECOND)["invoices"]["rows"] == before[SECOND] - 1
    assert sandbox.expected()["younium"]["invoices"]["rows"] == before[DEFAULT]
    assert caller.get(f"/Invoices/{invoice}", SECOND).status_code == 404
    unknown = caller.http.post("/_sandbox/younium/change", json={**change, "legal_entity": "Other AB"})
    assert unknown.status_code == 400 and "Other AB" in unknown.json()["error"]


def test_advance_moves_every_entity_on_unless_it_names_one() -> None:
    caller = entities()
    sandbox = caller.sandbox
    counts = {name: len(t.dataset.invoices) for name, t in sandbox.younium_entities.items()}
    everyone = caller.http.post("/_sandbox/advance", json={"new_invoices": 2}).json()
    assert everyone["younium"]["new_invoices"] == 2
    assert {name: a["new_invoices"] for name, a in everyone["younium_entities"].items()} == {DEFAULT: 2, SECOND: 2}
    one = caller.http.post("/_sandbox/advance", json={"new_invoices": 3, "legal_entity": SECOND}).json()
    assert one["younium"]["new_invoices"] == 3 and "younium_entities" not in one
    assert len(sandbox.younium.dataset.invoices) == counts[DEFAULT] + 2
    assert len(sandbox.younium_entity(SECOND).dataset.invoices) == counts[SECOND] + 5
    assert caller.http.post("/_sandbox/advance", json={"new_invoices": 1, "legal_entity": 7}).status_code == 400


def test_the_server_gives_each_entity_its_settings() -> None:
    server = SandboxServer(config=SandboxConfig(**SMALL, younium_legal_entities=(SECOND,)))
    settings = server.younium_entity_settings("sandbox oy")
    assert settings == {**server.younium_settings, "SOURCES__YOUNIUM__LEGAL_ENTITY": SECOND}
    assert server.younium_settings["SOURCES__YOUNIUM__LEGAL_ENTITY"] == DEFAULT
    with pytest.raises(KeyError):
        server.younium_entity_settings("Other AB")
