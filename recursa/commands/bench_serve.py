"""``recursa bench serve``: the language server driven by a raw JSON-RPC client over pipes, as an editor would.

A generated C file (10 functions, 30 lines each) is opened, then edited 100 times, one line at a time, waiting
for each edit's diagnostics before the next. Printed: edit-to-diagnostics latency (p50/p95; start-up and the first
verification excluded), functions re-verified per edit, level sweeps of the reasoner's warm re-solve against a
cold solve of the same trees, and the server's resident memory after the first and after the last edit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

FUNCTION_LINES = 30


def generate_source(functions: int = 10) -> str:
    """``functions`` functions of exactly :data:`FUNCTION_LINES` lines, each with a loop and a provable assertion."""
    out = []
    for k in range(functions):
        body = [f"int f{k}(int n) {{",
                f"  int x = 0, y = 0, z = {k};",
                "  assume(n >= 0);",
                "  while (x < n) {",
                "    x = x + 1;",
                "    y = y + 2;",
                "    if (z > 100) {",
                "      z = z - 1;",
                "    } else {",
                "      z = z + 1;",
                "    }",
                "  }"]
        pad = FUNCTION_LINES - len(body) - 3
        body += [f"  int t{j} = x + {j + k};" for j in range(pad)]
        body += ["  assert(y == 2 * x);", "  return y;", "}"]
        out.extend(body)
    return "\n".join(out) + "\n"


class RawClient:
    """A minimal LSP client: Content-Length framing over the server's stdin/stdout, a reader thread."""

    def __init__(self, cmd: list[str]) -> None:
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.lock = threading.Condition()
        self.responses: dict[int, Any] = {}
        self.diagnostics: dict[tuple[str, int | None], float] = {}  # (uri, version) -> arrival time
        self.next_id = 0
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        stream = self.proc.stdout
        assert stream is not None
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if length is None:
                continue
            msg = json.loads(stream.read(length))
            now = time.perf_counter()
            with self.lock:
                if "id" in msg and "method" not in msg:
                    self.responses[msg["id"]] = msg
                elif msg.get("method") == "textDocument/publishDiagnostics":
                    p = msg["params"]
                    self.diagnostics.setdefault((p["uri"], p.get("version")), now)
                elif "id" in msg:  # a request from the server (progress, configuration): answer null
                    self._send({"jsonrpc": "2.0", "id": msg["id"], "result": None})
                self.lock.notify_all()

    def _send(self, msg: dict[str, Any]) -> None:
        body = json.dumps(msg).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        self.proc.stdin.flush()

    def notify(self, method: str, params: Any) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method: str, params: Any, timeout: float = 120.0) -> Any:
        with self.lock:
            self.next_id += 1
            rid = self.next_id
        self._send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        with self.lock:
            if not self.lock.wait_for(lambda: rid in self.responses, timeout):
                raise TimeoutError(f"no answer to {method} within {timeout:g} s")
            msg = self.responses.pop(rid)
        if "error" in msg:
            raise RuntimeError(f"{method}: {msg['error'].get('message')}")
        return msg.get("result")

    def wait_diagnostics(self, uri: str, version: int, timeout: float = 120.0) -> float:
        with self.lock:
            if not self.lock.wait_for(lambda: (uri, version) in self.diagnostics, timeout):
                raise TimeoutError(f"no diagnostics for version {version} within {timeout:g} s")
            return self.diagnostics[(uri, version)]

    def close(self) -> None:
        try:
            self.request("shutdown", None, timeout=30)
            self.notify("exit", None)
            self.proc.wait(timeout=30)
        except (OSError, TimeoutError, RuntimeError):
            self.proc.kill()


