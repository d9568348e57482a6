"""A Python app for gitpaas, started by its Procfile (web: python3 app.py): no dependencies,
listens on $PORT, answers / with its revision and /healthz with 200, stops on SIGTERM."""
import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REVISION = os.environ.get("GITPAAS_REVISION", "local")
MESSAGE = "Hello from Python"


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/healthz":
            body, kind = b"ok\n", "text/plain"
        else:
            body = json.dumps({"revision": REVISION, "message": MESSAGE}).encode()
            kind = "application/json"
        self.send_response(200)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


# loopback behind the gitpaas proxy; HOST=0.0.0.0 to serve other machines directly
server = ThreadingHTTPServer((os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "8000"))), Handler)
# shutdown() waits for serve_forever to return, so it runs beside it
signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
print(f"listening on {server.server_address[1]}, revision {REVISION[:7]}", flush=True)
server.serve_forever()
server.server_close()
sys.exit(0)
