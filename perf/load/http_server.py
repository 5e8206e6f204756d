#!/usr/bin/python3
"""A kernel-stack HTTP/1.1 server for rampart-load's comparisons and tests: keep-alive, a fixed
body with Content-Length, no logging. Usage: http_server.py ADDRESS PORT"""

import http.server
import sys

BODY = b"hello from the kernel stack\n"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as rampart's http app

    def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args: object) -> None:
        pass


class Server(http.server.ThreadingHTTPServer):
    request_queue_size = 4096  # listen() backlog; the kernel caps it at net.core.somaxconn
    daemon_threads = True


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: http_server.py ADDRESS PORT")
    Server((sys.argv[1], int(sys.argv[2])), Handler).serve_forever()
