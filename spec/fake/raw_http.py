#!/usr/bin/env python3
"""raw_http.py: an HTTP server that answers canned byte streams, cut or
swollen, for the specs of linkup's C core. Standard library only.

  python3 spec/fake/raw_http.py --port-file PATH [--port N] [--max-lifetime S]

Each connection gets one answer, chosen by the first segment of the
request's path (so "/cut-headers/v2/network" is "/cut-headers": a client
whose base_url ends in /cut-headers gets it for every call), and is then
closed: the bytes below, exactly, whatever the request said. The bytes are
what a broken or hostile server sends; they are never valid HTTP unless the
name says so.

  /ok                    200, Content-Length: 2, {}
  /cut-status            "HTTP/1.1 20", close
  /cut-after-status      the status line, close (no header, no blank line)
  /cut-headers           "HTTP/1.1 200 OK\\r\\nContent-Le", close
  /cut-before-blank      status and a whole header line, no blank line, close
  /cut-body              Content-Length: 100, 10 bytes, close
  /cut-chunked           chunked, one chunk, no last chunk, close
  /no-length             200, no Content-Length, a body, close (valid: the close ends it)
  /giant-line?n=N        one header line of N bytes (200,000 if absent), then a valid answer
  /giant-block?n=N       N bytes of header lines of 1,000 bytes each (300,000 if absent), then a valid answer
  /big-body?n=N          200, Content-Length: N, N bytes of a JSON string (100,000 if absent)
  /big-body-nolen?n=N    the same without Content-Length (the size shows only while reading)
  anything else          404

Every request is counted; GET /_count (answered as a valid 200) gives the
count so far as a number. The server exits by itself after --max-lifetime
seconds (600), so a spec that dies leaves nothing behind.
"""
import argparse
import os
import socket
import threading
import time
from urllib.parse import urlsplit, parse_qs

COUNT = 0
LOCK = threading.Lock()


def valid(body, extra=b""):
    return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + extra +
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


def answer(path, query):
    digits = query.get("n", [""])[0]
    n = int(digits) if digits.isdigit() else 0
    if path == "/ok":
        return valid(b"{}")
    if path == "/_count":
        with LOCK:
            return valid(str(COUNT).encode())
    if path == "/cut-status":
        return b"HTTP/1.1 20"
    if path == "/cut-after-status":
        return b"HTTP/1.1 200 OK\r\n"
    if path == "/cut-headers":
        return b"HTTP/1.1 200 OK\r\nContent-Le"
    if path == "/cut-before-blank":
        return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    if path == "/cut-body":
        return b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"data\": {"
    if path == "/cut-chunked":
        return b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n"
    if path == "/no-length":
        return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"a\": 1}"
    if path == "/giant-line":
        n = n or 200000
        return valid(b"{}", b"X-Giant: " + b"a" * max(0, n - 11) + b"\r\n")
    if path == "/giant-block":
        n = n or 300000
        lines = []
        i = 0
        while n > 0:
            line = b"X-Line-%06d: " % i
            line += b"b" * max(0, min(1000, n) - len(line) - 2) + b"\r\n"
            lines.append(line)
            n -= len(line)
            i += 1
        return valid(b"{}", b"".join(lines))
    if path in ("/big-body", "/big-body-nolen"):
        n = n or 100000
    if path == "/big-body":
        body = b'"' + b"x" * max(0, n - 2) + b'"'
        return valid(body)
    if path == "/big-body-nolen":
        body = b'"' + b"x" * max(0, n - 2) + b'"'
        return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n" + body
    return b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"


def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
        if len(data) > 1 << 20:
            return None
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip() or 0)
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        rest += chunk
    return head.split(b"\r\n")[0].decode("latin-1")


def serve(conn):
    global COUNT
    try:
        conn.settimeout(10)
        line = read_request(conn)
        if line is None:
            return
        parts = line.split(" ")
        target = parts[1] if len(parts) > 1 else "/"
        url = urlsplit(target)
        path = "/" + url.path.lstrip("/").split("/", 1)[0]
        if path != "/_count":
            with LOCK:
                COUNT += 1
        conn.sendall(answer(path, parse_qs(url.query)))
        conn.shutdown(socket.SHUT_WR)
        # let the client read everything before the close
        conn.settimeout(2)
        while conn.recv(65536):
            pass
    except OSError:
        pass
    finally:
        conn.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--max-lifetime", type=float, default=600)
    args = ap.parse_args()
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", args.port))
    srv.listen(64)
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(srv.getsockname()[1]))
        os.rename(tmp, args.port_file)
    deadline = time.monotonic() + args.max_lifetime
    srv.settimeout(1)
    while time.monotonic() < deadline:
        try:
            conn, _ = srv.accept()
        except socket.timeout:
            continue
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
