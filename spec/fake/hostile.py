#!/usr/bin/env python3
"""A hostile HTTP/1.1 upstream for the ngx transport's specs (spec/15).

Raw sockets and threads, standard library only. It reads each request
properly and then misbehaves in the way the first path segment names:
linkup is pointed at base_url = http://127.0.0.1:PORT/<mode>, so the
request for /v2/network arrives as /<mode>/v2/network.

Modes (a correct answer is a v2 list_connections page, or for a write
(invite, accept, decline, withdraw) {"success":true,"data":{}}):

  ok                 the correct answer, Content-Length, keep-alive
  huge               200 and no Content-Length, then bytes at full speed until
                     the client goes (or --huge-bytes, 3 GB)
  huge_length        the same with Content-Length: 3 GB
  trickle_head       the correct answer, one byte per second from the first
  slow_body          the head at once (Content-Length 1000), then one body
                     byte every 0.5 s
  endless_line       a status line, then one header line that never ends
  endless_trailers   a chunked answer whose trailers never end
  many_headers       100,000 header lines, then the answer
  interim            100 Continue, 103 Early Hints (twice), then the answer
  status204, status304   that status with a Content-Length it must ignore; the
                     connection stays open
  badchunk           chunked, with the chunk size "zz"
  dropwrite          reads answered and kept alive; a write's connection is
                     closed once the request is read, unanswered
  staleread          the correct answer, keep-alive, then the connection is
                     closed 0.2 s later while the client holds it idle

Control (no mode): GET /_log (every request seen: mode, action, connection
number), GET /_stats (bytes sent per mode), POST /_reset.

    python3 spec/fake/hostile.py --port-file F [--lifetime 600] [--huge-bytes N]
"""
import argparse
import json
import os
import socket
import sys
import threading
import time

LOCK = threading.Lock()
LOG = []
STATS = {}
CONN_IDS = [0]
WRITES = {"invite", "accept", "decline", "withdraw"}

PAGE = json.dumps({
    "success": True,
    "data": {"connections": [{"name": "Ada %d" % i, "profile_url": "https://www.linkedin.com/in/ada-%d/" % i}
                             for i in range(1, 6)],
             "total_results": 5, "total_available_results": 5,
             "pagination": {"offset": 0, "count": 5, "has_more": False}},
    "metadata": {"action": "list_connections", "credits_consumed": 1},
}).encode()
WROTE = json.dumps({"success": True, "data": {}, "metadata": {"action": "invite", "credits_consumed": 1}}).encode()


def answer(body, extra=b""):
    return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n" % len(body)
            + extra + b"\r\n" + body)


def count(mode, n):
    with LOCK:
        STATS[mode] = STATS.get(mode, 0) + n


def send(conn, mode, data):
    conn.sendall(data)
    count(mode, len(data))


def read_request(conn, buf):
    """Reads one request: (method, path, headers, body, rest) or None at EOF."""
    while b"\r\n\r\n" not in buf:
        if len(buf) > 65536:
            return None
        chunk = conn.recv(65536)
        if not chunk:
            return None
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = (lines[0].split(" ") + ["", ""])[:3]
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", "0") or 0)
    while len(rest) < n:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        rest += chunk
    return method, path, headers, rest[:n], rest[n:]


def control(conn, method, path):
    with LOCK:
        if path.startswith("/_log"):
            body = json.dumps(LOG)
        elif path.startswith("/_stats"):
            body = json.dumps(STATS)
        elif path.startswith("/_reset") and method == "POST":
            LOG.clear()
            STATS.clear()
            body = "{}"
        else:
            body = '{"error":"unknown control"}'
    conn.sendall(answer(body.encode(), b"Connection: close\r\n"))


def trickle(conn, mode, data, every):
    for i in range(len(data)):
        send(conn, mode, data[i:i + 1])
        time.sleep(every)


def endless(conn, mode, head, unit, limit):
    """Sends head, then unit over and over until the client goes or limit."""
    send(conn, mode, head)
    block = unit * max(1, 65536 // len(unit))
    sent = 0
    while sent < limit:
        send(conn, mode, block)
        sent += len(block)


def serve(conn, args):
    with LOCK:
        CONN_IDS[0] += 1
        cid = CONN_IDS[0]
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buf = b""
    try:
        while True:
            req = read_request(conn, buf)
            if req is None:
                return
            method, path, headers, body, buf = req
            if path.startswith("/_"):
                control(conn, method, path)
                return
            mode = path.strip("/").split("/")[0]
            try:
                action = json.loads(body or b"{}").get("action")
            except ValueError:
                action = None
            write = action in WRITES
            with LOCK:
                LOG.append({"mode": mode, "method": method, "path": path, "action": action, "conn": cid,
                            "write": write, "connection": headers.get("connection"), "t": time.time()})
            ok = answer(WROTE if write else PAGE)
            if mode == "ok":
                send(conn, mode, ok)
            elif mode == "huge":
                endless(conn, mode, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n",
                        b'{"x":"' + b"y" * 1000 + b'"}', args.huge_bytes)
                return
            elif mode == "huge_length":
                endless(conn, mode, b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % args.huge_bytes,
                        b'{"x":"' + b"y" * 1000 + b'"}', args.huge_bytes)
                return
            elif mode == "trickle_head":
                trickle(conn, mode, ok, 1.0)
            elif mode == "slow_body":
                send(conn, mode, b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
                trickle(conn, mode, b"z" * 1000, 0.5)
            elif mode == "endless_line":
                endless(conn, mode, b"HTTP/1.1 200 OK\r\nX-Long: ", b"a", 1 << 33)
                return
            elif mode == "endless_trailers":
                endless(conn, mode, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n"
                        % (len(PAGE), PAGE), b"X-Trailer: 1\r\n", 1 << 33)
                return
            elif mode == "many_headers":
                head = b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(100000))
                send(conn, mode, head + b"Content-Length: %d\r\n\r\n" % len(PAGE) + PAGE)
            elif mode == "interim":
                send(conn, mode, b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\n"
                     b"Link: </style.css>; rel=preload\r\n\r\nHTTP/1.1 103 Early Hints\r\n\r\n" + ok)
            elif mode in ("status204", "status304"):
                send(conn, mode, b"HTTP/1.1 %s\r\nContent-Length: 42\r\n\r\n"
                     % (b"204 No Content" if mode == "status204" else b"304 Not Modified"))
            elif mode == "badchunk":
                send(conn, mode, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n" + PAGE + b"\r\n0\r\n\r\n")
            elif mode == "dropwrite":
                if write:
                    return  # read, never answered: the finally closes it
                send(conn, mode, ok)
            elif mode == "staleread":
                send(conn, mode, ok)
                time.sleep(0.2)
                return
            else:
                send(conn, mode, answer(b'{"error":"unknown mode"}'))
                return
    except OSError:
        return  # the client went: that is how most modes end
    finally:
        try:
            conn.close()
        except OSError:
            pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--lifetime", type=float, default=600)
    ap.add_argument("--huge-bytes", type=int, default=3 * 1024 ** 3)
    args = ap.parse_args()
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", args.port))
    srv.listen(64)
    port = srv.getsockname()[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(port))
        os.rename(args.port_file + ".tmp", args.port_file)
    print(port, flush=True)
    # never outlive a spec that died: exit on our own
    threading.Timer(args.lifetime, lambda: os._exit(0)).start()
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn, args), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