@dataclass
class ServeBench:
    edits: int = 0
    latencies_s: list[float] = field(default_factory=list)
    reverified: list[int] = field(default_factory=list)
    reverified_other: int = 0  # edits that re-verified a function other than the edited one
    cold_iterations: int = 0
    warm_iterations: int = 0
    edited_cold_iterations: int = 0
    edited_warm_iterations: int = 0
    cold_node_evals: int = 0
    warm_node_evals: int = 0
    rss_first: int = 0
    rss_last: int = 0
    warm_exact: bool = True
    verify_s: list[float] = field(default_factory=list)  # the server's own time in the verifier, per edit
    parse_s: list[float] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)

    def percentile(self, q: float) -> float:
        xs = sorted(self.latencies_s)
        return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))] if xs else float("nan")

    def to_json(self) -> dict[str, Any]:
        return {"edits": self.edits, "latency_p50_ms": round(self.percentile(0.5) * 1000, 1),
                "latency_p95_ms": round(self.percentile(0.95) * 1000, 1),
                "latency_max_ms": round(max(self.latencies_s, default=float("nan")) * 1000, 1),
                "functions_reverified_mean": sum(self.reverified) / max(len(self.reverified), 1),
                "functions_reverified_max": max(self.reverified, default=0),
                "edits_reverifying_another_function": self.reverified_other,
                "cold_iterations": self.cold_iterations, "warm_iterations": self.warm_iterations,
                "iterations_ratio": self.cold_iterations / max(self.warm_iterations, 1),
                "edited_function_cold_iterations": self.edited_cold_iterations,
                "edited_function_warm_iterations": self.edited_warm_iterations,
                "cold_node_evals": self.cold_node_evals, "warm_node_evals": self.warm_node_evals,
                "rss_after_first_edit_mb": round(self.rss_first / 2**20, 1),
                "rss_after_last_edit_mb": round(self.rss_last / 2**20, 1),
                "rss_growth": self.rss_last / max(self.rss_first, 1) - 1, "warm_exact": self.warm_exact,
                "verify_p50_ms": round(_median(self.verify_s) * 1000, 1),
                "parse_p50_ms": round(_median(self.parse_s) * 1000, 1),
                "settings": self.settings}


