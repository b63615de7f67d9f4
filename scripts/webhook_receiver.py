"""A webhook receiver on loopback for the zero-setup `make run` (scripts/run.sh).

The demo company's webhook endpoint points here, so the portal's Celery worker
delivers real, signed POSTs as it would to a customer's ticketing system. Each one
is answered 204 and written as one JSON line to --log (and a short line to stdout).
It binds a free port and writes it to --port-file once it listens.

Standard library only: it is not part of the product, only a place to deliver to.
"""

from __future__ import annotations

import argparse
import contextlib
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port-file", required=True, type=Path)
    parser.add_argument("--log", required=True, type=Path)
    args = parser.parse_args()

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            record = {
                "path": self.path,
                "webhook_id": self.headers.get("webhook-id", ""),
                "signed": bool(self.headers.get("webhook-signature")),
                "body": body.decode("utf-8", "replace"),
            }
            try:
                record["type"] = json.loads(body).get("type", "")
            except ValueError:
                record["type"] = ""
            with args.log.open("a", encoding="utf-8") as log:
                log.write(json.dumps(record) + "\n")
            print(f"Webhook received: {record['type']} ({record['webhook_id']})", flush=True)
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *items) -> None:  # one line per POST is enough
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    port_file_tmp = args.port_file.with_suffix(".tmp")
    port_file_tmp.write_text(str(server.server_address[1]))
    port_file_tmp.replace(args.port_file)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
