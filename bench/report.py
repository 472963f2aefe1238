"""The Markdown report of bench/results/latest.json: one table per database, each scenario
with its target (issue 8) and the physical anchor from ../shared/ENGINEERING.md it is read
against."""

from __future__ import annotations

# Scenario names are the keys: a scenario module uses exactly these names.
# (target, anchor): the target is for the report, never a test assertion.
TARGETS: dict[str, tuple[str, str]] = {
    "home timeline API (busy reader)": (
        "p50 ≤ 3× floor, p99 ≤ 50 ms",
        "materialised feed 0.3 ms p50 at 1M posts; 1 KB JSON view 4,049 req/s on one worker",
    ),
    "home timeline API (quiet reader)": (
        "p50 ≤ 3× floor, p99 ≤ 50 ms",
        "plain join 500 ms for this reader; LATERAL 0.5–8 ms; feed table 0.3 ms",
    ),
    "home timeline web (busy reader)": ("p50 ≤ 3× floor", "same feed query as the API"),
    "home timeline web (quiet reader)": ("p50 ≤ 3× floor", "same feed query as the API"),
    "public timeline API": ("p99 ≤ 50 ms", "index range scan on post id"),
    "hashtag timeline API": ("p99 ≤ 50 ms", "index range scan on (tag, post)"),
    "fan-out to 10,000 local followers and 1,000 remote inboxes": (
        "≤ 2 s until every feed and delivery row exists",
        "10k feed rows batched in 22 ms on PostgreSQL; 30k rows/s batched",
    ),
    "inbox ingestion (10% bad signatures)": (
        "≥ 1,000 activities/s",
        "46 µs CPU per activity; 2,287 single-row commits/s",
    ),
    "signed delivery to a sink (20% slow, hanging or dead)": (
        "≥ 800 deliveries/s",
        "RSA-2048 signing 1,146/s per core",
    ),
    "catch-up of 10,000 activities after a worker stop": (
        "—",
        "bounded by ingestion and handler cost",
    ),
    "memory: web process after warm-up": ("≤ 150 MB RSS", "—"),
    "memory: worker process after warm-up": ("—", "—"),
    "cold start": ("≤ 2 s", "—"),
}


def _cell(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.1f}" if value >= 100 else f"{value:g}"
    return str(value)


def markdown(report: dict) -> str:
    lines = ["# Benchmark report", ""]
    for database, meta in sorted(report.get("runs", {}).items()):
        sizes = ", ".join(f"{k} {v:,}" for k, v in meta.get("sizes", {}).items())
        lines += [
            f"## {database}",
            "",
            f"{meta.get('when', '')} · {meta.get('machine', '')} · Python "
            f"{meta.get('python', '')}" + (f" · {sizes}" if sizes else ""),
            "",
            "| scenario | p50 ms | p95 ms | p99 ms | per s | floor ratio | target | anchor |",
            "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |",
        ]
        for r in report["scenarios"]:
            if r["database"] != database:
                continue
            target, anchor = TARGETS.get(r["name"], ("", ""))
            note = r.get("note")
            lines.append(
                f"| {r['name']} | {_cell(r.get('p50_ms'))} | {_cell(r.get('p95_ms'))} | "
                f"{_cell(r.get('p99_ms'))} | {_cell(r.get('throughput_per_s'))} | "
                f"{_cell(r.get('floor_ratio'))} | {target} | {anchor}"
                + (f" — {note}" if note else "")
                + " |"
            )
        lines.append("")
    return "\n".join(lines)
