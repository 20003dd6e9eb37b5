"""Politeness: the request-rate cap, the cap on requests in flight, and the back-off on 429, shared by every
thread of a run."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import respx

from finsync import progress
from finsync.http import HttpClient, HttpSettings
from finsync.http.pacing import RAMP_STEP, RECOVER_AFTER, REQUESTS, THROTTLED, WAITED, WAITED_WALL, Pacer

BASE = "https://api.example.test"


def polite_client(rate: float = 0.0, in_flight: int = 8, sleeps: list[float] | None = None) -> HttpClient:
    settings = HttpSettings(max_attempts=5, backoff_initial=0.01, max_requests_per_second=rate, max_in_flight=in_flight)
    return HttpClient("Test", BASE, settings, sleep=(sleeps.append if sleeps is not None else time.sleep))


@respx.mock
def test_request_starts_are_spaced_by_the_rate_cap_across_threads() -> None:
    starts: list[float] = []

    def answer(request: httpx.Request) -> httpx.Response:
        starts.append(time.monotonic())
        return httpx.Response(200, json={})

    respx.get(f"{BASE}/things").mock(side_effect=answer)
    http = polite_client(rate=20.0)
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: http.request("GET", "/things"), range(12)))
    gaps = sorted(b - a for a, b in zip(sorted(starts), sorted(starts)[1:], strict=False))
    assert len(starts) == 12
    # 20 per second: starts 50 ms apart, never a burst. The times are taken where the answer is made, a
    # thread switch after the request's start: one gap may look short on a busy machine, not most of them.
    assert gaps[len(gaps) // 2] >= 0.045 and sum(gaps) >= 0.5, gaps


@respx.mock
def test_no_more_requests_in_flight_than_the_cap_whatever_the_threads() -> None:
    in_flight, most = 0, 0
    lock = threading.Lock()

    def answer(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, most
        with lock:
            in_flight += 1
            most = max(most, in_flight)
        time.sleep(0.02)
        with lock:
            in_flight -= 1
        return httpx.Response(200, json={})

    respx.get(f"{BASE}/things").mock(side_effect=answer)
    http = polite_client(in_flight=2)
    with ThreadPoolExecutor(6) as pool:
        list(pool.map(lambda _: http.request("GET", "/things"), range(18)))
    assert most == 2


def test_a_429_halves_the_requests_in_flight_and_the_rate_once_per_burst_then_they_recover_step_by_step() -> None:
    now = [100.0]
    pacer = Pacer(10.0, 8, clock=lambda: now[0])
    pacer.answered(429)
    assert (pacer.limit, pacer.rate) == (4, 5.0)
    pacer.answered(429)  # the same burst: the requests that were already in flight
    assert (pacer.limit, pacer.rate) == (4, 5.0)
    now[0] += 1.5
    pacer.answered(429)
    assert (pacer.limit, pacer.rate) == (2, 2.5)
    for _ in range(RECOVER_AFTER - 1):
        pacer.answered(200)
    assert pacer.limit == 2
    pacer.answered(200)
    assert (pacer.limit, pacer.rate) == (3, pytest.approx(2.75))
    for _ in range(RECOVER_AFTER * 20):
        pacer.answered(200)
    assert (pacer.limit, pacer.rate) == (8, 10.0)  # back to the settings, never above


def test_a_429_halves_from_what_the_upstream_accepted_in_the_last_second_when_that_is_less() -> None:
    now = [10.0]
    pacer = Pacer(25.0, 4, clock=lambda: now[0])
    for _ in range(6):  # six answers in the second before the 429: the upstream allows about six a second
        now[0] += 0.1
        pacer.answered(200)
    now[0] += 0.3
    pacer.answered(429)
    assert pacer.rate == 3.0 and pacer.limit == 2


def test_a_slow_start_ramps_up_with_each_answer_to_the_cap_and_no_further() -> None:
    pacer = Pacer(50.0, 8, start_rate=2.0)
    assert pacer.rate == 2.0
    pacer.answered(200)
    pacer.answered(404)  # an answer that is no slow-down is evidence the upstream keeps up
    assert pacer.rate == 2.0 + 2 * RAMP_STEP
    for _ in range(100):
        pacer.answered(200)
    assert pacer.rate == 50.0


@pytest.mark.parametrize("status", [429, 503])
def test_the_first_slow_down_ends_the_ramp_for_good(status: int) -> None:
    now = [0.0]
    pacer = Pacer(50.0, 8, start_rate=2.0, clock=lambda: now[0])
    for _ in range(9):  # up to 20/s, nine answers in the last second
        now[0] += 0.1
        pacer.answered(200)
    assert pacer.rate == 2.0 + 9 * RAMP_STEP
    pacer.answered(status)
    assert pacer.rate == 4.5 and pacer.limit == 4  # half of what was accepted in the last second
    for _ in range(RECOVER_AFTER - 1):
        pacer.answered(200)
    assert pacer.rate == 4.5, "after a slow-down, recovery is a tenth per 20 answers, not a ramp per answer"


def test_without_a_cap_there_is_no_slow_start() -> None:
    assert Pacer(0.0, 4, start_rate=2.0).rate == 0.0


def test_the_rate_never_falls_below_a_floor_however_many_429s() -> None:
    now = [0.0]
    pacer = Pacer(8.0, 4, clock=lambda: now[0])
    for _ in range(20):
        now[0] += 2
        pacer.answered(429)
    assert pacer.limit == 1 and pacer.rate == pytest.approx(8.0 / 32)


@respx.mock
def test_a_retry_after_holds_every_thread_and_the_run_tallies_429s_and_time_waiting() -> None:
    respx.get(f"{BASE}/slow").mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "3"}), httpx.Response(200, json={"ok": 1})]
    )
    respx.get(f"{BASE}/other").mock(return_value=httpx.Response(200, json={}))
    sleeps: list[float] = []
    http = polite_client(sleeps=sleeps)
    run = progress.start("test")
    try:
        assert http.request("GET", "/slow").body == {"ok": 1}
        other = threading.Thread(target=http.request, args=("GET", "/other"))  # waits out the same Retry-After
        other.start()
        other.join(5)
    finally:
        progress.start("done")
    assert sleeps[0] == 3.0 and len(sleeps) == 2 and 0 < sleeps[1] <= 3.0
    assert run.tallies[REQUESTS] == 3 and run.tallies[THROTTLED] == 1
    assert run.tallies[WAITED] >= 3.0


@respx.mock
def test_a_sign_in_made_inside_a_request_does_not_wait_for_its_own_slot() -> None:
    from finsync.http import Credential, RenewingAuth

    class Token(RenewingAuth):
        def __init__(self, http: HttpClient) -> None:
            super().__init__("Test")
            self.http = http

        def sign_in(self) -> Credential:
            self.http.request("POST", "/token")
            return Credential("t", 60.0)

        def apply(self, request: httpx.Request, value: str) -> None:
            request.headers["Authorization"] = f"Bearer {value}"

    respx.post(f"{BASE}/token").mock(return_value=httpx.Response(200, json={}))
    respx.get(f"{BASE}/things").mock(return_value=httpx.Response(200, json=[1]))
    http = polite_client(in_flight=1)
    done = threading.Event()
    threading.Thread(target=lambda: (http.request("GET", "/things", auth=Token(http)), done.set()), daemon=True).start()
    assert done.wait(5), "the request deadlocked waiting for a second slot"


def test_time_waiting_is_reported_as_wall_clock_not_as_the_sum_over_threads() -> None:
    """Four threads waiting out one second together wait one second of the run, not four."""
    now = [0.0]
    pacer = Pacer(0.0, 1, clock=lambda: now[0])
    run = progress.start("test")
    try:
        for _ in range(4):
            pacer._on_the_clock(10.0, 11.0)  # the same second, seen by four threads
        pacer._on_the_clock(10.5, 12.0)  # one more, overlapping: adds its last second only
        now[0] = 12.0
        pacer.waited(2.0)  # a Retry-After from now: two seconds more
    finally:
        progress.start("done")
    assert run.tallies[WAITED_WALL] == 4.0
    assert run.tallies[WAITED] == 2.0  # the sum over threads counts what `slot` and `waited` tally
