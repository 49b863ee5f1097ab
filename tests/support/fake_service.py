"""A tiny HTTP server that answers /health, standing in for a supervised server in tests.

`python -m tests.support.fake_service PORT [--children N]`: with --children it also starts N child
processes that sleep, as Sanic workers would, to prove a stop reaches the whole process group.
"""

from __future__ import annotations

import subprocess
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.send_response(200 if self.path == "/health" else 404)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


def main() -> None:
    port = int(sys.argv[1])
    children = int(sys.argv[sys.argv.index("--children") + 1]) if "--children" in sys.argv else 0
    for _ in range(children):
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    ThreadingHTTPServer(("127.0.0.1", port), Health).serve_forever()


if __name__ == "__main__":
    main()
