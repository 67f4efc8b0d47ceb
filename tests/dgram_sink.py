#!/usr/bin/env python3
"""tests/dgram_sink.py - a UNIX datagram socket that writes down what it
receives: what syslog(3) sends to /dev/log, or what sd_notify(3) sends to
$NOTIFY_SOCKET.

    dgram_sink.py SOCKET OUT PARENT_PID

Binds SOCKET (removing a stale one), creates OUT.ready once bound, then
appends every datagram to OUT as one line (its newlines written as '|').
Exits when PARENT_PID is gone, so that a test that dies never leaves it
behind.
"""
import os
import socket
import sys


def main():
    path, out, parent = sys.argv[1], sys.argv[2], int(sys.argv[3])
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    os.chmod(path, 0o666)
    s.settimeout(0.5)
    with open(out, "ab", buffering=0) as f:
        open(out + ".ready", "w").close()
        while True:
            try:
                d = s.recv(1 << 16)
            except socket.timeout:
                try:
                    os.kill(parent, 0)
                except ProcessLookupError:
                    return 0
                continue
            f.write(d.replace(b"\n", b"|") + b"\n")


if __name__ == "__main__":
    sys.exit(main())
