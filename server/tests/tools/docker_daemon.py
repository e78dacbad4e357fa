"""A stand-in for the Docker daemon on a unix socket, for tests of `docker --env-file`: it
answers the client's ping and writes the environment that `docker create` sends (as docker's
own parser read the env file) to a JSON file, then refuses the container.

Usage: docker_daemon.py SOCKET OUT.json
"""
import http.server
import json
import os
import socketserver
import sys

socket_path, out_path = sys.argv[1], sys.argv[2]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body=b"", content_type="text/plain"):
        self.send_response(status)
        self.send_header("API-Version", "1.45")
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.answer(200)

    def do_GET(self):
        self.answer(200, b"OK") if self.path.endswith("/_ping") else self.answer(404)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        if "/containers/create" in self.path:
            with open(out_path + ".part", "w") as out:
                json.dump(body.get("Env") or [], out)
            os.replace(out_path + ".part", out_path)
        message = json.dumps({"message": "recorded by the test's stand-in daemon"}).encode()
        self.answer(500, message, "application/json")


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def get_request(self):
        request, _ = super().get_request()
        return request, ("local", 0)


if os.path.exists(socket_path):
    os.unlink(socket_path)
with Server(socket_path, Handler) as server:
    print("ready", flush=True)
    server.serve_forever()
