"""The shared HTTP client: retries, backoff, Retry-After, rate limit, scrubbing."""

from __future__ import annotations

import email.utils
import random
import time
from pathlib import Path

import httpx
import pytest
from connector_support import Counting, FakeTime, make_client, settings
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from altseason.exceptions import RateLimitError, RegionBlockedError, SourceError
from altseason.sources import HttpClient, RateLimiter, RetryPolicy, scrub_url

URL = "https://api.example.test/v1/data"


def ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"ok": True, "ua": request.headers["user-agent"]})


def test_user_agent_from_settings(tmp_path: Path) -> None:
    client = make_client(ok, settings=settings(tmp_path, user_agent="altseason-test/9"))
    payload, shown = client.get_json(URL, source="x")
    assert payload["ua"] == "altseason-test/9"
    assert shown == URL


def test_retry_after_seconds_is_passed_to_sleep() -> None:
    ft = FakeTime()
    handler = Counting(
        ok, fail=2, failure=lambda r: httpx.Response(429, headers={"Retry-After": "12"})
    )
    client = make_client(handler, ft)
    assert client.get_json(URL, source="x")[0]["ok"]
    assert ft.sleeps == [12.0, 12.0]
    assert len(handler.requests) == 3


def test_retry_after_http_date() -> None:
    ft = FakeTime()
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    handler = Counting(
        ok, fail=1, failure=lambda r: httpx.Response(503, headers={"Retry-After": when})
    )
    client = make_client(handler, ft)
    client.get(URL, source="x")
    assert len(ft.sleeps) == 1 and 25 <= ft.sleeps[0] <= 31


def test_retry_after_is_capped() -> None:
    ft = FakeTime()
    handler = Counting(
        ok, fail=1, failure=lambda r: httpx.Response(429, headers={"Retry-After": "86400"})
    )
    client = make_client(handler, ft, retry=RetryPolicy(max_attempts=2, retry_after_max=60))
    client.get(URL, source="x")
    assert ft.sleeps == [60.0]


def test_backoff_without_retry_after_is_exponential_with_jitter() -> None:
    ft = FakeTime()
    handler = Counting(ok, fail=4, failure=lambda r: httpx.Response(502))
    policy = RetryPolicy(max_attempts=5, backoff_base=1.0, backoff_max=60.0)
    client = make_client(handler, ft, retry=policy)
    client.get(URL, source="x")
    assert len(ft.sleeps) == 4
    for n, slept in enumerate(ft.sleeps, start=1):
        assert 0.0 <= slept <= 2 ** (n - 1)


@hsettings(max_examples=50, deadline=None)
@given(
    retry=st.integers(1, 30),
    base=st.floats(0.01, 10),
    cap=st.floats(0.1, 120),
    seed=st.integers(0, 2**16),
)
def test_backoff_bounds(retry: int, base: float, cap: float, seed: int) -> None:
    policy = RetryPolicy(backoff_base=base, backoff_max=cap)
    wait = policy.backoff(retry, random.Random(seed))
    assert 0.0 <= wait <= min(cap, base * 2 ** (retry - 1))


def test_429_exhausted_raises_rate_limit_error() -> None:
    handler = Counting(ok, fail=99, failure=lambda r: httpx.Response(429))
    client = make_client(handler)
    with pytest.raises(RateLimitError, match="429") as info:
        client.get(URL, source="x")
    assert info.value.status == 429
    assert len(handler.requests) == 3


def test_5xx_exhausted_raises_source_error_with_status() -> None:
    handler = Counting(ok, fail=99, failure=lambda r: httpx.Response(500))
    with pytest.raises(SourceError, match="HTTP 500") as info:
        make_client(handler).get(URL, source="x")
    assert info.value.status == 500 and info.value.url == URL


def test_timeout_then_success_and_connect_error() -> None:
    def boom(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    handler = Counting(ok, fail=2, failure=boom)
    assert make_client(handler).get_json(URL, source="x")[0]["ok"]
    handler = Counting(ok, fail=99, failure=boom)
    with pytest.raises(SourceError, match="connection failed"):
        make_client(handler).get(URL, source="x")


def test_451_is_region_blocked_without_retry() -> None:
    handler = Counting(ok, fail=99, failure=lambda r: httpx.Response(451))
    with pytest.raises(RegionBlockedError, match="Use a VPN-free") as info:
        make_client(handler).get(URL, source="x", blocked_hint="Use a VPN-free region.")
    assert info.value.status == 451
    assert len(handler.requests) == 1


def test_other_4xx_not_retried() -> None:
    handler = Counting(ok, fail=99, failure=lambda r: httpx.Response(404, text="no such coin"))
    with pytest.raises(SourceError, match="404") as info:
        make_client(handler).get(URL, source="x")
    assert "no such coin" in str(info.value)
    assert len(handler.requests) == 1


def test_invalid_json_names_url() -> None:
    handler = Counting(ok, fail=99, failure=lambda r: httpx.Response(200, text='{"data": [1, 2'))
    with pytest.raises(SourceError, match="not valid JSON") as info:
        make_client(handler).get_json(URL, source="x", params={"a": 1})
    assert info.value.url == URL + "?a=1"


def test_api_keys_never_appear_in_errors(tmp_path: Path) -> None:
    secret = "sk-live-1234567890abcdef"
    echo = lambda r: httpx.Response(  # noqa: E731
        403, text=f"bad key {r.headers.get('x-key')} in {r.url}"
    )
    client = make_client(echo, settings=settings(tmp_path, fred_api_key=secret))
    with pytest.raises(SourceError) as info:
        client.get(URL, source="fred", params={"api_key": secret}, headers={"x-key": secret})
    text = str(info.value)
    assert secret not in text and secret not in (info.value.url or "")
    assert "api_key=***" in text


def test_scrub_url_masks_credential_parameters() -> None:
    url = "https://h.test/p?series_id=M2SL&api_key=abc123&file_type=json&token=t0k"
    shown = scrub_url(url)
    assert "abc123" not in shown and "t0k" not in shown
    assert "series_id=M2SL" in shown and "file_type=json" in shown
    assert scrub_url("https://h.test/x/SECRET/y", ["SECRET"]) == "https://h.test/x/***/y"


def test_rate_limiter_spaces_calls_with_fake_clock() -> None:
    ft = FakeTime()
    limiter = RateLimiter.per_minute(30, clock=ft.clock, sleep=ft.sleep)
    for _ in range(5):
        limiter.acquire()
    # The first call is free, then one call every 2 s.
    assert ft.sleeps == pytest.approx([2.0, 2.0, 2.0, 2.0])


def test_rate_limiter_burst_and_refill() -> None:
    ft = FakeTime()
    limiter = RateLimiter(1.0, burst=3, clock=ft.clock, sleep=ft.sleep)
    assert [limiter.acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.acquire() == pytest.approx(1.0)
    ft.t += 10  # idle time refills up to the burst only
    assert [limiter.acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.acquire() == pytest.approx(1.0)


def test_client_applies_per_source_rate_limit() -> None:
    ft = FakeTime()
    client = make_client(ok, ft)
    client.set_rate_limit("slow", 6)  # one call per 10 s
    for _ in range(3):
        client.get(URL, source="slow")
    client.get(URL, source="fast")
    assert ft.sleeps == pytest.approx([10.0, 10.0])


def test_client_is_a_context_manager() -> None:
    with HttpClient(transport=httpx.MockTransport(ok)) as client:
        assert client.get(URL, source="x").status_code == 200
    assert client.requests_made == 1
