"""A proxy in front of an S3-compatible server that fails some requests the way S3 does under
load: every 4th request gets 503 SlowDown, every 7th 500 InternalError, every 11th 429;
the rest are forwarded unchanged. Prints the number of failures injected to the file given
when it receives SIGTERM.

  s3-flaky-proxy.py PORT UPSTREAM_PORT COUNT_FILE
"""
import http.client
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, upstream, count_file = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
lock = threading.Lock()
state = {"requests": 0, "injected": 0}
ERRORS = [(4, 503, "SlowDown", "Please reduce your request rate."),
          (7, 500, "InternalError", "We encountered an internal error. Please try again."),
          (11, 429, "SlowDown", "Too many requests.")]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with lock:
            state["requests"] += 1
            n = state["requests"]
            failure = next((e for e in ERRORS if n % e[0] == 0), None)
            if failure:
                state["injected"] += 1
        if failure:
            _, status, code, message = failure
            payload = (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
                       f"<Message>{message}</Message></Error>").encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        conn = http.client.HTTPConnection("127.0.0.1", upstream, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
        conn.request(self.command, self.path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        self.send_response(response.status)
        for k, v in response.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        conn.close()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


def stop(*_):
    with open(count_file, "w") as f:
        f.write(f"{state['injected']} {state['requests']}\n")
    sys.exit(0)


signal.signal(signal.SIGTERM, stop)
ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
