"""`altseason serve`: the local dashboard."""

from __future__ import annotations

import typer

from altseason.cli._app import app, console, open_cli_store, state
from altseason.exceptions import ConfigError


@app.command()
def serve(
    host: str = typer.Option(
        "127.0.0.1", "--host", help="Address to bind. Anything but loopback requires a token."
    ),
    port: int = typer.Option(8765, "--port", min=1, max=65535, help="TCP port."),
    allow_host: list[str] = typer.Option(
        None,
        "--allow-host",
        metavar="NAME",
        help="Another Host name to accept (a reverse proxy's or LAN name; repeatable). Requests "
        "naming any other host are refused (DNS-rebinding defence).",
    ),
    token: str | None = typer.Option(
        None,
        "--token",
        help="Access token. Generated and printed when binding a non-loopback address "
        "without one. Pass it once as ?token=... (then a cookie) or as 'Authorization: Bearer'.",
    ),
) -> None:
    """Serve the dashboard: overview, divergence, flows, options, support, macro/sentiment,
    correlation and strategy pages, each with a JSON API (/api/<page>?asof=YYYY-MM-DD&assets=BTC,ETH).

    The store is opened read-only for each request and released after it, so
    import, fetch and demo can write meanwhile; new rows show on the next
    request. Binds 127.0.0.1 by default; binding another address
    requires a token (checked in constant time).
    """
    import uvicorn

    from altseason.dashboard import create_app, generate_token, is_loopback_host

    path = state.settings.store_path
    empty = True
    if path.exists():  # read-only: other readers and writers may be at work
        with open_cli_store(read_only=True) as store:
            empty = store.is_empty()
    if empty:
        with open_cli_store() as store:
            if store.is_empty():
                from altseason.sources.demo import ensure_demo

                console.print(
                    "[yellow]The store is empty: seeding the simulated demo market first…[/]"
                )
                ensure_demo(store)
    if not is_loopback_host(host) and not token:
        token = generate_token()
    if token is not None and len(token) < 16:
        raise ConfigError("--token must be at least 16 characters; omit it to generate one.")
    timeout = state.lock_timeout if state.lock_timeout is not None else state.settings.lock_timeout
    application = create_app(
        state.settings.store_path,
        token=token,
        lock_timeout=timeout,
        host=host,
        port=port,
        allowed_hosts=[*state.settings.dashboard_hosts, *(allow_host or [])],
    )
    shown = host if ":" not in host else f"[{host}]"
    url = f"http://{shown}:{port}/"
    if token:
        url += f"?token={token}"
    console.print(
        f"altseason dashboard on [bold]{url}[/] (read-only store {state.settings.store_path}); Ctrl-C stops it."
    )
    uvicorn.run(application, host=host, port=port, log_level="warning", server_header=False)
