"""Start-up time of the command line, as ratios to bare Python in the same run.

Times, in fresh processes, ``python -c pass``, ``python -c "import altseason"``,
``altseason --help``, ``altseason --version`` and ``altseason status`` (on a
small demo store made first), each several times, and prints the median and
its ratio to the two Python baselines. Bytecode caches are written before
timing (a first run of each command), as on an installed system; the
environment's ``PYTHONDONTWRITEBYTECODE`` is dropped for these runs.
It also lists which heavy modules each command imports.

    uv run python benchmarks/bench_startup.py [--repeat 7] [--store PATH]

Goal (issue 14): ``--help`` under 0.5 s and ``status`` under 1 s on the
reference 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEAVY = ("pandas", "numpy", "duckdb", "plotly", "numba", "scipy", "httpx", "fastapi")
PROBE = (
    "import sys, runpy; sys.argv = ['altseason', *sys.argv[1:]]\n"
    "try:\n    runpy.run_module('altseason', run_name='__main__')\n"
    "except SystemExit:\n    pass\n"
    "heavy = [m for m in {heavy!r} if m in sys.modules]\n"
    "sys.stderr.write('HEAVY:' + ','.join(heavy) + '\\n')\n"
)


def _time(cmd: list[str], env: dict[str, str], repeat: int) -> float:
    subprocess.run(cmd, env=env, capture_output=True, check=False)  # warm caches
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        done = subprocess.run(cmd, env=env, capture_output=True, check=False)
        times.append(time.perf_counter() - t0)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed: {done.stderr.decode()[-500:]}")
    return statistics.median(times)


def _heavy(args: list[str], env: dict[str, str]) -> str:
    code = PROBE.format(heavy=HEAVY)
    done = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, check=False
    )
    for line in done.stderr.splitlines():
        if line.startswith("HEAVY:"):
            return line[6:] or "none"
    return "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per command")
    parser.add_argument("--store", type=Path, default=None, help="store for 'status'")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    py = sys.executable
    alt = [py, "-m", "altseason"]
    with tempfile.TemporaryDirectory() as tmp:
        env["ALTSEASON_HOME"] = tmp
        store = args.store
        if store is None:
            store = Path(tmp) / "demo.duckdb"
            seed = ["--store", str(store), "demo", "--assets", "30", "--start", "2024-06-01"]
            subprocess.run([*alt, *seed], env=env, capture_output=True, check=True)
        cases = [
            ("python -c pass", [py, "-c", "pass"], None),
            ('python -c "import altseason"', [py, "-c", "import altseason"], None),
            ("altseason --help", [*alt, "--help"], ["--help"]),
            ("altseason --version", [*alt, "--version"], ["--version"]),
            (
                "altseason status",
                [*alt, "--store", str(store), "status"],
                ["--store", str(store), "status"],
            ),
        ]
        results = {name: _time(cmd, env, args.repeat) for name, cmd, _ in cases}
        heavy = {name: _heavy(a, env) for name, _, a in cases if a is not None}
    bare = results["python -c pass"]
    pkg = results['python -c "import altseason"']
    print(f"start-up, median of {args.repeat} fresh processes ({os.cpu_count()} CPUs)")
    print(f"{'command':<30} {'seconds':>8} {'x python':>9} {'x import':>9}  heavy modules imported")
    for name, secs in results.items():
        print(f"{name:<30} {secs:8.3f} {secs / bare:9.1f} {secs / pkg:9.1f}  {heavy.get(name, '')}")
    print(
        f"goal: --help < 0.5 s ({'met' if results['altseason --help'] < 0.5 else 'NOT met'}), "
        f"status < 1 s ({'met' if results['altseason status'] < 1.0 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
