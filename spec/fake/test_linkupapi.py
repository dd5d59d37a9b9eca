"""Tests of the fake LinkupAPI itself: python3 -m unittest spec/fake/test_linkupapi.py

Standard library only. Starts the fake on free ports (one shared server,
reset before each test, plus a few with command-line switches) and talks to
it over real HTTP.
"""
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from email.utils import parsedate_to_datetime

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "linkupapi.py")
KEY = "test-key-UNITTEST-secret"
OTHER_KEY = "test-key-other"


class Fake:
    def __init__(self, *args):
        fd, self.portfile = tempfile.mkstemp()
        os.close(fd)
        os.remove(self.portfile)
        self.proc = subprocess.Popen([sys.executable, FAKE, "--port-file", self.portfile, "--max-lifetime", "300",
                                      *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(200):
            if os.path.exists(self.portfile):
                with open(self.portfile) as f:
                    self.port = int(f.read())
                break
            if self.proc.poll() is not None:
                raise RuntimeError("the fake did not start: " + self.proc.stderr.read().decode())
            time.sleep(0.02)
        else:
            raise RuntimeError("the fake did not start")
        os.remove(self.portfile)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(5)
        self.proc.stderr.close()

    def request(self, method, path, body=None, key=KEY, timeout=10, raw_body=None, headers=None):
        """(status, headers dict (lower-case), raw text, decoded JSON or None)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            h = {"Content-Type": "application/json"}
            if key is not None:
                h["x-api-key"] = key
            h.update(headers or {})
            data = raw_body if raw_body is not None else (None if body is None else json.dumps(body))
            conn.request(method, path, body=data, headers=h)
            r = conn.getresponse()
            text = r.read().decode("utf-8")
            try:
                doc = json.loads(text)
            except ValueError:
                doc = None
            return r.status, {k.lower(): v for k, v in r.getheaders()}, text, doc
        finally:
            conn.close()

    def v2(self, account, action, params=None, **kw):
        body = {"account_id": account, "action": action}
        if params is not None:
            body["params"] = params
        return self.request("POST", "/v2/network", body, **kw)

    def v1(self, endpoint, body, **kw):
        return self.request("POST", "/v1/network/" + endpoint, body, **kw)

    def control(self, method, path, body=None):
        status, _, _, doc = self.request(method, path, body, key=None)
        return status, doc

    def reset(self):
        return self.control("POST", "/_reset")

    def config(self, c):
        status, doc = self.control("POST", "/_config", c)
        assert status == 200, doc
        return doc

    def fault(self, f):
        return self.control("POST", "/_fault", f)

    def log(self):
        return self.control("GET", "/_log")[1]

    def stats(self):
        return self.control("GET", "/_stats")[1]

    def state(self, **q):
        (k, v), = q.items()
        return self.control("GET", f"/_state?{k}={v}")[1]


SERVER = None


def setUpModule():
    global SERVER
    SERVER = Fake()


def tearDownModule():
    SERVER.stop()


class Base(unittest.TestCase):
    def setUp(self):
        self.s = SERVER
        self.s.reset()

    def assertV2Error(self, res, status, code, contains=None):
        st, _, _, doc = res
        self.assertEqual(status, st, doc)
        self.assertIs(False, doc["success"])
        self.assertEqual(code, doc["error"]["code"])
        self.assertEqual(0, doc["metadata"]["credits_consumed"])
        if contains:
            self.assertIn(contains, doc["error"]["message"])

    def assertV1Error(self, res, contains, status=200):
        st, _, _, doc = res
        self.assertEqual(status, st, doc)
        self.assertEqual("error", doc["status"])
        self.assertIn(contains, doc["message"])


def shape_of(x):
    """A JSON value's shape: dicts keep keys, lists their first item, scalars their type."""
    if isinstance(x, dict):
        return {k: shape_of(v) for k, v in x.items()}
    if isinstance(x, list):
        return [shape_of(x[0])] if x else []
    if isinstance(x, bool):
        return "bool"
    if isinstance(x, (int, float)):
        return "number"
    if x is None:
        return "null"
    return type(x).__name__


class TestRateLimit(Base):
    def burst(self, n, key=KEY, account="acc-size-5", path="v2"):
        out = []
        for _ in range(n):
            if path == "v2":
                out.append(self.s.v2(account, "list_connections", {"count": 1}, key=key))
            else:
                out.append(self.s.v1("connections", {"login_token": "tok-size-5"}, key=key))
        return out

    def test_sliding_refuses_exactly_one_then_admits_after_w_and_is_per_key(self):
        self.s.config({"rate_limit": {"requests": 5, "per": 1}})
        t0 = time.monotonic()
        res = self.burst(1)
        t1 = time.monotonic()  # the first arrived before this
        res += self.burst(5)
        self.assertLess(time.monotonic() - t0, 0.8)
        self.assertEqual([200] * 5 + [429], [r[0] for r in res])
        self.assertV2Error(res[5], 429, "RATE_LIMITED")
        self.assertNotIn("retry-after", res[5][1])  # the real API documents none
        # another key has its own budget
        self.assertEqual(200, self.burst(1, key=OTHER_KEY)[0][0])
        # still refused within the window, admitted once the first one is W old
        self.assertEqual(429, self.burst(1)[0][0])
        time.sleep(max(0, t1 + 1.05 - time.monotonic()))
        self.assertEqual(200, self.burst(1)[0][0])
        st = self.s.stats()
        self.assertEqual(2, st["rate_limited"])
        log = self.s.log()
        self.assertEqual([False] * 5 + [True, False, True, False], [e["rate_limited"] for e in log])
        self.assertEqual([200] * 5 + [429, 200, 429, 200], [e["status"] for e in log])
        for e in log:
            self.assertRegex(e["key"], r"^[0-9a-f]{10}$")
            self.assertNotIn("UNITTEST", json.dumps({k: v for k, v in e.items() if k != "headers"}))
        self.assertNotEqual(log[0]["key"], log[6]["key"])
        self.assertEqual(st["t_first"], log[0]["t_arrival"])
        self.assertEqual(st["t_last"], log[-1]["t_arrival"])

    def test_sliding_is_a_strict_log(self):
        self.s.config({"rate_limit": {"requests": 3, "per": 1, "mode": "sliding"}})
        self.assertEqual([200], [r[0] for r in self.burst(1)])
        t1 = time.monotonic()  # the first arrived before this
        time.sleep(0.4)
        self.assertEqual([200, 200, 429], [r[0] for r in self.burst(3)])
        time.sleep(max(0, t1 + 1.05 - time.monotonic()))
        # the first one left the window: one slot, not three
        self.assertEqual([200, 429], [r[0] for r in self.burst(2)])

    def test_fixed_windows_aligned_to_server_start(self):
        self.s.config({"rate_limit": {"requests": 3, "per": 1, "mode": "fixed", "retry_after": "date"}})

        def server_now():
            self.s.v2("acc-size-1", "list_connections", key="test-clock")
            return self.s.log()[-1]["t_arrival"]

        def sleep_to_next(f):  # to fraction f of the next 1 s window
            now = server_now()
            time.sleep(int(now) + 1 + f - now)

        sleep_to_next(0.05)
        res = self.burst(4)
        self.assertEqual([200, 200, 200, 429], [r[0] for r in res])
        date = parsedate_to_datetime(res[3][1]["retry-after"]).timestamp()
        self.assertTrue(time.time() - 1 <= date <= time.time() + 2, date - time.time())
        # three at the end of a window and three at the start of the next: all admitted
        sleep_to_next(0.8)
        a = self.burst(3)
        sleep_to_next(0.05)
        b = self.burst(3)
        self.assertEqual([200] * 6, [r[0] for r in a + b])

    def test_v1_body_and_numeric_retry_after(self):
        self.s.config({"rate_limit": {"requests": 1, "per": 60, "retry_after": 2}})
        res = self.burst(2, path="v1")
        self.assertEqual(200, res[0][0])
        self.assertEqual(429, res[1][0])
        self.assertEqual({"status": "error", "message": "Rate limit exceeded. Please try again later"}, res[1][3])
        self.assertEqual("2", res[1][1]["retry-after"])
        self.s.config({"rate_limit": None})
        self.assertEqual(200, self.burst(1, path="v1")[0][0])

    def test_flag_and_reset_back_to_it(self):
        f = Fake("--rate-limit", "2/60")
        try:
            def go():
                return f.v2("acc-size-1", "list_connections")[0]
            self.assertEqual([200, 200, 429], [go(), go(), go()])
            f.config({"rate_limit": None})
            self.assertEqual(200, go())
            f.reset()  # back to the command line's 2/60, with an empty window
            self.assertEqual([200, 200, 429], [go(), go(), go()])
            self.assertEqual({"requests": 2, "per": 60.0, "mode": "sliding", "retry_after": None},
                             f.control("GET", "/_config")[1]["rate_limit"])
        finally:
            f.stop()

    def test_bad_config_is_refused_whole(self):
        st, doc = self.s.control("POST", "/_config", {"rate_limit": {"requests": 0, "per": 1}})
        self.assertEqual(400, st)
        st, doc = self.s.control("POST", "/_config", {"lie": {"no_such_lie": True}})
        self.assertEqual(400, st)
        self.assertIn("no_such_lie", doc["error"])


class TestLatency(Base):
    def timed(self, *a, **kw):
        t0 = time.monotonic()
        r = self.s.v2(*a, **kw)
        return r, time.monotonic() - t0

    def test_per_account_latency_overlaps(self):
        (st, *_), took = self.timed("acc-lat-300-size-5", "list_connections")
        self.assertEqual(200, st)
        self.assertGreaterEqual(took, 0.3)
        # v1: from the token
        t0 = time.monotonic()
        self.s.v1("connections", {"login_token": "tok-lat-200"})
        self.assertGreaterEqual(time.monotonic() - t0, 0.2)
        # three at once overlap: no lock is held while waiting
        self.s.reset()
        threads = [threading.Thread(target=self.s.v2, args=("acc-lat-500", "list_connections")) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(3, self.s.stats()["max_inflight"])
        log = self.s.log()
        self.assertEqual([1, 2, 3], sorted(e["inflight"] for e in log))
        for e in log:
            self.assertGreaterEqual(e["t_done"] - e["t_arrival"], 0.5)
            self.assertEqual(round(e["t_arrival"], 6), e["t_arrival"])

    def test_jitter_is_seeded(self):
        def run():
            self.s.reset()
            self.s.config({"latency": 0.05, "latency_jitter": 0.15})
            for _ in range(5):
                self.s.v2("acc-size-1", "list_connections")
            log = self.s.log()
            for e in log:
                self.assertGreaterEqual(e["t_done"] - e["t_arrival"], e["latency"] - 0.001)
            return [e["latency"] for e in log]
        a, b = run(), run()
        self.assertEqual(a, b)
        for x in a:
            self.assertTrue(0.05 <= x <= 0.2, x)
        self.assertGreater(max(a) - min(a), 0.02)  # it does vary


def walk_v2(s, account, action="list_connections", count=10, limit=50):
    pages, offset = [], 0
    for _ in range(limit):
        st, _, _, doc = s.v2(account, action, {"count": count, "offset": offset})
        assert st == 200, doc
        pages.append(doc["data"])
        if not doc["data"]["pagination"]["has_more"]:
            break
        offset = doc["data"]["pagination"]["next_offset"]
    return pages


def urls(items):
    return [it.get("profile_url") or it.get("sender", it.get("recipient", {})).get("linkedin_url") for it in items]


class TestLies(Base):
    def page(self, offset, count=10, account="acc-size-35"):
        st, _, _, doc = self.s.v2(account, "list_connections", {"count": count, "offset": offset})
        self.assertEqual(200, st, doc)
        return doc["data"]

    def test_stale_total(self):
        self.s.config({"lie": {"stale_total": 500}})
        pages = walk_v2(self.s, "acc-size-35")
        self.assertEqual(4, len(pages))
        self.assertEqual({500}, {p["total_available_results"] for p in pages})
        self.assertEqual(35, sum(len(p["connections"]) for p in pages))
        self.assertFalse(pages[-1]["pagination"]["has_more"])
        _, _, _, doc = self.s.v1("connections", {"login_token": "tok-size-35", "total_results": 5})
        self.assertEqual(500, doc["data"]["total_available_results"])

    def test_moving_total_is_seeded(self):
        def run():
            self.s.reset()
            self.s.config({"lie": {"moving_total": [10, 90]}})
            return [self.page(0)["total_available_results"] for _ in range(6)]
        a, b = run(), run()
        self.assertEqual(a, b)
        self.assertTrue(all(10 <= t <= 90 for t in a))
        self.assertGreater(len(set(a)), 1)

    def test_short_pages_shift_and_skip(self):
        self.s.config({"lie": {"short_pages": {"drop": 3, "next": "shift"}}})
        p = self.page(0)
        self.assertEqual(7, len(p["connections"]))
        self.assertEqual(7, p["pagination"]["next_offset"])
        got = [u for p in walk_v2(self.s, "acc-size-35") for u in urls(p["connections"])]
        self.assertEqual([f"https://www.linkedin.com/in/person-{i}/" for i in range(35)], got)
        self.s.config({"lie": {"short_pages": {"drop": 3, "next": "skip"}}})
        p = self.page(0)
        self.assertEqual((7, 10), (len(p["connections"]), p["pagination"]["next_offset"]))
        got = [u for p in walk_v2(self.s, "acc-size-35") for u in urls(p["connections"])]
        self.assertEqual(35 - 3 * 3 - 3, len(got))  # 3 per full page lost, and 3 of the last 5
        self.assertNotIn("https://www.linkedin.com/in/person-7/", got)
        # v1: pages of 10 - 3
        _, _, _, doc = self.s.v1("connections", {"login_token": "tok-size-35", "start_page": 2})
        self.assertEqual([f"https://www.linkedin.com/in/person-{i}/" for i in range(10, 17)],
                         urls(doc["data"]["connections"]))
        self.s.config({"lie": {"short_pages": {"drop": 3}}})  # shift by default
        _, _, _, doc = self.s.v1("connections", {"login_token": "tok-size-35", "start_page": 2})
        self.assertEqual([f"https://www.linkedin.com/in/person-{i}/" for i in range(7, 14)],
                         urls(doc["data"]["connections"]))

    def test_ignore_offset(self):
        self.s.config({"lie": {"ignore_offset": True}})
        a, b = self.page(0), self.page(30)
        self.assertEqual(a["connections"], b["connections"])
        self.assertTrue(b["pagination"]["has_more"])
        self.assertEqual("https://www.linkedin.com/in/person-0/", b["connections"][0]["profile_url"])
        _, _, _, doc = self.s.v1("connections", {"login_token": "tok-size-35", "start_page": 3})
        self.assertEqual([f"https://www.linkedin.com/in/person-{i}/" for i in range(10)],
                         urls(doc["data"]["connections"]))

    def test_no_profile_url(self):
        self.s.config({"lie": {"no_profile_url": True}})
        self.assertNotIn("profile_url", self.page(0)["connections"][0])
        _, _, _, doc = self.s.v2("acc-x", "list_invitations")
        self.assertNotIn("linkedin_url", doc["data"]["invitations"][0]["sender"])
        _, _, _, doc = self.s.v1("sent-invitations", {"login_token": "tok-x"})
        self.assertNotIn("profile_url", doc["data"]["invitations"][0])

    def test_overlap(self):
        self.s.config({"lie": {"overlap": 2}})
        p = self.page(10)
        self.assertEqual(8, int(re.search(r"person-(\d+)", p["connections"][0]["profile_url"]).group(1)))
        self.assertEqual(10, len(p["connections"]))
        self.assertEqual(20, p["pagination"]["next_offset"])
        got = [u for p in walk_v2(self.s, "acc-size-35") for u in urls(p["connections"])]
        self.assertEqual(35, len(set(got)))
        self.assertEqual(35 + 2, len(got))  # the first page ends k early, the next starts k early

    def test_v1_page_size(self):
        self.s.config({"lie": {"v1_page_size": 7}})
        _, _, _, doc = self.s.v1("connections", {"login_token": "tok-size-35", "start_page": 2, "end_page": 3})
        self.assertEqual([f"https://www.linkedin.com/in/person-{i}/" for i in range(7, 21)],
                         urls(doc["data"]["connections"]))
        self.assertEqual(7, doc["data"]["pagination"]["results_per_page"])

    def test_credits_and_total_kinds(self):
        for kind, want in (("negative", -5), ("fractional", 1.5), ("string", "2"), ("huge", 1e300)):
            self.s.config({"lie": {"credits": kind}})
            _, _, text, doc = self.s.v2("acc-size-35", "list_connections")
            self.assertEqual(want, doc["metadata"]["credits_consumed"])
        for kind, want in (("fraction", 12.5), ("negative", -1), ("string", "100"), ("huge", 1e300)):
            self.s.config({"lie": {"total": kind}})
            _, _, text, doc = self.s.v2("acc-size-35", "list_sent")
            self.assertEqual(want, doc["data"]["total_available_results"])
        self.assertIn('"total_available_results": 1e+300', text)
        # what the stats count is what was charged, not the lie
        self.assertEqual(8, self.s.stats()["credits"])

    def test_bigint_pairs(self):
        self.s.config({"lie": {"bigint": True}})
        _, _, text, doc = self.s.v1("sent-invitations", {"login_token": "tok-sent-6", "total_results": 6})
        ids = [int(x) for x in re.findall(r'"invitation_id": (\d+)', text)]
        self.assertEqual(6, len(ids))
        for k in range(0, 6, 2):
            self.assertNotEqual(ids[k], int(float(ids[k])))   # a double cannot hold it...
            self.assertEqual(ids[k + 1], int(float(ids[k])))  # ...and rounds onto its pending neighbour
        # withdrawing the rounded id takes the neighbour, as a careless client would
        _, _, _, doc = self.s.v1("withdraw-invitation", {"login_token": "tok-sent-6",
                                                         "invitation_id": str(int(float(ids[0])))})
        self.assertEqual("success", doc["status"])
        st = self.s.state(token="tok-sent-6")
        self.assertEqual([str(ids[1])], st["withdrawn"])
        self.assertIn(str(ids[0]), [r["invitation_id"] for r in st["sent"]])

    def test_lie_flag_and_combined(self):
        f = Fake("--lie", '{"stale_total": 7, "no_profile_url": true}')
        try:
            _, _, _, doc = f.v2("acc-size-35", "list_connections")
            self.assertEqual(7, doc["data"]["total_available_results"])
            self.assertNotIn("profile_url", doc["data"]["connections"][0])
            f.config({"lie": {}})
            _, _, _, doc = f.v2("acc-size-35", "list_connections")
            self.assertEqual(35, doc["data"]["total_available_results"])
            f.reset()
            _, _, _, doc = f.v2("acc-size-35", "list_connections")
            self.assertEqual(7, doc["data"]["total_available_results"])
        finally:
            f.stop()


# The docs' examples (NETWORK.md), to compare shapes field by field.
DOC = {
    "list_invitations": {"invitations": [{"entity_urn": "urn:li:invitation:123456789",
                                          "shared_secret": "abcdef12-3456-7890-abcd-ef1234567890",
                                          "sender": {"first_name": "Alice", "last_name": "Johnson",
                                                     "headline": "Data Scientist",
                                                     "linkedin_url": "https://www.linkedin.com/in/alicejohnson",
                                                     "profile_picture_url": "https://media.licdn.com/x"},
                                          "invitation_type": "CONNECTION", "sent_time": "1d", "sent_time_days": 1}],
                         "total_results": 1, "total_available_results": 26,
                         "pagination": {"offset": 0, "count": 1, "next_offset": 1, "has_more": True,
                                        "results_per_page": 10, "pages_fetched": 1}},
    "list_sent": {"invitations": [{"entity_urn": "urn:li:invitation:987654321",
                                   "recipient": {"first_name": "Bob", "last_name": "Williams",
                                                 "headline": "CTO at StartupXYZ",
                                                 "linkedin_url": "https://www.linkedin.com/in/bobwilliams",
                                                 "profile_picture": "https://media.licdn.com/x"},
                                   "invitation_type": "CONNECTION", "sent_time": "5d", "sent_time_days": 5}],
                  "total_results": 1, "total_available_results": 145, "invitation_type": "CONNECTION",
                  "pagination": {"offset": 0, "count": 1, "next_offset": 1, "has_more": True,
                                 "results_per_page": 10, "pages_fetched": 1}},
    "invite": {"invitation_urn": "urn:li:invitation:123456789", "profile_urn": "urn:li:fsd_profile:ACoAABxxxxxxx",
               "first_name": "John", "last_name": "Doe", "headline": "Senior Software Engineer at Acme Corp",
               "public_identifier": "johndoe", "profile_picture_url": "https://media.licdn.com/x.jpg"},
    "withdraw": {"withdrawn": True, "invitation_id": "7453486530700017665"},
    "check_invitation": {"invitation_state": "ACCEPTED", "invitation_type": "CONNECTED", "invitation_id": None,
                         "member_distance": 1, "message": "You are connected with this person"},
    "v1_invitations": {"total_results": 20, "total_available_results": 36, "invitations": [{
        "name": "Sandrine BRUNET", "profile_url": "https://www.linkedin.com/in/sandrine-brunet-6a910b94",
        "subtitle": "Cost and Time killer", "sent_time": "1 week ago", "message": None,
        "invitation_id": 7331558767219683329, "shared_secret": "9gAd0GPh",
        "shared_connections": "13 mutual connections", "invitation_state": "PENDING",
        "entity_urn": "urn:li:fsd_invitation:7331558767219683329", "profile_picture": "https://media.licdn.com/x"}],
        "pagination": {"start_page": 1, "end_page": 2, "results_per_page": 10, "pages_fetched": 2}},
    "v1_sent": {"total_results": 10, "total_available_results": 138, "invitations": [{
        "name": "Michelle Heppler", "profile_url": "https://www.linkedin.com/in/michelle-heppler",
        "subtitle": "Co-Founder", "sent_time": "Sent yesterday", "invitation_id": 7329176687475109888,
        "invitation_state": "PENDING", "message": None, "entity_urn": "urn:li:fsd_invitation:7329176687475109888",
        "profile_picture": "https://media.licdn.com/x", "invitation_type": "CONNECTION"}],
        "pagination": {"start_page": 1, "end_page": 1, "results_per_page": 10, "pages_fetched": 1}},
    "account": {"account_id": "acc_abc123", "platform": "linkedin", "account_name": "John Doe", "is_active": True,
                "status": "active", "country": "FR", "created_at": "2025-10-15T08:30:00Z",
                "updated_at": "2026-03-20T14:22:00Z"},
}


class TestShapes(Base):
    def assertShape(self, example, got, nullable=()):
        want, have = shape_of(example), shape_of(got)
        self.assertEqual(list(want.keys()) if isinstance(want, dict) else None,
                         list(have.keys()) if isinstance(have, dict) else None)
        for k in want:
            if k in nullable and "null" in (want[k], have[k]):
                continue
            if isinstance(want[k], dict):
                self.assertShape(example[k], got[k], nullable)
            elif isinstance(want[k], list):
                self.assertTrue(got[k], k)
                self.assertShape(example[k][0], got[k][0], nullable)
            else:
                self.assertEqual(want[k], have[k], k)

    def v2_ok(self, account, action, params=None, credits=1):
        st, _, _, doc = self.s.v2(account, action, params)
        self.assertEqual(200, st, doc)
        self.assertEqual(["success", "data", "metadata"], list(doc))
        self.assertEqual(["action", "account_id", "credits_consumed", "timestamp"], list(doc["metadata"]))
        self.assertEqual((action, account, credits), (doc["metadata"]["action"], doc["metadata"]["account_id"],
                                                      doc["metadata"]["credits_consumed"]))
        self.assertRegex(doc["metadata"]["timestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        return doc["data"]

    def test_v2_lists(self):
        d = self.v2_ok("acc-main", "list_invitations", {"count": 1})
        self.assertShape(DOC["list_invitations"], d)
        self.assertEqual(26, d["total_available_results"])
        inv = d["invitations"][0]
        self.assertRegex(inv["entity_urn"], r"^urn:li:invitation:\d{19}$")
        self.assertRegex(inv["shared_secret"], r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
        self.assertRegex(inv["sent_time"], r"^\d+(d|w|mo)$")
        d = self.v2_ok("acc-main", "list_sent", {"count": 1})
        self.assertShape(DOC["list_sent"], d)
        self.assertEqual((145, "CONNECTION"), (d["total_available_results"], d["invitation_type"]))
        self.assertNotIn("shared_secret", d["invitations"][0])
        self.assertNotIn("invitation_id", d["invitations"][0])
        # results_per_page is 10 whatever count; credits 1 per 50 asked
        d = self.v2_ok("acc-inv-30-sent-145", "list_sent", {"count": 120, "offset": 40}, credits=3)
        self.assertEqual((105, 145, False, 10), (d["total_results"], d["pagination"]["next_offset"],
                                                 d["pagination"]["has_more"], d["pagination"]["results_per_page"]))
        d = self.v2_ok("acc-inv-30-sent-145", "list_invitations", {"count": 100}, credits=2)
        self.assertEqual(30, d["total_results"])
        d = self.v2_ok("acc-main", "list_sent", {"invitation_type": "ORGANIZATION"})
        self.assertEqual(([], "ORGANIZATION"), (d["invitations"], d["invitation_type"]))

    def test_v2_walk_matches_expected(self):
        for action, kind in (("list_invitations", "invitations"), ("list_sent", "sent_invitations")):
            got = [it for p in walk_v2(self.s, "acc-inv-33-sent-47", action, count=10) for it in p["invitations"]]
            _, want = self.s.control("GET", f"/_expected?kind={kind}&version=2&account=acc-inv-33-sent-47"
                                            f"&from=0&count=1000")
            self.assertEqual(want, got)
            self.assertEqual(33 if kind == "invitations" else 47, len(got))
            _, fresh = self.s.control("GET", f"/_expected?kind={kind}&version=2&n={len(got)}&from=0&count=1000")
            self.assertEqual(want, fresh)

    def test_v2_writes(self):
        d = self.v2_ok("acc-main", "invite", {"profile_url": "https://www.linkedin.com/in/john-doe/",
                                              "message": "Hello"})
        self.assertShape(DOC["invite"], d)
        self.assertEqual("john-doe", d["public_identifier"])
        self.assertRegex(d["invitation_urn"], r"^urn:li:invitation:\d{19}$")
        inv_id = d["invitation_urn"].rsplit(":", 1)[1]
        d = self.v2_ok("acc-main", "check_invitation", {"linkedin_url": "https://www.linkedin.com/in/john-doe"})
        self.assertShape(DOC["check_invitation"], d, nullable=("invitation_id",))
        self.assertEqual(("PENDING", "SENT", inv_id), (d["invitation_state"], d["invitation_type"],
                                                       d["invitation_id"]))
        d = self.v2_ok("acc-main", "withdraw", {"invitation_id": inv_id})
        self.assertShape(DOC["withdraw"], d)
        self.assertEqual({"withdrawn": True, "invitation_id": inv_id}, d)
        d = self.v2_ok("acc-main", "check_invitation", {"profile_url": "https://www.linkedin.com/in/person-3/"})
        self.assertEqual(DOC["check_invitation"], d)
        d = self.v2_ok("acc-main", "check_invitation", {"profile_url": "https://www.linkedin.com/in/nobody"})
        self.assertEqual({"invitation_state": "NO_INVITATION", "invitation_type": None, "invitation_id": None,
                          "member_distance": 2}, {k: v for k, v in d.items() if k != "message"})

    def test_v1_lists(self):
        st, _, text, doc = self.s.v1("invitations", {"login_token": "tok-main", "start_page": 1, "end_page": 2})
        self.assertEqual(["status", "data"], list(doc))
        self.assertShape(DOC["v1_invitations"], doc["data"], nullable=("message", "profile_picture",
                                                                        "shared_connections"))
        self.assertEqual((20, 26, 2), (doc["data"]["total_results"], doc["data"]["total_available_results"],
                                       doc["data"]["pagination"]["pages_fetched"]))
        # the real API's bare 19-digit numbers: the exact digits, unquoted
        self.assertIn('"invitation_id": 7331558767219683329,', text)
        self.assertIn('"entity_urn": "urn:li:fsd_invitation:7331558767219683329"', text)
        for digits in re.findall(r'"invitation_id": ("?)(\d+)', text):
            self.assertEqual(("", 19), (digits[0], len(digits[1])))
        self.assertRegex(doc["data"]["invitations"][0]["shared_secret"], r"^[0-9A-Za-z]{8}$")
        st, _, text, doc = self.s.v1("sent-invitations", {"login_token": "tok-main"})
        self.assertShape(DOC["v1_sent"], doc["data"], nullable=("message", "profile_picture"))
        self.assertEqual((10, 145), (doc["data"]["total_results"], doc["data"]["total_available_results"]))
        self.assertIn('"invitation_id": 7453486530700017665,', text)
        self.assertTrue(doc["data"]["invitations"][0]["sent_time"].startswith("Sent "))
        # a whole walk against /_expected (compared as text: the ids stay exact)
        got = []
        for p in range(1, 20):
            _, _, text, doc = self.s.v1("invitations", {"login_token": "tok-inv-37", "start_page": p})
            if not doc["data"]["invitations"]:
                break
            got += json.loads(text)["data"]["invitations"]
        _, want = self.s.control("GET", "/_expected?kind=invitations&version=1&token=tok-inv-37&from=0&count=100")
        self.assertEqual(want, got)
        self.assertEqual(37, len(got))
        _, strings = self.s.control("GET", "/_expected?kind=invitations&version=1&n=2&ids=string")
        self.assertEqual("7331558767219683329", strings[0]["invitation_id"])

    def test_v1_writes(self):
        _, _, _, doc = self.s.v1("invitations", {"login_token": "tok-w", "total_results": 3})
        inv = doc["data"]["invitations"][1]
        body = {"login_token": "tok-w", "shared_secret": inv["shared_secret"], "entity_urn": inv["entity_urn"]}
        _, _, _, doc = self.s.v1("accept-invitation", body)
        self.assertEqual({"status": "success", "message": "Invitation accepted successfully"}, doc)
        self.assertV1Error(self.s.v1("accept-invitation", body), "no pending invitation")
        _, _, _, doc = self.s.v1("invitation-status", {"login_token": "tok-w", "linkedin_url": inv["profile_url"]})
        self.assertEqual({"status": "success", "data": DOC["check_invitation"]}, doc)
        _, _, _, doc = self.s.v1("sent-invitations", {"login_token": "tok-w", "total_results": 1})
        sent = doc["data"]["invitations"][0]
        _, _, _, doc = self.s.v1("invitation-status", {"login_token": "tok-w", "linkedin_url": sent["profile_url"]})
        self.assertEqual(("SENT", str(sent["invitation_id"])), (doc["data"]["invitation_type"],
                                                                doc["data"]["invitation_id"]))
        self.assertV1Error(self.s.v1("withdraw-invitation", {"login_token": "tok-w",
                                                             "invitation_id": sent["invitation_id"]}),
                           "invitation_id must be a string")
        _, _, _, doc = self.s.v1("withdraw-invitation", {"login_token": "tok-w",
                                                         "invitation_id": str(sent["invitation_id"])})
        self.assertEqual({"status": "success", "message": "Connection invitation withdrawn successfully"}, doc)
        self.assertV1Error(self.s.v1("withdraw-invitation", {"login_token": "tok-w"}),
                           "Missing required parameter: invitation_id")
        st = self.s.state(token="tok-w")
        self.assertEqual([str(sent["invitation_id"])], st["withdrawn"])
        self.assertEqual([str(inv["invitation_id"])], st["accepted"])
        self.assertEqual(25, len(st["received"]))
        self.assertEqual(6, self.s.stats()["credits"])  # 2 lists, accept, 2 status, withdraw; errors free

    def test_accounts(self):
        st, _, _, doc = self.s.request("GET", "/v2/accounts")
        self.assertEqual(200, st)
        self.assertEqual(["items", "total", "limit", "offset"], list(doc["data"]))
        self.assertEqual({"action": "list_accounts", "credits_consumed": 0}, {
            k: v for k, v in doc["metadata"].items() if k != "timestamp"})
        items = doc["data"]["items"]
        self.assertEqual((7, 7, 50, 0), (len(items), doc["data"]["total"], doc["data"]["limit"],
                                         doc["data"]["offset"]))
        self.assertEqual("acc-main", items[0]["account_id"])
        for it in items:
            self.assertShape(DOC["account"], it)
        self.assertEqual({True, False}, {it["is_active"] for it in items})
        st, _, _, doc = self.s.request("GET", "/v2/accounts?limit=3&offset=5")
        self.assertEqual([it["account_id"] for it in items[5:]], [it["account_id"] for it in doc["data"]["items"]])
        for bad in ("limit=0", "limit=501", "limit=x", "offset=-1", "count=5"):
            self.assertV2Error(self.s.request("GET", "/v2/accounts?" + bad), 400, "INVALID_PARAMS")
        st, _, _, doc = self.s.request("GET", "/v2/accounts/acc-main")
        self.assertEqual(items[0], doc["data"])
        self.assertEqual(("get_account", "acc-main", 0), (doc["metadata"]["action"], doc["metadata"]["account_id"],
                                                          doc["metadata"]["credits_consumed"]))
        self.assertV2Error(self.s.request("GET", "/v2/accounts/acc-unknown-1"), 404, "INVALID_ACCOUNT")
        self.assertV2Error(self.s.request("GET", "/v2/accounts", key="nope"), 403, "INVALID_API_KEY")
        _, want = self.s.control("GET", "/_expected?kind=accounts&from=0&count=100")
        self.assertEqual(items, want)
        f = Fake("--accounts", "120")
        try:
            _, _, _, doc = f.request("GET", "/v2/accounts?limit=100&offset=100")
            self.assertEqual((20, 120), (len(doc["data"]["items"]), doc["data"]["total"]))
        finally:
            f.stop()


class TestState(Base):
    def test_invite_list_check_withdraw(self):
        acc = "acc-st-sent-3"
        _, _, _, doc = self.s.v2(acc, "invite", {"identifier": "ada-l"})
        inv_id = doc["data"]["invitation_urn"].rsplit(":", 1)[1]
        _, _, _, doc = self.s.v2(acc, "list_sent")
        self.assertEqual(4, doc["data"]["total_available_results"])
        head = doc["data"]["invitations"][0]
        self.assertEqual(("urn:li:invitation:" + inv_id, "https://www.linkedin.com/in/ada-l", 0),
                         (head["entity_urn"], head["recipient"]["linkedin_url"], head["sent_time_days"]))
        self.assertEqual(inv_id, self.s.state(account=acc)["sent"][0]["invitation_id"])
        # twice: refused
        self.assertV2Error(self.s.v2(acc, "invite", {"profile_url": "https://www.linkedin.com/in/ada-l"}),
                           400, "INVALID_PARAMS", "already invited")
        self.assertV2Error(self.s.v2(acc, "invite", {"profile_url": "https://www.linkedin.com/in/person-2/"}),
                           400, "INVALID_PARAMS", "already connected")
        self.assertV2Error(self.s.v2(acc, "invite", {"identifier": "x", "message": "m" * 301}),
                           400, "INVALID_PARAMS", "message")
        self.assertEqual(200, self.s.v2(acc, "invite", {"identifier": "y", "message": "m" * 300})[0])
        self.assertEqual(200, self.s.v2(acc, "withdraw", {"invitation_id": inv_id})[0])
        self.assertV2Error(self.s.v2(acc, "withdraw", {"invitation_id": inv_id}), 400, "INVALID_PARAMS")
        _, _, _, doc = self.s.v2(acc, "check_invitation", {"profile_url": "https://www.linkedin.com/in/ada-l"})
        self.assertEqual("NO_INVITATION", doc["data"]["invitation_state"])
        st = self.s.state(account=acc)
        self.assertEqual([inv_id], st["withdrawn"])
        self.assertEqual(["y", "invitee-0", "invitee-1", "invitee-2"],
                         [r["profile_url"].rsplit("/", 1)[1] for r in st["sent"]])
        # /_reset forgets it all
        self.s.reset()
        self.assertEqual([], self.s.state(account=acc)["withdrawn"])
        self.assertEqual(3, len(self.s.state(account=acc)["sent"]))

    def test_accept_and_decline(self):
        acc = "acc-ad-inv-4"
        _, _, _, doc = self.s.v2(acc, "list_invitations")
        a, b = doc["data"]["invitations"][:2]
        url_a = a["sender"]["linkedin_url"]
        _, _, _, doc = self.s.v2(acc, "check_invitation", {"profile_url": url_a})
        self.assertEqual(("PENDING", "RECEIVED"), (doc["data"]["invitation_state"], doc["data"]["invitation_type"]))
        self.assertV2Error(self.s.v2(acc, "accept", {"entity_urn": a["entity_urn"], "shared_secret": "wrong"}),
                           400, "INVALID_PARAMS")
        _, _, _, doc = self.s.v2(acc, "accept", {"entity_urn": a["entity_urn"], "shared_secret": a["shared_secret"]})
        self.assertEqual({}, doc["data"])
        self.assertEqual(1, doc["metadata"]["credits_consumed"])
        _, _, _, doc = self.s.v2(acc, "decline", {"entity_urn": b["entity_urn"], "shared_secret": b["shared_secret"]})
        self.assertEqual(({}, "decline"), (doc["data"], doc["metadata"]["action"]))
        _, _, _, doc = self.s.v2(acc, "check_invitation", {"profile_url": url_a})
        self.assertEqual(DOC["check_invitation"], doc["data"])
        self.assertV2Error(self.s.v2(acc, "invite", {"profile_url": url_a}), 400, "INVALID_PARAMS",
                           "already connected")
        _, _, _, doc = self.s.v2(acc, "list_invitations")
        self.assertEqual(2, doc["data"]["total_available_results"])
        st = self.s.state(account=acc)
        self.assertEqual(([url_a], 2), (st["connected"], len(st["received"])))


class TestFaults(Base):
    ACC = "acc-f"

    def invite(self, who, **kw):
        return self.s.v2(self.ACC, "invite", {"identifier": who}, **kw)

    def sent_slugs(self):
        return [r["profile_url"].rsplit("/", 1)[1] for r in self.s.state(account=self.ACC)["sent"]]

    def test_apply_then_stall(self):
        self.s.fault({"kind": "apply_then_stall", "delay": 1.5, "match": {"action": "invite"}})
        self.assertEqual(200, self.s.v2(self.ACC, "list_sent")[0])  # not an invite: untouched
        with self.assertRaises(socket.timeout):
            self.invite("stalled", timeout=0.4)
        self.assertEqual("stalled", self.sent_slugs()[0])  # it happened
        e = self.s.log()[-1]
        self.assertEqual(("apply_then_stall", True, "invite"), (e["fault"], e["applied"], e["action"]))

    def test_apply_then_500_and_close(self):
        self.s.fault({"kind": "apply_then_500", "match": {"action": "invite"}})
        self.assertV2Error(self.invite("five-hundred"), 500, "INTERNAL_ERROR")
        self.assertEqual("five-hundred", self.sent_slugs()[0])
        self.s.fault({"kind": "apply_then_close"})
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionResetError)):
            self.invite("closed")
        self.assertEqual("closed", self.sent_slugs()[0])
        # v1
        self.s.fault({"kind": "apply_then_500", "path": "/v1/network/withdraw-invitation"})
        _, _, _, doc = self.s.v1("sent-invitations", {"login_token": "tok-f", "total_results": 1})
        inv = str(doc["data"]["invitations"][0]["invitation_id"])
        st, _, _, doc = self.s.v1("withdraw-invitation", {"login_token": "tok-f", "invitation_id": inv})
        self.assertEqual((500, "error"), (st, doc["status"]))
        self.assertEqual([inv], self.s.state(token="tok-f")["withdrawn"])
        log = self.s.log()
        self.assertEqual([("apply_then_500", True), ("apply_then_close", True), (None, True),
                          ("apply_then_500", True)], [(e["fault"], e["applied"]) for e in log])
        self.assertEqual(4, self.s.stats()["credits"])

    def test_refuse(self):
        self.s.fault({"kind": "refuse"})
        with self.assertRaises((ConnectionResetError, http.client.RemoteDisconnected, BrokenPipeError)):
            self.invite("refused")
        self.s.fault({"kind": "refuse", "match": {"action": "invite"}})
        with self.assertRaises((ConnectionResetError, http.client.RemoteDisconnected, BrokenPipeError)):
            self.invite("refused")
        self.assertNotIn("refused", self.sent_slugs())
        self.assertEqual(200, self.invite("refused")[0])
        log = self.s.log()
        self.assertEqual([("refuse", False, 0), ("refuse", False, 0), (None, True, 200)],
                         [(e["fault"], e["applied"], e["status"]) for e in log])

    def test_refuse_sends_a_reset(self):
        self.s.fault({"kind": "refuse"})
        sock = socket.create_connection(("127.0.0.1", self.s.port), timeout=5)
        body = b'{"account_id":"a","action":"list_sent"}'
        sock.sendall(b"POST /v2/network HTTP/1.1\r\nHost: x\r\nx-api-key: test-k\r\nContent-Length: %d\r\n\r\n"
                     % len(body) + body)
        with self.assertRaises(ConnectionResetError):
            while sock.recv(1024):
                pass
        sock.close()

    def test_times_forever_and_match(self):
        self.s.fault({"kind": "v2_error", "status": 503, "code": "INTERNAL_ERROR", "times": -1,
                      "match": {"action": "check_invitation"}})
        for _ in range(4):
            self.assertEqual(503, self.s.v2(self.ACC, "check_invitation", {"identifier": "x"})[0])
        self.assertEqual(200, self.s.v2(self.ACC, "list_sent")[0])
        self.s.reset()
        self.assertEqual(200, self.s.v2(self.ACC, "check_invitation",
                                        {"profile_url": "https://www.linkedin.com/in/x"})[0])

    def test_every_request_logged_once(self):
        self.s.config({"rate_limit": {"requests": 3, "per": 60}})
        self.s.fault([{"kind": "refuse", "match": {"action": "list_sent"}}, {"kind": "truncated"}])
        for action in ("list_sent", "list_invitations", "list_sent", "list_sent"):
            try:
                self.s.v2(self.ACC, action)
            except (OSError, http.client.HTTPException):
                pass
        log = self.s.log()
        self.assertEqual([1, 2, 3, 4], [e["seq"] for e in log])
        self.assertEqual([("refuse", False, False), ("truncated", True, False), (None, True, False),
                          (None, False, True)], [(e["fault"], e["applied"], e["rate_limited"]) for e in log])


class TestStrict(Base):
    def test_v2(self):
        self.assertV2Error(self.s.request("POST", "/v2/network", {"account_id": "a", "action": "list_sent",
                                                                  "country": "FR"}), 400, "INVALID_PARAMS", "country")
        self.assertV2Error(self.s.v2("a", "list_sent", {"limit": 5}), 400, "INVALID_PARAMS", "params.limit")
        self.assertV2Error(self.s.v2("a", "list_connections", {"count": "5"}), 400, "INVALID_PARAMS", "count")
        self.assertV2Error(self.s.v2("a", "withdraw", {"invitation_id": 7453486530700017665}), 400,
                           "INVALID_PARAMS", "invitation_id")
        self.assertV2Error(self.s.v2("a", "withdraw", {}), 400, "INVALID_PARAMS", "params.invitation_id")
        self.assertV2Error(self.s.v2("a", "accept", {"entity_urn": "urn:li:invitation:1"}), 400, "INVALID_PARAMS",
                           "shared_secret")
        self.assertV2Error(self.s.v2("a", "invite", {}), 400, "INVALID_PARAMS", "profile_url")
        self.assertV2Error(self.s.v2("a", "invite", {"profile_url": "https://example.com/in/x"}), 400,
                           "INVALID_PARAMS", "profile_url")
        self.assertV2Error(self.s.v2("a", "list_sent", {"invitation_type": "PEOPLE"}), 400, "INVALID_PARAMS",
                           "invitation_type")
        self.assertV2Error(self.s.v2("a", "poke"), 400, "INVALID_ACTION")
        self.assertV2Error(self.s.request("POST", "/v2/network", {"account_id": "a"}), 400, "INVALID_PARAMS",
                           "action")
        self.assertV2Error(self.s.request("POST", "/v2/network", {"account_id": 5, "action": "list_sent"}), 400,
                           "INVALID_PARAMS", "account_id")
        self.assertV2Error(self.s.v2("acc-inactive", "invite", {"identifier": "x"}), 403, "ACCOUNT_INACTIVE")
        # the existing calls still pass, an empty params array included (Lua cannot tell {} from [])
        self.assertEqual(200, self.s.request("POST", "/v2/network", {"account_id": "a", "action": "recommendations",
                                                                     "params": []})[0])
        self.assertEqual(1, self.s.stats()["credits"])

    def test_v1(self):
        self.assertV1Error(self.s.v1("connections", {"login_token": "t", "count": 5}), "Unknown parameter: count")
        self.assertV1Error(self.s.v1("invitations", {"login_token": "t", "start_page": "1"}), "start_page")
        self.assertV1Error(self.s.v1("invitations", {"login_token": "t", "end_page": 2}), "end_page")
        self.assertV1Error(self.s.v1("invitations", {"login_token": "t", "total_results": 0}), "total_results")
        self.assertV1Error(self.s.v1("sent-invitations", {"login_token": "t", "invitation_type": "X"}),
                           "invitation_type")
        self.assertV1Error(self.s.v1("invitation-status", {"login_token": "t"}),
                           "Missing required parameter: linkedin_url")
        self.assertV1Error(self.s.v1("accept-invitation", {"login_token": "t", "entity_urn": 5,
                                                           "shared_secret": "x"}), "entity_urn")
        self.assertV1Error(self.s.v1("invitations", {}), "Missing required parameter: login_token")
        self.assertV1Error(self.s.v1("invitations", {"login_token": "tok-expired"}), "Invalid or expired")
        self.assertV1Error(self.s.v1("connect", {"login_token": "t"}), "Not found", status=404)
        self.assertV1Error(self.s.v1("connections", {"login_token": "t", "country": ["FR"]}), "Invalid country")

    def test_v1_huge_ranges_answer_at_once(self):
        for body in ({"total_results": 10 ** 9}, {"start_page": 1, "end_page": 10 ** 9}):
            _, _, _, doc = self.s.v1("connections", dict(body, login_token="tok-size-25"), timeout=3)
            self.assertEqual(25, doc["data"]["total_results"])
        self.assertEqual(3 + 3, self.s.stats()["credits"])  # what was returned, not what was asked


class TestStats(Base):
    def test_credits_and_times(self):
        self.s.v2("acc-size-120", "list_connections", {"count": 120})           # 3 (1 per 50 returned)
        self.s.v2("acc-main", "list_sent", {"count": 51})                        # 2 (1 per 50 asked)
        self.s.v2("acc-main", "recommendations", {"count": 25})                  # 3 (1 per 10)
        self.s.v2("acc-main", "poke")                                            # error: 0
        self.s.request("GET", "/v2/accounts")                                    # 0
        self.s.v1("connections", {"login_token": "t", "start_page": 2, "end_page": 4})  # 3 pages
        self.s.v1("invitations", {"login_token": "t", "total_results": 25})       # 3 (1 per 10)
        self.s.v1("invitation-status", {"login_token": "t", "linkedin_url": "https://www.linkedin.com/in/q"})  # 1
        self.s.v1("withdraw-invitation", {"login_token": "t", "invitation_id": "1"})  # error: 0
        st = self.s.stats()
        self.assertEqual(3 + 2 + 3 + 3 + 3 + 1, st["credits"])
        self.assertEqual([3, 2, 3, 0, 0, 3, 3, 1, 0], [e["credits"] for e in self.s.log()])
        self.assertLess(st["t_first"], st["t_last"])
        self.assertEqual(9, st["requests"])


if __name__ == "__main__":
    unittest.main()
