#!/usr/bin/python3
"""An echo server (RFC 862) on Linux's own TCP stack, the baseline the loss tests compare rampart
with: one thread per connection sends back every byte it reads and closes after the client's FIN.

    kernel_echo.py --bind 10.80.0.3 --port 7 --buffer 262144 --mss 1460

--buffer sets SO_RCVBUF and SO_SNDBUF on the listening socket (accepted sockets inherit them), so
the kernel gets the per-connection buffers rampart has (tcp.receive_window, tcp.send_buffer)
instead of autotuning up to tcp_rmem/tcp_wmem's maxima; --mss sets TCP_MAXSEG the same way.
--corrupt-at N flips one bit at offset N of every connection's echo: the tests use it to prove
that they notice a corrupted byte. --banner TEXT is sent on every connection before anything is
read (a server that speaks first, as SMTP or SSH). --stall-on PREFIX: a connection whose first
bytes are PREFIX is never read again (a backend that stops reading, for the proxy tests). Prints
"listening" once it accepts connections; runs until SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import socket
import sys
import threading


def serve(conn: socket.socket, corrupt_at: int, banner: bytes, stall_on: bytes) -> None:
    buffer = bytearray(1 << 16)
    view = memoryview(buffer)
    offset = 0
    with conn:
        if banner:
            conn.sendall(banner)
        while True:
            try:
                n = conn.recv_into(buffer)
            except OSError:
                return
            if n == 0:
                return
            if offset == 0 and stall_on and view[:n].tobytes().startswith(stall_on):
                threading.Event().wait()  # holds the connection open, unread, until SIGTERM
            if offset <= corrupt_at < offset + n:
                buffer[corrupt_at - offset] ^= 0x01
            offset += n
            try:
                conn.sendall(view[:n])
            except OSError:
                return


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bind", required=True)
    parser.add_argument("--port", type=int, default=7)
    parser.add_argument("--buffer", type=int, default=0, help="SO_RCVBUF and SO_SNDBUF (0: kernel's autotuning)")
    parser.add_argument("--mss", type=int, default=0, help="TCP_MAXSEG (0: the route's)")
    parser.add_argument("--congestion", default="",
                        help="TCP_CONGESTION of the listening socket, inherited by accepted ones (empty: the "
                             "namespace's net.ipv4.tcp_congestion_control)")
    parser.add_argument("--corrupt-at", type=int, default=-1,
                        help="flip one bit of the byte at this offset of every connection (the loss "
                             "tests' check that a corrupted echo fails them)")
    parser.add_argument("--banner", default="", help="sent on every connection before the echo")
    parser.add_argument("--stall-on", default="", help="a connection starting with these bytes is never read")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if args.buffer:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, args.buffer)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, args.buffer)
    if args.mss:
        listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, args.mss)
    if args.congestion:
        listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, args.congestion.encode())
    listener.bind((args.bind, args.port))
    listener.listen(128)
    print("listening", flush=True)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn, args.corrupt_at, args.banner.encode(), args.stall_on.encode()),
                         daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
