#!/usr/bin/env python3
"""A fake LinkupAPI for linkup's specs, benchmarks and `make demo`.

A real HTTP/1.1 server on 127.0.0.1 (keep-alive, gzip, one thread per
connection) serving the v1 and v2 network endpoints in the documented
shapes over a generated data set, with a request log and fault switches.
Standard library only. See spec/fake/README.md.
"""
import argparse
import gzip
import json
import math
import os
import re
import signal
import socket
import sys
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

COUNTRIES = {"US", "UK", "FR", "DE", "NL", "IT", "IL", "CA", "BR", "ES", "IN"}
V1_PAGE = {"connections": 10, "recommendations": 25}

FIRST = ["Linda Källqvist", "José Ñúñez", "Zoë Ämbre", "Sam 🚀 Lee", 'Dwayne "The Rock" Johnson',
         "Back\\slash Bob", "Line\nBreak", "王小明", "Smith, Jane", "Ada Lovelace", "Grace Hopper",
         "Émile Zola-Østergård", "Tab\tTom", "Ünïcödé 💼 Ørsted"]
TITLES = ["Planhat - VP Customer Success", "Founder @ Acme Corp — AI recruiting platform",
          'Head of "Growth", EMEA', "Engineer, Platform & Infra", "Student at École 42 🚀",
          "Title with\na newline", "CTO | Builder | Speaker", "Back\\slash engineer"]


def connection(i, version):
    return {
        "name": f"{FIRST[i % len(FIRST)]} #{i}",
        "job_title": "N/A" if i % 7 == 3 else TITLES[i % len(TITLES)],
        "profile_url": f"https://www.linkedin.com/in/person-{i}/",
        "profile_picture": "N/A" if i % 5 == 2 else f"https://media.licdn.com/dms/image/v2/{i}/profile.jpg",
    }


def recommendation(i, version):
    first = FIRST[i % len(FIRST)].split(" ")[0]
    insight = "Works at Acme Corp" if i % 11 == 4 else f"{first} and {(i * 7) % 50} other mutual connections"
    r = {
        "name": f"{FIRST[(i + 3) % len(FIRST)]} #{i}",
        "subtitle": TITLES[(i + 1) % len(TITLES)],
        "profile_url": f"https://www.linkedin.com/in/rec-{i}",
        "insight": insight,
        "entity_urn": f"urn:li:fsd_discoveryEntityViewModel:(urn:li:fsd_profile:ACoAA{i},PYMK)",
    }
    if version == 2:
        r["profile_picture"] = "N/A" if i % 4 == 1 else f"https://media.licdn.com/dms/image/v2/rec-{i}/p.jpg"
    return r


def items(kind, version, start, count, n):
    make = connection if kind == "connections" else recommendation
    return [make(i, version) for i in range(max(0, start), min(start + count, n))]


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.latency = args.latency
        self.reset()

    def reset(self):
        with self.lock:
            self.log = []
            self.seq = 0
            self.requests = 0
            self.faults = []
            self.connections = 0
            self.open = 0
            self.inflight = 0
            self.max_inflight = 0
            self.bytes_sent = 0
            self.api_conns = set()

    def take_fault(self, path):
        with self.lock:
            for f in self.faults:
                if f.get("path", "*") not in ("*", path):
                    continue
                if "every" in f:  # a standing fault: every Nth matching request, forever
                    f["_seen"] = f.get("_seen", 0) + 1
                    if f["_seen"] % int(f["every"]) == 0:
                        return f
                    continue
                if f.get("skip", 0) > 0:
                    f["skip"] -= 1
                    return None
                f["times"] = f.get("times", 1) - 1
                if f["times"] <= 0:
                    self.faults.remove(f)
                return f
        return None

    def record(self, entry):
        with self.lock:
            self.requests += 1
            self.seq += 1
            entry["seq"] = self.seq
            if self.args.quiet_log:
                return
            self.log.append(entry)
            if len(self.log) > self.args.log_limit:
                del self.log[: len(self.log) - self.args.log_limit]


