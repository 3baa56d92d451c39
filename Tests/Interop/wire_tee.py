"""Relay a stdio MCP server and record every line crossing it (a wiretap for mcpkeeper's upstream side).

Usage: python wire_tee.py --log FILE -- COMMAND [ARGS...]

Runs COMMAND with its stdin and stdout piped through this process (stderr is inherited), copies every
line unchanged in both directions, and appends one JSON object per line to FILE:
  {"seq": N, "dir": "in" | "out", "line": "<the raw line, without its newline>"}
"in" is what reached COMMAND's stdin (from the client, e.g. mcpkeeper), "out" what COMMAND wrote to stdout.
EOF on our stdin closes COMMAND's stdin; we exit with COMMAND's exit status; SIGTERM/SIGINT are passed on.
Only the standard library is used, so this starts in a few milliseconds.
"""

import json
import os
import signal
import subprocess
import sys
import threading


def main() -> int:
    argv = sys.argv[1:]
    if len(argv) < 4 or argv[0] != "--log" or argv[2] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    log_path, command = argv[1], argv[3:]
    log = open(log_path, "a", buffering=1, encoding="utf-8")
    lock = threading.Lock()
    seq = 0

    def record(direction: str, raw: bytes) -> None:
        nonlocal seq
        text = raw.decode("utf-8", errors="replace").rstrip("\n").rstrip("\r")
        with lock:
            seq += 1
            log.write(json.dumps({"seq": seq, "dir": direction, "line": text}, ensure_ascii=False) + "\n")

    child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def forward_signal(signum, _frame):
        if child.poll() is None:
            child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward_signal)
    signal.signal(signal.SIGINT, forward_signal)

    def pump_in() -> None:
        stdin = sys.stdin.buffer
        try:
            for raw in iter(stdin.readline, b""):
                record("in", raw)
                child.stdin.write(raw)
                child.stdin.flush()
        except (BrokenPipeError, OSError):
            pass
        finally:
            try:
                child.stdin.close()
            except OSError:
                pass

    def pump_out() -> None:
        stdout = sys.stdout.buffer
        try:
            for raw in iter(child.stdout.readline, b""):
                record("out", raw)
                stdout.write(raw)
                stdout.flush()
        except (BrokenPipeError, OSError):
            pass

    threading.Thread(target=pump_in, daemon=True).start()
    out = threading.Thread(target=pump_out, daemon=True)
    out.start()
    code = child.wait()
    out.join(timeout=2)
    log.close()
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    os._exit(main())
