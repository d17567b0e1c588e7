#!/usr/bin/env python3
"""Prints BENCHMARKS.md's tables from the last `cargo bench -p sessions-core` run.

Reads criterion's `target/criterion/<group>/<function>[/<parameter>]/new/estimates.json`
(the median of the per-iteration sample times) and writes one markdown table per group:
median, ratio to the limit, and ratio to each peer (a ratio above 1 means slower than it).

Run from the workspace root: `python3 sessions-core/benches/medians.py`.
"""

import json
import pathlib
import sys

ROOT = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")

# (group, rows, limit per row, peers): a row is a benchmark id below the group; a limit or
# peer id may contain `{p}`, replaced by the row's parameter (the population).
TABLES = [
    (
        "current_session",
        [f"{f}/{p}" for p in (1, 10000, 1000000) for f in (
            "current_id", "current", "with_current", "thread_local_cell",
            "tokio_task_local", "scoped_tls", "naive_mutex_map")],
        "thread_local_cell/{p}",
        ["tokio_task_local/{p}", "scoped_tls/{p}", "naive_mutex_map/{p}"],
    ),
    (
        "enter_leave",
        ["session_enter", "impersonate_root", "engine_enter_by_id", "thread_local_cell",
         "tokio_task_local", "scoped_tls", "naive_mutex_map"],
        "thread_local_cell",
        ["tokio_task_local", "scoped_tls", "naive_mutex_map"],
    ),
    (
        "call_by_name",
        ["direct_add", "methods_call_add", "method_info_call_add", "jsonrpsee_call_add",
         "jsonrpsee_raw_json_add"],
        "direct_add",
        ["jsonrpsee_call_add", "jsonrpsee_raw_json_add"],
    ),
    (
        "call_by_name",
        ["direct_checked_div", "methods_call_out_param"],
        "direct_checked_div",
        ["jsonrpsee_call_add"],
    ),
    (
        "call_by_name",
        ["direct_checked_div_failing", "methods_call_failing"],
        "direct_checked_div_failing",
        ["jsonrpsee_call_add"],
    ),
    (
        "registry_open_close",
        ["1_thread", "2_threads"],
        None,
        [],
    ),
    (
        "registry",
        [f"{f}/{p}" for f in ("get", "naive_mutex_map_get", "active_count")
         for p in (1, 1000000)],
        None,
        ["naive_mutex_map_get/{p}"],
    ),
    (
        "registry_scan",
        ["count_users_by_scan/1", "count_users_by_scan/1000000"],
        None,
        [],
    ),
    (
        "messages",
        ["post_and_dispatch_1M", "post_1M", "dispatch_1M"],
        None,
        [],
    ),
]


def median_ns(group, bench):
    path = ROOT / group / bench / "new" / "estimates.json"
    try:
        return json.loads(path.read_text())["median"]["point_estimate"]
    except FileNotFoundError:
        return None


def throughput(group, bench):
    path = ROOT / group / bench / "new" / "benchmark.json"
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    elements = (data.get("throughput") or {}).get("Elements")
    return elements


def show_time(ns):
    if ns is None:
        return "—"
    for unit, scale in (("ms", 1e6), ("µs", 1e3), ("ns", 1.0)):
        if ns >= scale * 0.9995 or unit == "ns":
            value = ns / scale
            return f"{value:.3g} {unit}" if value < 100 else f"{value:.0f} {unit}"
    return f"{ns} ns"


def show_ratio(num, den):
    if num is None or den is None:
        return "—"
    ratio = num / den
    return f"{ratio:.3g}×" if ratio < 100 else f"{ratio:.0f}×"


def table(group, rows, limit, peers):
    columns = ["benchmark", "median"]
    if any(throughput(group, row) for row in rows):
        columns.append("per second")
    if limit:
        columns.append("÷ limit")
    columns += [f"÷ {peer.replace('/{p}', '')}" for peer in peers]
    print(f"`{group}`\n")
    print("| " + " | ".join(columns) + " |")
    print("| " + " | ".join(["---"] + ["---:"] * (len(columns) - 1)) + " |")
    for row in rows:
        param = row.rsplit("/", 1)[1] if "/" in row else ""
        ns = median_ns(group, row)
        cells = [f"`{row}`", show_time(ns)]
        if "per second" in columns:
            elements = throughput(group, row)
            cells.append(f"{elements * 1e9 / ns / 1e6:.2f} M" if elements and ns else "")
        if limit:
            cells.append(show_ratio(ns, median_ns(group, limit.format(p=param))))
        for peer in peers:
            cells.append(show_ratio(ns, median_ns(group, peer.format(p=param))))
        print("| " + " | ".join(cells) + " |")
    print()


def main():
    for spec in TABLES:
        table(*spec)


if __name__ == "__main__":
    main()