def size_of(ident, default):
    m = re.search(r"size-(\d+)", ident or "")
    return int(m.group(1)) if m else default


def now_iso():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def is_int(x):
    return type(x) is int


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeLinkupAPI/1.0"

    def log_message(self, fmt, *args):
        if STATE.args.verbose:
            sys.stderr.write("%s\n" % (fmt % args))

    def setup(self):
        super().setup()
        # Headers and body go out in two writes: without this, Nagle and the
        # client's delayed ACK add ~40 ms to every answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with STATE.lock:
            STATE.connections += 1
            STATE.open += 1
            self.conn_id = STATE.connections

    def finish(self):
        try:
            super().finish()
        finally:
            with STATE.lock:
                STATE.open -= 1

    # ---- plumbing -------------------------------------------------------

    def send_raw(self, status, body, ctype="application/json", headers=None, compress=True):
        if isinstance(body, str):
            body = body.encode("utf-8")
        extra = dict(headers or {})
        if compress and not STATE.args.no_gzip and "gzip" in (self.headers.get("Accept-Encoding") or ""):
            body = gzip.compress(body, compresslevel=5)
            extra["Content-Encoding"] = "gzip"
        with STATE.lock:
            STATE.bytes_sent += len(body)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
        return status

    def send_json(self, status, doc, headers=None, compress=True):
        return self.send_raw(status, json.dumps(doc, ensure_ascii=False), headers=headers, compress=compress)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def dispatch(self, method):
        try:
            url = urlparse(self.path)
            raw = self.read_body()
            if url.path.startswith("/_"):
                return self.control(method, url, raw)
            return self.api(method, url.path, raw)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    # ---- control endpoints ----------------------------------------------

    def control(self, method, url, raw):
        q = parse_qs(url.query)
        p = url.path
        if p == "/_health":
            return self.send_json(200, {"ok": True}, compress=False)
        if p == "/_log":
            since = int(q.get("since", ["0"])[0])
            with STATE.lock:
                out = [e for e in STATE.log if e["seq"] > since]
            return self.send_json(200, out, compress=False)
        if p == "/_stats":
            with STATE.lock:
                doc = {"requests": STATE.requests, "connections": STATE.connections,
                       "max_inflight": STATE.max_inflight, "bytes_sent": STATE.bytes_sent,
                       "api_connections": len(STATE.api_conns),  # connections that carried API requests
                       "open_connections": STATE.open - 1}  # not counting this control connection
            return self.send_json(200, doc, compress=False)
        if p == "/_reset" and method == "POST":
            with STATE.lock:
                STATE.log, STATE.seq, STATE.requests, STATE.faults = [], 0, 0, []
                STATE.connections = 0
                STATE.max_inflight = STATE.inflight
                STATE.bytes_sent = 0
                STATE.api_conns = set()
            return self.send_json(200, {"ok": True}, compress=False)
        if p == "/_fault" and method == "POST":
            doc = json.loads(raw or b"{}")
            with STATE.lock:
                STATE.faults.extend(doc if isinstance(doc, list) else [doc])
            return self.send_json(200, {"ok": True}, compress=False)
        if p == "/_config" and method == "POST":
            doc = json.loads(raw or b"{}")
            if "latency" in doc:
                STATE.latency = float(doc["latency"])
            return self.send_json(200, {"ok": True}, compress=False)
        if p == "/_expected":
            kind = q.get("kind", ["connections"])[0]
            version = int(q.get("version", ["2"])[0])
            n = int(q.get("n", ["0"])[0])
            start = int(q.get("from", ["0"])[0])
            count = int(q.get("count", ["10"])[0])
            return self.send_json(200, items(kind, version, start, count, n), compress=False)
        return self.send_json(404, {"error": "no such control endpoint"}, compress=False)

    # ---- the API ----------------------------------------------------------

    def api(self, method, path, raw):
        with STATE.lock:
            STATE.inflight += 1
            STATE.max_inflight = max(STATE.max_inflight, STATE.inflight)
            STATE.api_conns.add(self.conn_id)
        try:
            self.api_inner(method, path, raw)
        finally:
            with STATE.lock:
                STATE.inflight -= 1

    def api_inner(self, method, path, raw):
        entry = {"method": method, "path": path, "conn": self.conn_id, "fault": None,
                 "headers": {k.lower(): v for k, v in self.headers.items()},
                 "body": "" if STATE.args.quiet_log else raw.decode("utf-8", "replace")}
        if STATE.latency > 0:
            time.sleep(STATE.latency)
        fault = STATE.take_fault(path)
        if fault:
            entry["fault"] = fault.get("kind")
            entry["status"] = self.apply_fault(fault, path, raw)
            STATE.record(entry)
            return
        entry["status"] = self.answer(method, path, raw)
        STATE.record(entry)

    def v1_error(self, message, status=200):
        return self.send_json(status, {"status": "error", "message": message})

    def v2_error(self, status, code, message, action=None, account=None):
        return self.send_json(status, {"success": False, "error": {"code": code, "message": message},
                                       "metadata": {"action": action, "account_id": account,
                                                    "credits_consumed": 0, "timestamp": now_iso()}})

    def answer(self, method, path, raw):
        v1 = path.startswith("/v1/")
        key = self.headers.get("x-api-key") or ""
        if path not in ("/v1/network/connections", "/v1/network/recommendations", "/v2/network"):
            return self.send_json(404, {"status": "error", "message": "Not found"})
        if method != "POST":
            return self.send_json(405, {"status": "error", "message": "Method not allowed"})
        if not key.startswith("test-"):
            if v1:
                return self.v1_error("Invalid API key", 401)
            return self.v2_error(403, "INVALID_API_KEY", "Invalid API key")
        try:
            body = json.loads(raw or b"")
            if not isinstance(body, dict):
                raise ValueError("not an object")
        except ValueError:
            if v1:
                return self.v1_error("Invalid JSON body", 400)
            return self.v2_error(400, "INVALID_PARAMS", "Invalid JSON body")
        if v1:
            return self.answer_v1(path.rsplit("/", 1)[1], body)
        return self.answer_v2(body)

    def answer_v1(self, kind, body):
        token = body.get("login_token")
        if not token:
            return self.v1_error("Missing required parameter: login_token")
        if "expired" in token:
            return self.v1_error("Invalid or expired LinkedIn cookie")
        country = body.get("country")
        if country is not None and country not in COUNTRIES:
            return self.v1_error("Invalid country")
        per = V1_PAGE[kind]
        n = size_of(token, STATE.args.connections if kind == "connections" else STATE.args.recommendations)
        start_page = body.get("start_page")
        if start_page is not None:
            end_page = body.get("end_page", start_page)
            if not is_int(start_page) or not is_int(end_page) or start_page < 1 or end_page < start_page:
                return self.v1_error("Invalid pagination: end_page must be >= start_page")
            got = items(kind, 1, (start_page - 1) * per, (end_page - start_page + 1) * per, n)
            pages = max(0, min(end_page, math.ceil(n / per)) - start_page + 1)
            if kind == "connections":
                pagination = {"start_page": start_page, "end_page": end_page, "results_per_page": per,
                              "pages_fetched": pages}
            else:
                pagination = {"current_page": start_page, "total_pages": math.ceil(n / per),
                              "pages_fetched": pages}
        else:
            total = body.get("total_results", 10)
            if not is_int(total) or total < 1:
                return self.v1_error("Invalid total_results")
            got = items(kind, 1, 0, total, n)
            pagination = {"start_page": 1, "end_page": max(1, math.ceil(total / per)), "results_per_page": per,
                          "pages_fetched": math.ceil(len(got) / per)} if kind == "connections" else None
        data = {"total_results": len(got)}
        if kind == "connections":
            data["total_available_results"] = n
        data[kind] = got
        if pagination is not None:
            data["pagination"] = pagination
        return self.send_json(200, {"status": "success", "data": data})

    def answer_v2(self, body):
        account = body.get("account_id")
        action = body.get("action")
        if not account:
            return self.v2_error(400, "INVALID_PARAMS", "Missing account_id", action)
        if "unknown" in account:
            return self.v2_error(404, "INVALID_ACCOUNT", "Account not found", action, account)
        if "inactive" in account:
            return self.v2_error(403, "ACCOUNT_INACTIVE", "Account is not active", action, account)
        if "broke" in account:
            return self.v2_error(402, "INSUFFICIENT_CREDITS", "Insufficient credits", action, account)
        params = body.get("params") or {}
        if not isinstance(params, dict):
            return self.v2_error(400, "INVALID_PARAMS", "params must be an object", action, account)
        count = params.get("count", 10)
        if not is_int(count) or not 1 <= count <= 1000:
            return self.v2_error(400, "INVALID_PARAMS", "count must be an integer from 1 to 1000", action, account)
        if action == "list_connections" and FIXED:
            # benchmark mode: a precomputed page, whatever the offset; two
            # pages alternate so a client's same-page guard is not tripped
            FIXED["n"] += 1
            gz = not STATE.args.no_gzip and "gzip" in (self.headers.get("Accept-Encoding") or "")
            body = FIXED["gzip" if gz else "plain"][FIXED["n"] % 2]
            with STATE.lock:
                STATE.bytes_sent += len(body)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            if gz:
                self.send_header("Content-Encoding", "gzip")
            self.end_headers()
            self.wfile.write(body)
            return 200
        if action == "list_connections":
            offset = params.get("offset", 0)
            if not is_int(offset) or offset < 0:
                return self.v2_error(400, "INVALID_PARAMS", "offset must be an integer >= 0", action, account)
            n = size_of(account, STATE.args.connections)
            got = items("connections", 2, offset, count, n)
            nxt = offset + len(got)
            data = {"connections": got, "total_results": len(got), "total_available_results": n,
                    "pagination": {"offset": offset, "count": count, "next_offset": nxt, "has_more": nxt < n,
                                   "results_per_page": count, "pages_fetched": math.ceil(count / 100)}}
            credits = max(1, math.ceil(len(got) / 50))
        elif action == "recommendations":
            if "offset" in params:
                return self.v2_error(400, "INVALID_PARAMS", "recommendations are not paginable", action, account)
            n = size_of(account, STATE.args.v2_recommendations)
            got = items("recommendations", 2, 0, count, n)
            data = {"recommendations": got, "total_results": len(got),
                    "pagination": {"results_per_page": count, "pages_fetched": 1}}
            credits = max(1, math.ceil(len(got) / 10))
        else:
            return self.v2_error(400, "INVALID_ACTION", "Unknown action", action, account)
        return self.send_json(200, {"success": True, "data": data,
                                    "metadata": {"action": action, "account_id": account,
                                                 "credits_consumed": credits, "timestamp": now_iso()}})

    # ---- faults -----------------------------------------------------------

    def apply_fault(self, f, path, raw):
        kind = f.get("kind", "status")
        v1 = path.startswith("/v1/")
        if kind == "v1_error":
            return self.v1_error(f.get("message", "Rate limit exceeded. Please try again later"))
        if kind == "v2_error":
            return self.v2_error(f.get("status", 429), f.get("code", "RATE_LIMITED"),
                                 f.get("message", "Too many requests, retry after a short delay"))
        if kind == "rate_limit":
            headers = {"Retry-After": f["retry_after"]} if "retry_after" in f else None
            return self.send_json(429, {"success": False, "error": {"code": "RATE_LIMITED",
                                  "message": "Rate limit exceeded"}}, headers=headers)
        if kind == "status":
            return self.send_raw(f.get("status", 500), f.get("body", '{"success":false}'),
                                 headers=f.get("headers"))
        if kind == "malformed":
            return self.send_raw(200, f.get("body", '{"status":"success","data":{'))
        if kind == "html":
            return self.send_raw(f.get("status", 502),
                                 "<html><head><title>502 Bad Gateway</title></head><body>" + "x" * 2000 +
                                 "</body></html>", ctype="text/html")
        if kind == "empty":
            return self.send_raw(200, b"", compress=False)
        if kind == "body":
            return self.send_raw(f.get("status", 200), f.get("body", ""), ctype=f.get("content_type", "application/json"),
                                 compress=False)
        if kind == "echo":
            msg = "Invalid parameters: %s (key %s)" % (raw.decode("utf-8", "replace"), self.headers.get("x-api-key"))
            if v1:
                return self.v1_error(msg, 400)
            return self.v2_error(400, "INVALID_PARAMS", msg)
        if kind == "slow":
            time.sleep(float(f.get("delay", 2)))
            return self.answer("POST", path, raw)
        if kind in ("truncated", "stall"):
            # a real answer's headers, then half of the body (truncated) or a pause
            buf = _Capture()
            real = Handler.__new__(Handler)
            real.headers, real.wfile, real.request_version = self.headers, buf, self.request_version
            real.requestline, real.command, real.client_address = self.requestline, self.command, self.client_address
            real._headers_buffer = []
            real.answer("POST", path, raw)
            head, _, body = buf.data.partition(b"\r\n\r\n")
            if kind == "truncated":
                self.wfile.write(head + b"\r\n\r\n" + body[: len(body) // 2])
            else:
                self.wfile.write(head + b"\r\n\r\n")
                self.wfile.flush()
                time.sleep(float(f.get("delay", 2)))
                self.wfile.write(body)
            self.wfile.flush()
            self.close_connection = True
            return 200
        if kind == "close":
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return 0
        return self.send_json(500, {"error": "unknown fault kind " + str(kind)})


class _Capture:
    def __init__(self):
        self.data = b""

    def write(self, b):
        self.data += b

    def flush(self):
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--connections", type=int, default=1234)
    ap.add_argument("--recommendations", type=int, default=120)
    ap.add_argument("--v2-recommendations", type=int, default=60)
    ap.add_argument("--latency", type=float, default=0.0)
    ap.add_argument("--no-gzip", action="store_true")
    ap.add_argument("--max-lifetime", type=float, default=900)
    ap.add_argument("--log-limit", type=int, default=100000)
    ap.add_argument("--quiet-log", action="store_true")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM)")
    ap.add_argument("--tls-key", help="the certificate's private key (PEM)")
    ap.add_argument("--fixed-page", type=int, default=0,
                    help="benchmarks: v2 list_connections answers a precomputed page of N items")
    args = ap.parse_args()

    global STATE
    STATE = State(args)
    if args.fixed_page:
        for k in (0, 1):
            got = items("connections", 2, k * args.fixed_page, args.fixed_page, 10 ** 9)
            doc = {"success": True, "data": {"connections": got, "total_results": len(got),
                   "total_available_results": 10 ** 9,
                   "pagination": {"offset": 0, "count": len(got), "next_offset": len(got), "has_more": True,
                                  "results_per_page": len(got), "pages_fetched": 1}},
                   "metadata": {"action": "list_connections", "account_id": "bench",
                                "credits_consumed": math.ceil(len(got) / 50), "timestamp": now_iso()}}
            plain = json.dumps(doc, ensure_ascii=False).encode()
            FIXED.setdefault("plain", []).append(plain)
            FIXED.setdefault("gzip", []).append(gzip.compress(plain, compresslevel=5))
        FIXED["n"] = 0
    httpd = Server(("127.0.0.1", args.port), Handler)
    if args.tls_cert:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    port = httpd.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(port))
        os.rename(tmp, args.port_file)
    print("PORT %d" % port, flush=True)

    def stop(*_):
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    timer = threading.Timer(args.max_lifetime, stop)
    timer.daemon = True
    timer.start()
    httpd.serve_forever(poll_interval=0.2)
    httpd.server_close()


STATE = None
FIXED = {}

if __name__ == "__main__":
    main()
