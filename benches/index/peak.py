"""Runs a command and prints its wall time and peak memory as one JSON line:
resident (all), anonymous (the heap: what the process holds) and
file-backed (pages of memory-mapped files, which the kernel can drop and
read again), each the peak of samples every 10 ms.

    python3 peak.py LABEL -- COMMAND...
"""

import json
import subprocess
import sys
import time


def sample(pid: int) -> dict:
    fields = {}
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "RssAnon", "RssFile"):
                    fields[key] = int(value.split()[0]) * 1024
    except OSError:
        pass
    return fields


def main() -> None:
    label, command = sys.argv[1], sys.argv[sys.argv.index("--") + 1:]
    started = time.monotonic()
    child = subprocess.Popen(command)
    peak = {"VmRSS": 0, "RssAnon": 0, "RssFile": 0}
    while child.poll() is None:
        for key, value in sample(child.pid).items():
            peak[key] = max(peak[key], value)
        time.sleep(0.01)
    seconds = time.monotonic() - started
    if child.returncode != 0:
        sys.exit(f"{label}: exit status {child.returncode}")
    print(json.dumps({
        "label": label,
        "seconds": round(seconds, 2),
        "rss_mb": round(peak["VmRSS"] / 1e6),
        "anon_mb": round(peak["RssAnon"] / 1e6),
        "file_mb": round(peak["RssFile"] / 1e6),
    }), flush=True)


if __name__ == "__main__":
    main()
