"""A local web server for tests of remote images: serves a folder, honours Range, counts bytes.

GDAL's ``/vsicurl/`` reads a COG by byte ranges, which Python's own
``http.server`` does not answer; this one does (one range per request, as GDAL
asks), and records every request so a test can tell a ranged read from a download.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


@dataclass
class Served:
    """The server's address and what it was asked."""

    root: Path
    url: str
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)
    bytes_sent: int = 0
    ranges: bool = True

    def url_of(self, name: str) -> str:
        return f"{self.url}/{name}"


def _handler(served: Served) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep test output clean
            pass

        def _file(self) -> Path | None:
            name = self.path.split("?", 1)[0].lstrip("/")
            target = (served.root / name).resolve()
            if served.root.resolve() not in target.parents or not target.is_file():
                self.send_error(404)
                return None
            return target

        def do_HEAD(self) -> None:  # noqa: N802 - http.server's naming
            served.requests.append(("HEAD", self.path, None))
            target = self._file()
            if target is None:
                return
            self.send_response(200)
            self.send_header("Content-Length", str(target.stat().st_size))
            self.send_header("Accept-Ranges", "bytes" if served.ranges else "none")
            self.end_headers()

        def do_GET(self) -> None:  # noqa: N802
            asked = self.headers.get("Range")
            served.requests.append(("GET", self.path, asked))
            target = self._file()
            if target is None:
                return
            data = target.read_bytes()
            match = _RANGE.match(asked or "") if served.ranges else None
            if match and (match.group(1) or match.group(2)):
                if match.group(1):
                    start = int(match.group(1))
                    end = min(int(match.group(2) or len(data) - 1), len(data) - 1)
                else:  # the last N bytes
                    start, end = max(0, len(data) - int(match.group(2))), len(data) - 1
                if start >= len(data):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(data)}")
                    self.end_headers()
                    return
                body = data[start : end + 1]
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
            else:
                body = data
                self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Accept-Ranges", "bytes" if served.ranges else "none")
            self.end_headers()
            self.wfile.write(body)
            served.bytes_sent += len(body)

    return Handler


@contextmanager
def serve(root: Path, *, ranges: bool = True) -> Iterator[Served]:
    """Serve ``root`` on 127.0.0.1 at a free port for the length of the block."""
    served = Served(root=root, url="", ranges=ranges)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(served))
    served.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
