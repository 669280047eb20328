"""A webhook receiver on loopback for tests: it records what it is sent and answers as told."""

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Receiver:
    url: str
    status: int = 200
    delay: float = 0.0
    answer: bytes = b"ok"
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    clients: set[tuple[str, int]] = field(default_factory=set)


@contextlib.contextmanager
def loopback_receiver() -> Iterator[Receiver]:
    """A receiver at http://127.0.0.1:<free port>/hook, stopped on exit."""
    receiver = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keeps connections alive

        def do_POST(self):
            receiver.clients.add(self.client_address)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            time.sleep(receiver.delay)
            self.send_response(receiver.status)
            self.send_header("Content-Length", str(len(receiver.answer)))
            self.end_headers()
            self.wfile.write(receiver.answer)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
