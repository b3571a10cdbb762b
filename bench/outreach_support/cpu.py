"""Where the machine's cores went during a measured stretch, read from /proc.

Like ``bench._live.cpu_seconds``, but PostgreSQL's share is counted per process: a backend that
was there before counts what it used since, one that started meanwhile all it used; one that
ended meanwhile is lost (the share is a lower bound, never negative). What none of the named
parties used is "other processes": work sharing the machine, which makes figures lower.
"""

import contextlib
import os
from pathlib import Path


def sample() -> dict:
    """pid → (process group, command, CPU seconds), and the machine's busy CPU seconds."""
    tick = os.sysconf("SC_CLK_TCK")
    processes = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            text = stat.read_text()
            command = text[text.index("(") + 1 : text.rindex(")")]
            fields = text[text.rindex(")") + 1 :].split()  # state, ppid, pgrp, …
            seconds = (int(fields[11]) + int(fields[12])) / tick  # utime + stime
            processes[int(stat.parent.name)] = (int(fields[2]), command, seconds)
    busy = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, busy[:8])
    machine = (user + nice + system + irq + softirq + steal) / tick
    return {"processes": processes, "machine": machine}


def seconds(before: dict, after: dict, groups: dict[str, int]) -> dict[str, float]:
    """CPU seconds between two samples: each named process group, PostgreSQL, this process,
    the other processes and the whole machine."""
    names = {pgid: name for name, pgid in groups.items()}
    used = dict.fromkeys([*groups, "postgres", "this process"], 0.0)
    me = os.getpid()
    for pid, (pgid, command, total) in after["processes"].items():
        earlier = before["processes"].get(pid)
        delta = total - (earlier[2] if earlier and earlier[1] == command else 0.0)
        if pid == me:
            used["this process"] += delta
        elif name := names.get(pgid):
            used[name] += delta
        elif command == "postgres":
            used["postgres"] += delta
    machine = after["machine"] - before["machine"]
    used["other processes"] = max(0.0, machine - sum(used.values()))
    used["machine"] = machine
    return used


def report(used: dict[str, float], wall_s: float, label: str) -> str:
    last = ("postgres", "this process", "other processes", "machine")
    order = [name for name in used if name not in last] + list(last)
    shares = ", ".join(f"{name} {used[name] / wall_s:.2f}" for name in order)
    line = f"cores used during {label}: {shares} (of {os.cpu_count()})"
    if used["other processes"] / wall_s > 0.25:
        line += "\n  note: other work shared the machine; figures are lower than on a quiet one"
    return line