def _median(xs: list[float]) -> float:
    return sorted(xs)[len(xs) // 2] if xs else float("nan")


def _wait_pass(client: RawClient, version: int, want_warm: bool, timeout: float = 120.0) -> dict[str, Any]:
    """The server's record of its completed pass at ``version`` (with the reasoner's figures when asked)."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        stats = client.request("recursa/stats", {})
        for p in reversed(stats["passes"]):
            if p["version"] == version and not p["abandoned"] and (p["warm"] is not None or not want_warm):
                return {"pass": p, "rss": stats["rss_bytes"]}
        time.sleep(0.05)
    raise TimeoutError(f"the server finished no pass for version {version}")


def run(edits: int = 100, functions: int = 10, ranker: str = "default", reasoner: bool = True,
        timeout: float = 5.0) -> ServeBench:
    src = generate_source(functions)
    lines = src.split("\n")
    settings = {"ranker": ranker, "reasoner": reasoner, "timeout": timeout}
    bench = ServeBench(settings=settings)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.c"
        path.write_text(src)
        uri = path.as_uri()
        client = RawClient([sys.executable, "-m", "recursa.cli", "serve"])
        try:
            client.request("initialize", {"processId": os.getpid(), "rootUri": Path(tmp).as_uri(),
                                          "capabilities": {}, "initializationOptions": settings}, timeout=120)
            client.notify("initialized", {})
            client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "c", "version": 1,
                                                                    "text": src}})
            client.wait_diagnostics(uri, 1, timeout=600)
            _wait_pass(client, 1, reasoner, timeout=600)  # start-up and the first verification: not measured
            for i in range(edits):
                version = i + 2
                k = i % functions
                row = k * FUNCTION_LINES + 1  # `  int x = 0, y = 0, z = K;`
                new = f"  int x = 0, y = 0, z = {k + 1000 + i};"
                old_len = len(lines[row])
                lines[row] = new
                sent = time.perf_counter()
                client.notify("textDocument/didChange", {
                    "textDocument": {"uri": uri, "version": version},
                    "contentChanges": [{"range": {"start": {"line": row, "character": 0},
                                                  "end": {"line": row, "character": old_len}}, "text": new}]})
                arrived = client.wait_diagnostics(uri, version)
                bench.latencies_s.append(arrived - sent)
                record = _wait_pass(client, version, reasoner)
                p = record["pass"]
                bench.reverified.append(len(p["verified"]))
                bench.verify_s.append(p["verify_s"])
                bench.parse_s.append(p["parse_s"])
                if any(name != f"f{k}" for name in p["verified"]):
                    bench.reverified_other += 1
                warm = p["warm"]
                if warm is not None:
                    bench.cold_iterations += warm["cold_iterations"]
                    bench.warm_iterations += warm["warm_iterations"]
                    bench.cold_node_evals += warm["cold_node_evals"]
                    bench.warm_node_evals += warm["warm_node_evals"]
                    bench.edited_cold_iterations += warm["trees"][k]["iterations"]
                    bench.edited_warm_iterations += warm["trees"][k]["warm_iterations"]
                    bench.warm_exact &= warm["exact"]
                if i == 0:
                    bench.rss_first = record["rss"]
                bench.rss_last = record["rss"]
                bench.edits += 1
        finally:
            client.close()
    return bench


def describe(b: ServeBench) -> str:
    j = b.to_json()
    lines = [f"recursa serve: {b.edits} one-line edits of a {FUNCTION_LINES * 10}-line C file with 10 functions "
             f"(settings {b.settings})",
             f"  edit -> diagnostics latency: p50 {j['latency_p50_ms']:.0f} ms, p95 {j['latency_p95_ms']:.0f} ms, "
             f"max {j['latency_max_ms']:.0f} ms (goals p50 < 300 ms, p95 < 1 s); of which, median: verifier "
             f"{j['verify_p50_ms']:.0f} ms, incremental parse + conversion {j['parse_p50_ms']:.0f} ms (the edits come "
             "after a quiet spell, so no debounce wait)",
             f"  functions re-verified per edit: mean {j['functions_reverified_mean']:.2f}, "
             f"max {j['functions_reverified_max']}; edits that re-verified another function: "
             f"{j['edits_reverifying_another_function']} (goal: only the edited one)"]
    if b.cold_iterations:
        lines.append(f"  reasoner level sweeps, summed over the file's 10 trees: cold {b.cold_iterations}, warm "
                     f"{b.warm_iterations} ({j['iterations_ratio']:.1f}x fewer; goal >= 3x)")
        lines.append(f"    in the edited function alone: cold {b.edited_cold_iterations}, warm "
                     f"{b.edited_warm_iterations} ({b.edited_cold_iterations / max(b.edited_warm_iterations, 1):.2f}x)"
                     f"; node evaluations: cold {b.cold_node_evals}, warm {b.warm_node_evals} "
                     f"({b.cold_node_evals / max(b.warm_node_evals, 1):.1f}x)"
                     + ("" if b.warm_exact else " [cyclic model: plain z0 warm start]"))
    else:
        lines.append("  reasoner: off (no warm re-solve figures)")
    lines.append(f"  resident memory: {j['rss_after_first_edit_mb']:.0f} MB after the first edit, "
                 f"{j['rss_after_last_edit_mb']:.0f} MB after the last ({100 * j['rss_growth']:+.1f}%; "
                 "goal within 10%)")
    return "\n".join(lines)


@click.command("serve")
@click.option("--edits", type=click.IntRange(min=1), default=100, show_default=True)
@click.option("--ranker", default="default", show_default=True, help="default, unguided, or a model directory.")
@click.option("--no-reasoner", is_flag=True, help="Skip the reasoner (no warm re-solve figures).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=5.0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with the figures.")
def bench_serve(edits: int, ranker: str, no_reasoner: bool, timeout: float, as_json: bool) -> None:
    """Drive `recursa serve` through 100 one-line edits; latency, re-verification, warm re-solve, memory."""
    try:
        result = run(edits=edits, ranker=ranker, reasoner=not no_reasoner, timeout=timeout)
    except (TimeoutError, RuntimeError, OSError) as exc:
        click.echo(f"recursa bench serve: {exc}", err=True)
        sys.exit(1)
    click.echo(json.dumps(result.to_json()) if as_json else describe(result))
