"""Dashboard security: headers, token, read-only, validation, traversal, sizes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from altseason.dashboard import (
    CSP,
    PAGES,
    PageParams,
    create_app,
    is_loopback_host,
    parse_params,
    token_matches,
)
from altseason.dashboard._params import ParamError
from altseason.store import Store


def _builder(store: Store, page: str, params: PageParams) -> dict[str, Any]:
    panel = store.read_prices("close", assets=list(params.assets) or None, end=params.asof)
    return {
        "asof": None if panel.empty else str(panel.index[-1].date()),
        "findings": [
            {"id": f"{page}.n_assets", "text": str(panel.shape[1]), "value": panel.shape[1]}
        ],
        "charts": [],
    }


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    path = tmp_path / "s.duckdb"
    with Store(path) as s:
        df = pd.DataFrame(
            {
                "asset_id": ["BTC", "ETH", "BTC"],
                "date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-02"]),
                "close": [40000.0, 2000.0, 41000.0],
            }
        )
        s.ingest(dataset="t", source="test", tables={"prices": df})
    return path


@pytest.fixture
def client(store_path: Path) -> TestClient:
    return TestClient(create_app(store_path, page_builder=_builder), base_url="http://127.0.0.1")


def test_security_headers_on_every_response(client: TestClient) -> None:
    for url in ["/", "/divergence", "/api/overview", "/api/nope", "/static/app.js", "/static/../x"]:
        r = client.get(url)
        assert r.headers["content-security-policy"] == CSP, url
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
    assert "unsafe-eval" not in CSP and "unsafe-inline" not in CSP
    assert "frame-ancestors 'none'" in CSP


def test_pages_have_no_inline_script(client: TestClient) -> None:
    for page in PAGES:
        html = client.get(f"/{page}").text
        assert '<script src="/static/app.js"' in html
        assert "<script>" not in html and "onload=" not in html


def test_api_validates_parameters(client: TestClient) -> None:
    ok = client.get("/api/divergence", params={"asof": "2024-01-01", "assets": "btc,eth"})
    assert ok.status_code == 200
    assert ok.json()["findings"][0]["value"] == 2
    bad = [
        {"asof": "2024-13-01"},
        {"asof": "yesterday"},
        {"asof": "1900-01-01"},
        {"assets": "BTC;DROP TABLE prices"},
        {"assets": "BTC'--"},
        {"assets": ",".join(f"A{i}" for i in range(60))},
        {"underlying": "DOGE"},
        {"start": "2024-02-01", "asof": "2024-01-01"},
    ]
    for params in bad:
        r = client.get("/api/divergence", params=params)
        assert r.status_code == 400, params
        body = r.json()
        assert "error" in body and "Traceback" not in r.text
    assert client.get("/api/unknown").status_code == 404


def test_read_only_methods_only(client: TestClient) -> None:
    for method in ("post", "put", "delete", "patch"):
        r = getattr(client, method)("/api/overview")
        assert r.status_code == 405


def test_path_traversal_and_unknown_static_refused(client: TestClient) -> None:
    for url in [
        "/static/../../etc/passwd",
        "/static/%2e%2e%2fetc%2fpasswd",
        "/static/..%2F..%2Fpyproject.toml",
        "/static/_app.py",
        "/../../etc/passwd",
    ]:
        r = client.get(url)
        assert r.status_code == 404, url
        assert "root:" not in r.text


def test_oversized_requests_refused(client: TestClient) -> None:
    assert client.get("/api/overview?assets=" + "A" * 5000).status_code == 414
    r = client.request("GET", "/api/overview", content=b"x" * 100_000)
    assert r.status_code == 413


def test_token_required_when_configured(store_path: Path) -> None:
    token = "s3cret-token-0123456789"
    client = TestClient(
        create_app(store_path, token=token, page_builder=_builder), base_url="http://127.0.0.1"
    )
    assert client.get("/api/overview").status_code == 401
    assert client.get("/api/overview", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert (
        client.get("/api/overview", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    )
    first = client.get("/", params={"token": token})
    assert first.status_code == 200
    assert client.get("/api/overview").status_code == 200  # cookie set by the first visit
    assert token not in client.get("/api/status").text


def test_store_is_opened_read_only(store_path: Path) -> None:
    app = create_app(store_path, page_builder=_builder)
    assert app.state.store.read_only
    with pytest.raises(duckdb.InvalidInputException, match=r"read-only"):
        app.state.store.con.execute("DELETE FROM prices")


def test_internal_errors_do_not_leak(store_path: Path) -> None:
    def broken(store: Store, page: str, params: PageParams) -> dict[str, Any]:
        raise RuntimeError("secret internals /home/user/path")

    client = TestClient(
        create_app(store_path, page_builder=broken),
        raise_server_exceptions=False,
        base_url="http://127.0.0.1",
    )
    r = client.get("/api/overview")
    assert r.status_code == 500
    assert "secret internals" not in r.text and "Traceback" not in r.text


def test_helpers() -> None:
    assert (
        is_loopback_host("127.0.0.1") and is_loopback_host("::1") and is_loopback_host("localhost")
    )
    assert not is_loopback_host("0.0.0.0") and not is_loopback_host("192.168.1.5")
    assert token_matches("abc", "abc") and not token_matches("abd", "abc")
    assert not token_matches(None, "abc")
    assert parse_params(assets="btc, eth ,BTC").assets == ("BTC", "ETH")
    with pytest.raises(ParamError):
        parse_params(asof="2024-1-1")
