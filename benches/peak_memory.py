#!/usr/bin/env python3
"""Run a command and report its peak memory, split as Linux accounts it.

usage: peak_memory.py COMMAND [ARG...]

Prints one line: peak RSS (VmHWM), and the peaks of its two parts sampled every 0.5 ms from
/proc/PID/status: RssAnon (the process's private memory: heap, stacks) and RssFile (pages mapped from files,
mostly the program's own code, shared and reclaimable). The command's standard output is discarded.
"""
import subprocess
import sys
import time


def main():
    proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
    peak = {}
    while proc.poll() is None:
        try:
            with open(f"/proc/{proc.pid}/status") as status:
                for line in status:
                    key, _, value = line.partition(":")
                    if key in ("VmHWM", "RssAnon", "RssFile"):
                        peak[key] = max(peak.get(key, 0), int(value.split()[0]))
        except (OSError, ValueError):
            pass
        time.sleep(0.0005)
    mib = {k: v / 1024 for k, v in peak.items()}
    print(
        f"peak RSS {mib.get('VmHWM', 0):.0f} MiB: anonymous {mib.get('RssAnon', 0):.0f} MiB, "
        f"file-backed (program code) {mib.get('RssFile', 0):.0f} MiB"
    )
    sys.exit(proc.returncode)


main()
