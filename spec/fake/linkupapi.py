#!/usr/bin/env python3
"""A fake LinkupAPI for linkup's specs, benchmarks and `make demo`.

A real HTTP/1.1 server on 127.0.0.1 (keep-alive, gzip, one thread per
connection) serving LinkupAPI's v1 and v2 network family and v2 accounts in
the documented shapes, over generated data with per-account state, with a
request log, a rate limiter, latency, lying data and fault switches.
Standard library only. See spec/fake/README.md.

Sections: 1 generated data, 2 configuration, 3 rate limiter, 4 faults,
5 invitation state, 6 lies and pagination, 7 server state and log,
8 the HTTP handler (plumbing, control endpoints, the request's life),
9 the API (routing, v1, v2 network, v2 accounts), 10 main.
"""
import argparse
import copy
import gzip
import hashlib
import json
import math
import os
import random
import re
import signal
import socket
import struct
import sys
import threading
import time
import traceback
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlparse

START = time.monotonic()


def mono():
    """Seconds since the server started (time.monotonic based)."""
    return time.monotonic() - START


# ===========================================================================
# 1. Generated data: deterministic, from an item's index
# ===========================================================================

COUNTRIES = {"US", "UK", "FR", "DE", "NL", "IT", "IL", "CA", "BR", "ES", "IN"}
V1_PAGE = {"connections": 10, "recommendations": 25, "invitations": 10, "sent-invitations": 10}

FIRST = ["Linda Källqvist", "José Ñúñez", "Zoë Ämbre", "Sam 🚀 Lee", 'Dwayne "The Rock" Johnson',
         "Back\\slash Bob", "Line\nBreak", "王小明", "Smith, Jane", "Ada Lovelace", "Grace Hopper",
         "Émile Zola-Østergård", "Tab\tTom", "Ünïcödé 💼 Ørsted"]
TITLES = ["Planhat - VP Customer Success", "Founder @ Acme Corp — AI recruiting platform",
          'Head of "Growth", EMEA', "Engineer, Platform & Infra", "Student at École 42 🚀",
          "Title with\na newline", "CTO | Builder | Speaker", "Back\\slash engineer"]
MESSAGES = [None, "Hi, I'd like to join your network.", None,
            'Loved your talk on "scaling" — let\'s connect!\nCheers', "", "Bonjour 👋 \\o/"]
INVITATION_TYPES = ("CONNECTION", "ORGANIZATION", "CONTENT_SERIES")

# Invitation ids are 19 digits, from the docs' own examples upward; neither
# example is a double (they read back as ...328 and ...664).
RECV_BASE = 7331558767219683329
SENT_BASE = 7453486530700017665
ID_STEP = 4099  # with this step no id of a list under 341 items is a double, and none rounds onto another


def invitation_id(base, j, bigint):
    """The id of item j. With the bigint lie ids come in pairs: an even item's
    id is odd (not a double) and rounds to its odd neighbour's exact id, so a
    client that rounds withdraws the wrong, still pending, invitation."""
    if not bigint:
        return base + ID_STEP * j
    exact = (base // 1024 + 1) * 1024 + 4096 * (j // 2)
    return exact + 1 if j % 2 == 0 else exact


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


def connection_at(i, head, version):
    """Item i of a connection list with `head` new people at its head (the
    lists come newest first): new-<j> first, then person-<i - head>."""
    if i < head:
        c = connection(10 ** 6 + head - 1 - i, version)
        c["profile_url"] = f"https://www.linkedin.com/in/new-{head - 1 - i}/"
        return c
    return connection(i - head, version)


def items(kind, version, start, count, n):
    make = connection if kind == "connections" else recommendation
    return [make(i, version) for i in range(max(0, start), min(start + count, n))]


def number_in(ident, word, default):
    """N from `word-N` in an account id or login token (size-50, inv-30, sent-145, lat-2000)."""
    m = re.search(word + r"-(\d+)", ident or "")
    return int(m.group(1)) if m else default


def size_of(ident, default):
    return number_in(ident, "size", default)


def digest(*parts):
    return hashlib.sha256("\x00".join(str(p) for p in parts).encode()).hexdigest()


def key_hash(key):
    """What the log shows of an x-api-key: never the key itself."""
    return None if key is None else digest("key", key)[:10]


def secret_for(version, inv_id):
    h = digest("secret", version, inv_id)
    if version == 1:  # short and opaque, like "9gAd0GPh"
        alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        n = int(h, 16)
        return "".join(alphabet[(n >> (6 * k)) % 62] for k in range(8))
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"  # UUID-like


def person(slug, name, headline, picture):
    return {"slug": slug, "name": name, "headline": headline, "picture": picture}


def received_record(j, version, bigint):
    inv = invitation_id(RECV_BASE, j, bigint)
    r = person(f"inviter-{j}", f"{FIRST[(j + 5) % len(FIRST)]} #{j}", TITLES[(j + 2) % len(TITLES)],
               None if j % 6 == 4 else f"https://media.licdn.com/dms/image/v2/inviter-{j}/p.jpg")
    r.update(id=inv, secret=secret_for(version, inv), days=1 + (j * 5) // 3, message=MESSAGES[j % len(MESSAGES)],
             mutual=None if j % 5 == 3 else 1 + (j * 7) % 40, type="CONNECTION")
    return r


def sent_record(j, version, bigint):
    inv = invitation_id(SENT_BASE, j, bigint)
    r = person(f"invitee-{j}", f"{FIRST[(j + 9) % len(FIRST)]} #{j}", TITLES[(j + 5) % len(TITLES)],
               None if j % 7 == 5 else f"https://media.licdn.com/dms/image/v2/invitee-{j}/p.jpg")
    r.update(id=inv, secret=secret_for(version, inv), days=1 + (j * 7) // 5,
             message=MESSAGES[(j + 1) % len(MESSAGES)], mutual=None, type="CONNECTION")
    return r


def person_from_slug(slug):
    """A plausible person for any public identifier (for invite)."""
    words = [w for w in re.split(r"[-_]+", unquote(slug)) if w and not re.fullmatch(r"[0-9a-f]{6,}", w)]
    name = " ".join(w[:1].upper() + w[1:] for w in words) or slug
    h = int(digest("person", slug)[:8], 16)
    return person(slug, name, TITLES[h % len(TITLES)], f"https://media.licdn.com/dms/image/v2/{slug}/p.jpg")


def split_name(name):
    first, _, last = name.partition(" ")
    return first, last


def profile_url(slug):
    return f"https://www.linkedin.com/in/{slug}"


def urn(version, inv_id):
    return f"urn:li:fsd_invitation:{inv_id}" if version == 1 else f"urn:li:invitation:{inv_id}"


def ago_v1(days, sent):
    if days <= 0:
        text = "today"
    elif days == 1:
        text = "yesterday" if sent else "1 day ago"
    elif days < 7:
        text = f"{days} days ago"
    elif days < 30:
        w = days // 7
        text = "1 week ago" if w == 1 else f"{w} weeks ago"
    elif days < 365:
        m = days // 30
        text = "1 month ago" if m == 1 else f"{m} months ago"
    else:
        text = f"{days // 365} years ago" if days >= 730 else "1 year ago"
    return ("Sent " + text) if sent else (text[:1].upper() + text[1:] if days <= 0 else text)


def ago_v2(days):
    if days < 7:
        return f"{days}d"
    if days < 30:
        return f"{days // 7}w"
    return f"{days // 30}mo"


def v1_received_item(r):
    mutual = r["mutual"]
    return {"name": r["name"], "profile_url": profile_url(r["slug"]), "subtitle": r["headline"],
            "sent_time": ago_v1(r["days"], False), "message": r["message"],
            "invitation_id": r["id"],  # a bare JSON number, as the real API sends it
            "shared_secret": r["secret"],
            "shared_connections": None if mutual is None else
            ("1 mutual connection" if mutual == 1 else f"{mutual} mutual connections"),
            "invitation_state": "PENDING", "entity_urn": urn(1, r["id"]), "profile_picture": r["picture"]}


def v1_sent_item(r):
    return {"name": r["name"], "profile_url": profile_url(r["slug"]), "subtitle": r["headline"],
            "sent_time": ago_v1(r["days"], True), "invitation_id": r["id"], "invitation_state": "PENDING",
            "message": r["message"], "entity_urn": urn(1, r["id"]), "profile_picture": r["picture"],
            "invitation_type": r["type"]}


def v2_received_item(r):
    first, last = split_name(r["name"])
    return {"entity_urn": urn(2, r["id"]), "shared_secret": r["secret"],
            "sender": {"first_name": first, "last_name": last, "headline": r["headline"],
                       "linkedin_url": profile_url(r["slug"]), "profile_picture_url": r["picture"]},
            "invitation_type": r["type"], "sent_time": ago_v2(r["days"]), "sent_time_days": r["days"]}


def v2_sent_item(r):
    first, last = split_name(r["name"])
    return {"entity_urn": urn(2, r["id"]),
            "recipient": {"first_name": first, "last_name": last, "headline": r["headline"],
                          "linkedin_url": profile_url(r["slug"]), "profile_picture": r["picture"]},
            "invitation_type": r["type"], "sent_time": ago_v2(r["days"]), "sent_time_days": r["days"]}


RENDER = {(1, "received"): v1_received_item, (1, "sent"): v1_sent_item,
          (2, "received"): v2_received_item, (2, "sent"): v2_sent_item}

ACCOUNT_CREATED = 1760517000  # 2025-10-15T08:30:00Z
ACCOUNT_UPDATED = 1774016520  # 2026-03-20T14:22:00Z


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def account(k):
    """The key's k-th account (from 0): acc-main, acc-2, acc-3-inactive, ..."""
    inactive = k % 3 == 2
    ident = "acc-main" if k == 0 else f"acc-{k + 1}" + ("-inactive" if inactive else "")
    return account_doc(ident, FIRST[k % len(FIRST)], not inactive, sorted(COUNTRIES)[k % len(COUNTRIES)], k)


def account_doc(ident, name, active, country, k):
    return {"account_id": ident, "platform": "linkedin", "account_name": name, "is_active": active,
            "status": "active" if active else "inactive", "country": country,
            "created_at": iso(ACCOUNT_CREATED + 3 * 86400 * k), "updated_at": iso(ACCOUNT_UPDATED + 3600 * k)}


def account_by_id(ident, n):
    for k in range(n):
        a = account(k)
        if a["account_id"] == ident:
            return a
    h = int(digest("account", ident)[:6], 16)
    return account_doc(ident, "Account " + ident, "inactive" not in ident, sorted(COUNTRIES)[h % 11], h % 100)


def now_iso():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def is_int(x):
    return type(x) is int


# ===========================================================================
# 2. Configuration: command-line values, changed by POST /_config, restored
#    by POST /_reset
# ===========================================================================

LIE_CHOICES = {"credits": {"negative": -5, "fractional": 1.5, "string": "2", "huge": 1e300},
               "total": {"fraction": 12.5, "negative": -1, "string": "100", "huge": 1e300}}


class ConfigError(ValueError):
    pass


def parse_rate_limit(v):
    """`N/W` (or `N/W/fixed`) from the command line, or the /_config object."""
    if v is None:
        return None
    if isinstance(v, str):
        parts = v.split("/")
        if len(parts) not in (2, 3):
            raise ConfigError("rate limit must be N/W or N/W/fixed")
        v = {"requests": int(parts[0]), "per": float(parts[1])}
        if len(parts) == 3:
            v["mode"] = parts[2]
    if not isinstance(v, dict):
        raise ConfigError("rate_limit must be an object or null")
    extra = set(v) - {"requests", "per", "mode", "retry_after"}
    if extra:
        raise ConfigError("unknown rate_limit field(s): " + ", ".join(sorted(extra)))
    out = {"requests": v.get("requests"), "per": v.get("per", 1), "mode": v.get("mode", "sliding"),
           "retry_after": v.get("retry_after")}
    if not is_int(out["requests"]) or out["requests"] < 1:
        raise ConfigError("rate_limit.requests must be an integer >= 1")
    if type(out["per"]) not in (int, float) or out["per"] <= 0:
        raise ConfigError("rate_limit.per must be a number > 0")
    if out["mode"] not in ("sliding", "fixed"):
        raise ConfigError("rate_limit.mode must be sliding or fixed")
    ra = out["retry_after"]
    if not (ra is None or ra == "date" or (type(ra) in (int, float) and ra >= 0)):
        raise ConfigError('rate_limit.retry_after must be null, a number of seconds or "date"')
    return out


def check_lie(lie):
    if not isinstance(lie, dict):
        raise ConfigError("lie must be an object")
    for name, v in lie.items():
        ok = True
        if name == "stale_total":
            ok = is_int(v)
        elif name == "moving_total":
            ok = isinstance(v, list) and len(v) == 2 and all(is_int(x) for x in v) and v[0] <= v[1]
        elif name == "short_pages":
            ok = (isinstance(v, dict) and set(v) <= {"drop", "next"} and is_int(v.get("drop")) and v["drop"] >= 0
                  and v.get("next", "shift") in ("shift", "skip"))
        elif name in ("ignore_offset", "no_profile_url", "bigint"):
            ok = isinstance(v, bool)
        elif name == "overlap":
            ok = is_int(v) and v >= 0
        elif name == "v1_page_size":
            ok = is_int(v) and v >= 1
        elif name in LIE_CHOICES:
            ok = v in LIE_CHOICES[name]
        else:
            raise ConfigError("unknown lie " + json.dumps(name))
        if not ok:
            raise ConfigError("bad value for lie " + name + ": " + json.dumps(v))
    return {k: v for k, v in lie.items() if v is not False}


class Config:
    """The switches a spec may change at run time. `base` holds the
    command-line values; /_reset goes back to them."""

    def __init__(self, args):
        self.lock = threading.Lock()
        self.base = {"latency": args.latency, "latency_jitter": args.latency_jitter,
                     "rate_limit": parse_rate_limit(args.rate_limit), "lie": check_lie(json.loads(args.lie or "{}"))}
        if self.base["rate_limit"] and args.retry_after is not None:
            self.base["rate_limit"]["retry_after"] = "date" if args.retry_after == "date" else float(args.retry_after)
        self.reset()

    def reset(self):
        with self.lock:
            self.cur = copy.deepcopy(self.base)

    def get(self, name):
        with self.lock:
            return self.cur[name]

    def snapshot(self):
        with self.lock:
            return copy.deepcopy(self.cur)

    def update(self, doc):
        """Applies a /_config object; returns the names changed. All or nothing."""
        if not isinstance(doc, dict):
            raise ConfigError("config must be an object")
        new = {}
        for name, v in doc.items():
            if name in ("latency", "latency_jitter"):
                if type(v) not in (int, float) or v < 0:
                    raise ConfigError(name + " must be a number >= 0")
                new[name] = float(v)
            elif name == "rate_limit":
                new[name] = parse_rate_limit(v)
            elif name == "lie":
                new[name] = check_lie(v if v is not None else {})
            else:
                raise ConfigError("unknown config field " + json.dumps(name))
        with self.lock:
            self.cur.update(new)
        return set(new)


# ===========================================================================
# 3. Rate limiter: per API key, on each request's arrival time
# ===========================================================================

class RateLimiter:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.seen = {}  # key -> sliding: sorted admitted arrival times; fixed: [window, count]

    def admit(self, key, t, rl):
        """(True, None) if admitted (and counted), else (False, seconds until a slot frees)."""
        n, per = rl["requests"], float(rl["per"])
        with self.lock:
            if rl["mode"] == "fixed":
                window = int(t // per)
                w = self.seen.get(key)
                if not w or w[0] != window:
                    w = self.seen[key] = [window, 0]
                if w[1] >= n:
                    return False, (window + 1) * per - t
                w[1] += 1
                return True, None
            log = self.seen.setdefault(key, [])
            cut = 0
            while cut < len(log) and t - log[cut] >= per:  # strictly older than W seconds: out of the window
                cut += 1
            del log[:cut]
            if len(log) >= n:
                return False, log[len(log) - n] + per - t
            i = len(log)  # arrivals are recorded in order; keep the log sorted if two threads raced
            while i > 0 and log[i - 1] > t:
                i -= 1
            log.insert(i, t)
            return True, None


# ===========================================================================
# 4. Faults: what the next matching request gets instead of its answer
# ===========================================================================

WRITE_FAULTS = ("apply_then_stall", "apply_then_500", "apply_then_close")


class Faults:
    """A fault: {"path": "/v2/network" | "*", "match": {"action": ...}, "times": n (default 1, -1 for
    ever), "skip": k, "every": n, "kind": ...}. `refuse` faults that need no action are taken as
    soon as the headers are read ("pre"), every other fault once the body is ("post")."""

    def __init__(self):
        self.lock = threading.Lock()
        self.list = []

    def reset(self):
        with self.lock:
            self.list = []

    def add(self, docs):
        with self.lock:
            self.list.extend(docs)

    @staticmethod
    def phase(f):
        needs_action = isinstance(f.get("match"), dict) and "action" in f["match"]
        return "pre" if f.get("kind") == "refuse" and not needs_action else "post"

    def take(self, path, action, phase):
        with self.lock:
            for f in self.list:
                if self.phase(f) != phase or f.get("path", "*") not in ("*", path):
                    continue
                m = f.get("match")
                if isinstance(m, dict) and "action" in m and m["action"] != action:
                    continue
                if "every" in f:  # a standing fault: every Nth matching request, forever
                    f["_seen"] = f.get("_seen", 0) + 1
                    if f["_seen"] % int(f["every"]) == 0:
                        return f
                    continue
                if f.get("skip", 0) > 0:
                    f["skip"] -= 1
                    return None
                if f.get("times", 1) < 0:  # stays until /_reset
                    return f
                f["times"] = f.get("times", 1) - 1
                if f["times"] <= 0:
                    self.list.remove(f)
                return f
        return None


# ===========================================================================
# 5. Invitation state: one Book per v2 account or v1 login token
# ===========================================================================

class Refusal(Exception):
    """A request the API refuses: message (and, for v2, code and status)."""

    def __init__(self, message, code="INVALID_PARAMS", status=400):
        super().__init__(message)
        self.message, self.code, self.status = message, code, status


def slug_of(url):
    """The public identifier of a LinkedIn profile URL, or None."""
    m = re.fullmatch(r"https?://(?:[a-z]{2,3}\.)?linkedin\.com/in/([^/?#\s]+)/?(?:[?#].*)?", url or "")
    return unquote(m.group(1)).lower() if m else None


class Book:
    """An account's (v2) or a token's (v1) invitations, newest first, and who
    became a connection since. Ids are fixed when the book is first built."""

    def __init__(self, version, ident, bigint, connections):
        self.version, self.ident = version, ident
        self.received = [received_record(j, version, bigint) for j in range(number_in(ident, "inv", 26))]
        self.sent = [sent_record(j, version, bigint) for j in range(number_in(ident, "sent", 145))]
        self.n_connections = size_of(ident, connections)
        self.connected = []  # slugs accepted since the reset
        self.withdrawn, self.accepted, self.declined = [], [], []
        self.next_id = max([r["id"] for r in self.sent + self.received] + [SENT_BASE]) + ID_STEP

    def is_connection(self, slug):
        m = re.fullmatch(r"person-(\d+)", slug)
        if m and str(int(m.group(1))) == m.group(1) and int(m.group(1)) < self.n_connections:
            return True
        return slug in self.connected

    def relation(self, slug):
        """check_invitation / invitation-status."""
        if self.is_connection(slug):
            return {"invitation_state": "ACCEPTED", "invitation_type": "CONNECTED", "invitation_id": None,
                    "member_distance": 1, "message": "You are connected with this person"}
        for r in self.sent:
            if r["slug"] == slug:
                return {"invitation_state": "PENDING", "invitation_type": "SENT", "invitation_id": str(r["id"]),
                        "member_distance": 2, "message": "Invitation sent, pending"}
        for r in self.received:
            if r["slug"] == slug:
                return {"invitation_state": "PENDING", "invitation_type": "RECEIVED",
                        "invitation_id": str(r["id"]), "member_distance": 2,
                        "message": "This person has invited you"}
        return {"invitation_state": "NO_INVITATION", "invitation_type": None, "invitation_id": None,
                "member_distance": 2, "message": "No invitation with this person"}

    def invite(self, slug, message):
        if self.is_connection(slug):
            raise Refusal("already connected with " + slug)
        if any(r["slug"] == slug for r in self.sent):
            raise Refusal("already invited: an invitation to " + slug + " is pending")
        if any(r["slug"] == slug for r in self.received):
            raise Refusal("already invited: " + slug + " has invited you, accept it instead")
        r = person_from_slug(slug)
        r.update(id=self.next_id, secret=secret_for(self.version, self.next_id), days=0, message=message,
                 mutual=None, type="CONNECTION")
        self.next_id += ID_STEP
        self.sent.insert(0, r)
        return r

    def take_received(self, entity_urn, shared_secret, accept):
        for k, r in enumerate(self.received):
            if urn(self.version, r["id"]) == entity_urn and r["secret"] == shared_secret:
                del self.received[k]
                if accept:
                    self.accepted.append(str(r["id"]))
                    self.connected.append(r["slug"])
                else:
                    self.declined.append(str(r["id"]))
                return r
        raise Refusal("no pending invitation matches this entity_urn and shared_secret")

    def withdraw(self, inv_id):
        for k, r in enumerate(self.sent):
            if str(r["id"]) == inv_id:
                del self.sent[k]
                self.withdrawn.append(inv_id)
                return r
        raise Refusal("no pending sent invitation has invitation_id " + inv_id)

    def listing(self, which, invitation_type=None):
        rows = self.received if which == "received" else self.sent
        return [r for r in rows if invitation_type is None or r["type"] == invitation_type]

    def state(self):
        def row(r, secret):
            d = {"invitation_id": str(r["id"]), "entity_urn": urn(self.version, r["id"]),
                 "profile_url": profile_url(r["slug"]), "name": r["name"], "invitation_type": r["type"],
                 "sent_time_days": r["days"]}
            if secret:
                d["shared_secret"] = r["secret"]
            return d
        return {"version": self.version, "received": [row(r, True) for r in self.received],
                "sent": [row(r, False) for r in self.sent],
                "connected": [profile_url(s) for s in self.connected],
                "accepted": self.accepted, "declined": self.declined, "withdrawn": self.withdrawn}


class Books:
    def __init__(self, args, config):
        self.args, self.config = args, config
        self.lock = threading.Lock()
        self.books = {}

    def reset(self):
        with self.lock:
            self.books = {}

    def get(self, version, ident):
        """Call with self.lock held."""
        b = self.books.get((version, ident))
        if b is None:
            b = self.books[(version, ident)] = Book(version, ident, bool(self.config.get("lie").get("bigint")),
                                                    self.args.connections)
        return b


# ===========================================================================
# 6. Lies and pagination: which items a page holds, and what it says
# ===========================================================================

def v2_page(n, offset, count, lie):
    """(indices served, next_offset, has_more) for an offset page of a list of n."""
    start = 0 if lie.get("ignore_offset") else max(0, offset - lie.get("overlap", 0))
    served = list(range(start, min(start + count, n)))
    truthful = max(0, min(offset + count, n) - offset)
    short = lie.get("short_pages")
    if short and short["drop"]:
        if short.get("next", "shift") == "shift":  # at most count - k (at least 1): the rest comes later
            served = served[:max(1, count - short["drop"])]
        else:  # the page's last k are lost
            served = served[:max(0, len(served) - short["drop"])]
    if lie.get("ignore_offset"):
        return served, offset + len(served), True
    if short and short.get("next", "shift") == "shift":
        nxt = offset + len(served)
    else:
        nxt = offset + truthful
    return served, nxt, nxt < n


def v1_page(p, per, n, lie):
    """Indices of v1 page p (from 1) of a list of n."""
    if lie.get("ignore_offset"):
        p = 1
    drop = 0
    short = lie.get("short_pages")
    if short and short["drop"]:
        drop = min(short["drop"], per)
    if drop and short.get("next", "shift") == "shift":
        start, length = (p - 1) * (per - drop), per - drop
    else:
        start, length = (p - 1) * per, per - drop
    start = max(0, start - lie.get("overlap", 0))
    return list(range(start, min(start + length, n)))


def v1_pages(first, last, lie):
    """The page numbers of a v1 request; under ignore_offset (every page is
    page 1, never empty) at most 1000 of them."""
    if lie.get("ignore_offset"):
        last = min(last, first + 999)
    return range(first, last + 1)


def total_said(n, lie, rng):
    """What total_available_results says of a list of n."""
    t = n
    if "stale_total" in lie:
        t = lie["stale_total"]
    if "moving_total" in lie:
        t = rng.randint(*lie["moving_total"])
    if "total" in lie:
        t = LIE_CHOICES["total"][lie["total"]]
    return t


def strip_urls(item):
    item = dict(item)
    item.pop("profile_url", None)
    item.pop("linkedin_url", None)
    for k in ("sender", "recipient"):
        if isinstance(item.get(k), dict):
            item[k] = {a: b for a, b in item[k].items() if a != "linkedin_url"}
    return item


# ===========================================================================
# 7. Server state: counters, the request log, the random sources
# ===========================================================================

class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.config = Config(args)
        self.limiter = RateLimiter()
        self.faults = Faults()
        self.books = Books(args, self.config)
        self.inflight = 0
        self.open = 0
        self.connections = 0
        self.reset()

    def reset(self):
        self.config.reset()
        self.limiter.reset()
        self.faults.reset()
        self.books.reset()
        with self.lock:
            self.log = []
            self.seq = 0
            self.requests = 0
            self.connections = 0
            self.max_inflight = self.inflight
            self.bytes_sent = 0
            self.api_conns = set()
            self.rate_limited = 0
            self.credits = 0
            self.t_first = self.t_last = None
            self.jitter_rng = random.Random(self.args.seed)
            self.total_rng = random.Random(self.args.seed + 1)

    def arrive(self, entry, conn_id):
        """Counts an API request in and logs it at once (its fields fill in later)."""
        with self.lock:
            self.inflight += 1
            self.max_inflight = max(self.max_inflight, self.inflight)
            self.api_conns.add(conn_id)
            entry["inflight"] = self.inflight
            self.requests += 1
            self.seq += 1
            entry["seq"] = self.seq
            if self.t_first is None:
                self.t_first = entry["t_arrival"]
            self.t_last = entry["t_arrival"]
            if self.args.quiet_log:
                return
            self.log.append(entry)
            if len(self.log) > self.args.log_limit:
                del self.log[: len(self.log) - self.args.log_limit]

    def leave(self):
        with self.lock:
            self.inflight -= 1

    def jitter(self):
        j = self.config.get("latency_jitter")
        if j <= 0:
            return 0.0
        with self.lock:
            return self.jitter_rng.uniform(0, j)

    def total(self, n, lie):
        with self.lock:
            return total_said(n, lie, self.total_rng)


class Reply:
    """An answer before it is sent: faults may delay, replace or drop it."""

    def __init__(self, status, body, ctype="application/json", headers=None, applied=False, credits=0,
                 compress=True):
        self.status, self.body, self.ctype, self.headers = status, body, ctype, dict(headers or {})
        self.applied, self.credits, self.compress = applied, credits, compress


def json_reply(status, doc, **kw):
    return Reply(status, json.dumps(doc, ensure_ascii=False), **kw)


def v1_error(message, status=200):
    return json_reply(status, {"status": "error", "message": message})


def v2_error(status, code, message, action=None, account=None, headers=None):
    return json_reply(status, {"success": False, "error": {"code": code, "message": message},
                               "metadata": {"action": action, "account_id": account,
                                            "credits_consumed": 0, "timestamp": now_iso()}}, headers=headers)


def from_refusal(e, v1, action=None, account=None):
    return v1_error(e.message) if v1 else v2_error(e.status, e.code, e.message, action, account)


# ===========================================================================
# 8. The HTTP handler: plumbing, control endpoints, the life of a request
# ===========================================================================

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
        except OSError:
            pass
        finally:
            with STATE.lock:
                STATE.open -= 1

    # ---- plumbing -------------------------------------------------------

    def gzip_ok(self):
        return not STATE.args.no_gzip and "gzip" in (self.headers.get("Accept-Encoding") or "")

    def render(self, status, body, ctype="application/json", headers=None, compress=True):
        """(head bytes, body bytes) of an answer."""
        if isinstance(body, str):
            body = body.encode("utf-8")
        extra = dict(headers or {})
        if compress and self.gzip_ok():
            body = gzip.compress(body, compresslevel=5)
            extra["Content-Encoding"] = "gzip"
        with STATE.lock:
            STATE.bytes_sent += len(body)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra.items():
            self.send_header(k, v)
        self._headers_buffer.append(b"\r\n")
        head = b"".join(self._headers_buffer)
        self._headers_buffer = []
        return head, body

    def send_raw(self, status, body, ctype="application/json", headers=None, compress=True):
        head, body = self.render(status, body, ctype, headers, compress)
        self.wfile.write(head + body)
        return status

    def send_reply(self, reply):
        return self.send_raw(reply.status, reply.body, reply.ctype, reply.headers, reply.compress)

    def send_json(self, status, doc, headers=None, compress=True):
        return self.send_raw(status, json.dumps(doc, ensure_ascii=False), headers=headers, compress=compress)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def reset_connection(self):
        """Closes the connection with a RST (SO_LINGER 0), nothing answered."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    def close_quietly(self):
        """Closes the connection (FIN) without an answer."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def dispatch(self, method):
        url = urlparse(self.path)
        if url.path.startswith("/_"):
            try:
                return self.control(method, url, self.read_body())
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True
                return None
        return self.api(method, url)

    # ---- control endpoints ----------------------------------------------

    def control(self, method, url, raw):
        q = parse_qs(url.query)
        p = url.path
        if p == "/_health":
            return self.send_json(200, {"ok": True}, compress=False)
        if p == "/_log":
            since = int(q.get("since", ["0"])[0])
            with STATE.lock:
                out = [dict(e) for e in STATE.log if e["seq"] > since]
            return self.send_json(200, out, compress=False)
        if p == "/_stats":
            with STATE.lock:
                doc = {"requests": STATE.requests, "connections": STATE.connections,
                       "max_inflight": STATE.max_inflight, "bytes_sent": STATE.bytes_sent,
                       "api_connections": len(STATE.api_conns),  # connections that carried API requests
                       "open_connections": STATE.open - 1,  # not counting this control connection
                       "rate_limited": STATE.rate_limited, "credits": STATE.credits,
                       "t_first": STATE.t_first, "t_last": STATE.t_last}
            return self.send_json(200, doc, compress=False)
        if p == "/_reset" and method == "POST":
            STATE.reset()
            return self.send_json(200, {"ok": True}, compress=False)
        if p == "/_fault" and method == "POST":
            try:
                doc = json.loads(raw or b"{}")
            except ValueError:
                return self.send_json(400, {"error": "fault must be JSON"}, compress=False)
            docs = doc if isinstance(doc, list) else [doc]
            if not all(isinstance(f, dict) for f in docs):
                return self.send_json(400, {"error": "a fault is an object"}, compress=False)
            STATE.faults.add(docs)
            return self.send_json(200, {"ok": True}, compress=False)
        if p == "/_config":
            if method == "GET":
                return self.send_json(200, STATE.config.snapshot(), compress=False)
            try:
                changed = STATE.config.update(json.loads(raw or b"{}"))
            except (ValueError, TypeError) as e:
                return self.send_json(400, {"error": str(e)}, compress=False)
            if "rate_limit" in changed:
                STATE.limiter.reset()  # a new limit starts with an empty window
            return self.send_json(200, {"ok": True}, compress=False)
        if p == "/_expected":
            return self.expected(q)
        if p == "/_state":
            if "account" in q:
                version, ident = 2, q["account"][0]
            elif "token" in q:
                version, ident = 1, q["token"][0]
            else:
                return self.send_json(400, {"error": "give account= or token="}, compress=False)
            with STATE.books.lock:
                doc = STATE.books.get(version, ident).state()
            doc["id"] = ident
            return self.send_json(200, doc, compress=False)
        return self.send_json(404, {"error": "no such control endpoint"}, compress=False)

    def expected(self, q):
        kind = q.get("kind", ["connections"])[0]
        version = int(q.get("version", ["2"])[0])
        start = int(q.get("from", ["0"])[0])
        count = int(q.get("count", ["10"])[0])
        if kind in ("connections", "recommendations"):
            n = int(q.get("n", ["0"])[0])
            return self.send_json(200, items(kind, version, start, count, n), compress=False)
        if kind in ("invitations", "sent_invitations"):
            which = "received" if kind == "invitations" else "sent"
            bigint = bool(STATE.config.get("lie").get("bigint"))
            if "account" in q or "token" in q:
                ident = q.get("account", q.get("token"))[0]
                with STATE.books.lock:
                    rows = list(STATE.books.get(version, ident).listing(which))
            else:
                n = int(q["n"][0]) if "n" in q else (26 if which == "received" else 145)
                make = received_record if which == "received" else sent_record
                rows = [make(j, version, bigint) for j in range(n)]
            out = [RENDER[(version, which)](r) for r in rows[max(0, start):max(0, start + count)]]
            if q.get("ids", [""])[0] == "string":
                for it in out:
                    if "invitation_id" in it:
                        it["invitation_id"] = str(it["invitation_id"])
            return self.send_json(200, out, compress=False)
        if kind == "accounts":
            n = int(q["n"][0]) if "n" in q else STATE.args.accounts
            return self.send_json(200, [account(k) for k in range(max(0, start), min(start + count, n))],
                                  compress=False)
        return self.send_json(400, {"error": "unknown kind " + kind}, compress=False)

    # ---- the life of an API request -------------------------------------

    def api(self, method, url):
        t_arrival = mono()
        key = self.headers.get("x-api-key")
        entry = {"seq": None, "method": method, "path": url.path, "conn": self.conn_id, "fault": None,
                 # the headers as received (specs check what the client sent; the key is the
                 # specs' own fake one); new fields carry only its hash
                 "headers": {k.lower(): v for k, v in self.headers.items()},
                 "body": "", "status": None, "action": None, "key": key_hash(key),
                 "t_arrival": round(t_arrival, 6), "t_done": None, "inflight": None,
                 "rate_limited": False, "latency": 0.0, "applied": False, "credits": 0}
        STATE.arrive(entry, self.conn_id)
        try:
            self.api_inner(method, url, key, t_arrival, entry)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True
        except Exception as e:  # a bug in the fake: a loud 500, not a silent dead connection
            traceback.print_exc()
            self.close_connection = True
            if entry["status"] is None:  # nothing sent yet
                entry["status"] = 500
                try:
                    self.send_json(500, {"success": False, "error": {"code": "INTERNAL_ERROR",
                                                                     "message": "bug in the fake: %r" % e}})
                except OSError:
                    pass
        finally:
            if entry["t_done"] is None:
                entry["t_done"] = round(mono(), 6)
            STATE.leave()

    @staticmethod
    def mark_applied(entry, reply):
        """Logs (once) that the request's effect happened and what it cost,
        as soon as it has: before any stall, so /_log shows it at once."""
        if reply.applied and not entry["applied"]:
            entry["applied"] = True
            entry["credits"] = reply.credits
            with STATE.lock:
                STATE.credits += reply.credits

    def finish_entry(self, entry, status, reply=None):
        """Fills the log entry before the answer goes out, so a client that
        has its answer finds its request complete in /_log."""
        if reply is not None:
            self.mark_applied(entry, reply)
        entry["status"] = status
        entry["t_done"] = round(mono(), 6)

    def api_inner(self, method, url, key, t_arrival, entry):
        path = url.path
        # 1. refused before the body is read
        fault = STATE.faults.take(path, None, "pre")
        if fault:
            entry["fault"] = "refuse"
            self.finish_entry(entry, 0)
            return self.reset_connection()
        # 2. the rate limiter, on the arrival time
        rl = STATE.config.get("rate_limit")
        admitted, wait = (True, None) if not rl else STATE.limiter.admit(key or "", t_arrival, rl)
        raw = self.read_body()
        entry["body"] = "" if STATE.args.quiet_log else raw.decode("utf-8", "replace")
        body = self.peek(raw)
        action = self.action_of(path, body)
        entry["action"] = action
        if not admitted:
            entry["rate_limited"] = True
            with STATE.lock:
                STATE.rate_limited += 1
            reply = self.rate_limited(path, body, action, rl, wait)
            self.finish_entry(entry, reply.status)
            return self.send_reply(reply)
        # 3. faults that need the request (its action)
        fault = STATE.faults.take(path, action, "post")
        if fault:
            entry["fault"] = fault.get("kind", "status")
        if fault and fault.get("kind") == "refuse":
            self.finish_entry(entry, 0)
            return self.reset_connection()
        # 4. latency: served before the answer, holding no lock
        delay = self.latency_for(path, body)
        entry["latency"] = round(delay, 6)
        if delay > 0:
            time.sleep(delay)
        if not fault:
            reply = self.answer(method, url, raw)
            self.finish_entry(entry, reply.status, reply)
            return self.send_reply(reply)
        kind = fault.get("kind", "status")
        if kind in WRITE_FAULTS:
            reply = self.answer(method, url, raw)  # the effect happens here
            self.mark_applied(entry, reply)
            if kind == "apply_then_stall":
                time.sleep(float(fault.get("delay", 2)))
                self.finish_entry(entry, reply.status, reply)
                return self.send_reply(reply)
            if kind == "apply_then_500":
                err = (v1_error("Internal server error", 500) if path.startswith("/v1/") else
                       v2_error(500, "INTERNAL_ERROR", "An unexpected error occurred", action))
                self.finish_entry(entry, 500, reply)
                return self.send_raw(500, err.body)
            self.finish_entry(entry, 0, reply)
            return self.close_quietly()
        return self.apply_fault(fault, method, url, raw, entry)

    @staticmethod
    def peek(raw):
        try:
            body = json.loads(raw or b"")
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}

    @staticmethod
    def action_of(path, body):
        """A v2 network action, a v1 path's last part, or list_accounts / get_account."""
        if path == "/v2/network":
            a = body.get("action")
            return a if isinstance(a, str) else None
        if path.startswith("/v1/"):
            return path.rsplit("/", 1)[1]
        if path == "/v2/accounts":
            return "list_accounts"
        if path.startswith("/v2/accounts/"):
            return "get_account"
        return None

    def latency_for(self, path, body):
        ident = None
        for k in ("account_id", "login_token"):
            if isinstance(body.get(k), str):
                ident = body[k]
                break
        if ident is None and path.startswith("/v2/accounts/"):
            ident = unquote(path[len("/v2/accounts/"):])
        ms = number_in(ident, "lat", None)
        base = ms / 1000.0 if ms is not None else STATE.config.get("latency")
        return base + STATE.jitter()

    def rate_limited(self, path, body, action, rl, wait):
        headers = {}
        ra = rl.get("retry_after")
        if ra == "date":
            headers["Retry-After"] = formatdate(math.ceil(time.time() + max(0.0, wait)), usegmt=True)
        elif ra is not None:
            headers["Retry-After"] = str(int(ra)) if float(ra).is_integer() else str(ra)
        if path.startswith("/v1/"):
            return json_reply(429, {"status": "error", "message": "Rate limit exceeded. Please try again later"},
                              headers=headers)
        account = body.get("account_id") if isinstance(body.get("account_id"), str) else None
        return v2_error(429, "RATE_LIMITED", "Too many requests, retry after a short delay", action, account,
                        headers=headers)

    # ---- faults that replace the answer ---------------------------------

    def apply_fault(self, f, method, url, raw, entry):
        kind = f.get("kind", "status")
        path = url.path
        v1 = path.startswith("/v1/")

        def out(status, body, ctype="application/json", headers=None, compress=True):
            self.finish_entry(entry, status)
            return self.send_raw(status, body, ctype, headers, compress)

        if kind == "v1_error":
            return out(200, v1_error(f.get("message", "Rate limit exceeded. Please try again later")).body)
        if kind == "v2_error":
            r = v2_error(f.get("status", 429), f.get("code", "RATE_LIMITED"),
                         f.get("message", "Too many requests, retry after a short delay"))
            return out(r.status, r.body)
        if kind == "rate_limit":
            headers = {"Retry-After": f["retry_after"]} if "retry_after" in f else None
            return out(429, json.dumps({"success": False, "error": {"code": "RATE_LIMITED",
                                        "message": "Rate limit exceeded"}}), headers=headers)
        if kind == "status":
            return out(f.get("status", 500), f.get("body", '{"success":false}'), headers=f.get("headers"))
        if kind == "malformed":
            return out(200, f.get("body", '{"status":"success","data":{'))
        if kind == "html":
            return out(f.get("status", 502), "<html><head><title>502 Bad Gateway</title></head><body>" +
                       "x" * 2000 + "</body></html>", ctype="text/html")
        if kind == "empty":
            return out(200, b"", compress=False)
        if kind == "body":
            return out(f.get("status", 200), f.get("body", ""), ctype=f.get("content_type", "application/json"),
                       compress=False)
        if kind == "echo":
            msg = "Invalid parameters: %s (key %s)" % (raw.decode("utf-8", "replace"), self.headers.get("x-api-key"))
            r = v1_error(msg, 400) if v1 else v2_error(400, "INVALID_PARAMS", msg)
            return out(r.status, r.body)
        if kind == "slow":
            time.sleep(float(f.get("delay", 2)))
            reply = self.answer(method, url, raw)
            self.finish_entry(entry, reply.status, reply)
            return self.send_reply(reply)
        if kind in ("truncated", "stall"):
            # a real answer's headers, then half of the body (truncated) or a pause
            reply = self.answer(method, url, raw)
            self.mark_applied(entry, reply)
            head, body = self.render(reply.status, reply.body, reply.ctype, reply.headers, reply.compress)
            self.finish_entry(entry, reply.status, reply)
            if kind == "truncated":
                self.wfile.write(head + body[: len(body) // 2])
            else:
                self.wfile.write(head)
                self.wfile.flush()
                time.sleep(float(f.get("delay", 2)))
                self.wfile.write(body)
            self.wfile.flush()
            self.close_connection = True
            return reply.status
        if kind == "close":
            self.finish_entry(entry, 0)
            return self.close_quietly()
        return out(500, json.dumps({"error": "unknown fault kind " + str(kind)}))

    # =======================================================================
    # 9. The API
    # =======================================================================

    def answer(self, method, url, raw):
        """The API's answer (a Reply), its effect applied. Never writes."""
        path = url.path
        v1 = path.startswith("/v1/")
        key = self.headers.get("x-api-key") or ""
        if path == "/v2/accounts" or path.startswith("/v2/accounts/"):
            if method != "GET":
                return json_reply(405, {"status": "error", "message": "Method not allowed"})
            if not key.startswith("test-"):
                return v2_error(403, "INVALID_API_KEY", "The provided API key is invalid or missing")
            return self.answer_accounts(url)
        if path != "/v2/network" and not (v1 and path.startswith("/v1/network/") and
                                          path[len("/v1/network/"):] in V1_FIELDS):
            return json_reply(404, {"status": "error", "message": "Not found"})
        if method != "POST":
            return json_reply(405, {"status": "error", "message": "Method not allowed"})
        if not key.startswith("test-"):
            if v1:
                return v1_error("Invalid API key", 401)
            return v2_error(403, "INVALID_API_KEY", "Invalid API key")
        try:
            body = json.loads(raw or b"")
            if not isinstance(body, dict):
                raise ValueError("not an object")
        except ValueError:
            if v1:
                return v1_error("Invalid JSON body", 400)
            return v2_error(400, "INVALID_PARAMS", "Invalid JSON body")
        if v1:
            try:
                return self.answer_v1(path[len("/v1/network/"):], body)
            except Refusal as e:
                return v1_error(e.message)
        action = body.get("action") if isinstance(body.get("action"), str) else None
        account = body.get("account_id") if isinstance(body.get("account_id"), str) else None
        try:
            return self.answer_v2(body)
        except Refusal as e:
            return v2_error(e.status, e.code, e.message, action, account)

    # ---- v1 -------------------------------------------------------------

    def answer_v1(self, kind, body):
        fields = V1_FIELDS[kind]
        for k in body:
            if k not in fields and k not in ("login_token", "country"):
                raise Refusal("Unknown parameter: " + k)
        token = body.get("login_token")
        if not token:
            raise Refusal("Missing required parameter: login_token")
        if not isinstance(token, str):
            raise Refusal("Invalid parameter: login_token must be a string")
        if "expired" in token:
            raise Refusal("Invalid or expired LinkedIn cookie")
        country = body.get("country")
        if country is not None and (not isinstance(country, str) or country not in COUNTRIES):
            raise Refusal("Invalid country")
        for k, t in fields.items():
            if t is str and k in body and not isinstance(body[k], str):
                if k == "invitation_id":
                    raise Refusal("Invalid parameter: invitation_id must be a string")
                raise Refusal(f"Invalid parameter: {k} must be a string")
        if kind in ("connections", "recommendations"):
            n = size_of(token, STATE.args.connections if kind == "connections" else STATE.args.recommendations)
            lie = STATE.config.get("lie") if kind == "connections" else {}
            return self.v1_list(kind, body, n, lambda idx: items(kind, 1, idx, 1, n)[0], lie, old=True)
        if kind in ("invitations", "sent-invitations"):
            itype = body.get("invitation_type", None if kind == "invitations" else "CONNECTION")
            if itype is not None and itype not in INVITATION_TYPES:
                raise Refusal("Invalid parameter: invitation_type must be one of " + ", ".join(INVITATION_TYPES))
            which = "received" if kind == "invitations" else "sent"
            with STATE.books.lock:
                rows = list(STATE.books.get(1, token).listing(which, itype))
            render = RENDER[(1, which)]
            return self.v1_list(kind, body, len(rows), lambda idx: render(rows[idx]), STATE.config.get("lie"))
        for k, t in fields.items():
            if k not in body:
                raise Refusal("Missing required parameter: " + k)
        with STATE.books.lock:
            book = STATE.books.get(1, token)
            if kind == "accept-invitation":
                book.take_received(body["entity_urn"], body["shared_secret"], accept=True)
                message = "Invitation accepted successfully"
            elif kind == "withdraw-invitation":
                if not re.fullmatch(r"[0-9]{1,20}", body["invitation_id"]):
                    raise Refusal("Invalid parameter: invitation_id must be a string of digits")
                book.withdraw(body["invitation_id"])
                message = "Connection invitation withdrawn successfully"
            else:  # invitation-status
                slug = slug_of(body["linkedin_url"])
                if slug is None:
                    raise Refusal("Invalid parameter: linkedin_url must be a LinkedIn profile URL")
                return json_reply(200, {"status": "success", "data": book.relation(slug)}, applied=True,
                                  credits=1)
        return json_reply(200, {"status": "success", "message": message}, applied=True, credits=1)

    def v1_list(self, kind, body, n, make, lie, old=False):
        """A v1 list in pagination mode (start_page/end_page) or total-results mode."""
        per = lie.get("v1_page_size", V1_PAGE[kind]) if kind != "recommendations" else V1_PAGE[kind]
        start_page = body.get("start_page")
        paged_list = kind != "recommendations"
        if start_page is not None:
            end_page = body.get("end_page", start_page)
            if not is_int(start_page) or not is_int(end_page) or start_page < 1 or end_page < start_page:
                if old:
                    raise Refusal("Invalid pagination: end_page must be >= start_page")
                if not is_int(start_page) or start_page < 1:
                    raise Refusal("Invalid parameter: start_page must be an integer >= 1")
                raise Refusal("Invalid parameter: end_page must be an integer >= start_page")
            idx, pages = [], 0
            for p in v1_pages(start_page, end_page, lie):
                got = v1_page(p, per, n, lie)
                if not got:
                    break  # every later page is empty too
                pages += 1
                idx += got
            if paged_list:
                pagination = {"start_page": start_page, "end_page": end_page, "results_per_page": per,
                              "pages_fetched": pages}
            else:
                pagination = {"current_page": start_page, "total_pages": math.ceil(n / per), "pages_fetched": pages}
            credits = max(1, pages)  # per page returned: a range far past the end costs 1, not millions
        else:
            if "end_page" in body and not old:
                raise Refusal("Invalid parameter: end_page needs start_page")
            total = body.get("total_results", 10)
            if not is_int(total) or total < 1:
                raise Refusal("Invalid total_results" if old else
                              "Invalid parameter: total_results must be an integer >= 1")
            idx = []
            for p in v1_pages(1, math.ceil(total / per), lie):
                got = v1_page(p, per, n, lie)
                if not got or len(idx) >= total:
                    break
                idx += got
            idx = idx[:total]
            pagination = {"start_page": 1, "end_page": max(1, math.ceil(total / per)), "results_per_page": per,
                          "pages_fetched": math.ceil(len(idx) / per)} if paged_list else None
            credits = max(1, math.ceil(len(idx) / 10))
        got = [make(i) for i in idx]
        if lie.get("no_profile_url"):
            got = [strip_urls(it) for it in got]
        data = {"total_results": len(got)}
        if paged_list:
            data["total_available_results"] = STATE.total(n, lie)
        data["invitations" if kind in ("invitations", "sent-invitations") else kind] = got
        if pagination is not None:
            data["pagination"] = pagination
        return json_reply(200, {"status": "success", "data": data}, applied=True, credits=credits)

    # ---- v2 network -----------------------------------------------------

    def answer_v2(self, body):
        for k in body:
            if k not in ("account_id", "action", "params"):
                raise Refusal("Unknown field: " + k)
        account = body.get("account_id")
        action = body.get("action")
        if not account:
            raise Refusal("Missing account_id")
        if not isinstance(account, str):
            raise Refusal("account_id must be a string")
        if "unknown" in account:
            raise Refusal("Account not found", "INVALID_ACCOUNT", 404)
        if "inactive" in account:
            raise Refusal("Account is not active", "ACCOUNT_INACTIVE", 403)
        if "broke" in account:
            raise Refusal("Insufficient credits", "INSUFFICIENT_CREDITS", 402)
        if action is None:
            raise Refusal("Missing action")
        if not isinstance(action, str):
            raise Refusal("action must be a string")
        params = body.get("params")
        if params is None or params == []:  # Lua encoders cannot tell {} from []
            params = {}
        if not isinstance(params, dict):
            raise Refusal("params must be an object")
        if action not in V2_PARAMS:
            raise Refusal("Unknown action", "INVALID_ACTION", 400)
        if action == "recommendations" and "offset" in params:
            raise Refusal("recommendations are not paginable")
        allowed = V2_PARAMS[action]
        for k, v in params.items():
            if k not in allowed:
                raise Refusal(f"Unknown parameter: params.{k}")
            if allowed[k] is str and not isinstance(v, str):
                raise Refusal(f"params.{k} must be a string")
        count = params.get("count", 10)
        if "count" in allowed and (not is_int(count) or not 1 <= count <= 1000):
            raise Refusal("count must be an integer from 1 to 1000")
        offset = params.get("offset", 0)
        if "offset" in allowed and (not is_int(offset) or offset < 0):
            raise Refusal("offset must be an integer >= 0")
        if action == "list_connections" and FIXED:
            return self.fixed_page()
        lie = STATE.config.get("lie")
        if action == "list_connections":
            head = number_in(account, "head", 0)  # head-N: N new people at the head
            n = size_of(account, STATE.args.connections) + head
            idx, nxt, more = v2_page(n, offset, count, lie)
            got = [connection_at(i, head, 2) for i in idx]
            if lie.get("no_profile_url"):
                got = [strip_urls(it) for it in got]
            data = {"connections": got, "total_results": len(got), "total_available_results": STATE.total(n, lie),
                    "pagination": {"offset": offset, "count": count, "next_offset": nxt, "has_more": more,
                                   "results_per_page": count, "pages_fetched": math.ceil(count / 100)}}
            credits = max(1, math.ceil(len(got) / 50))
        elif action == "recommendations":
            n = size_of(account, STATE.args.v2_recommendations)
            got = items("recommendations", 2, 0, count, n)
            data = {"recommendations": got, "total_results": len(got),
                    "pagination": {"results_per_page": count, "pages_fetched": 1}}
            credits = max(1, math.ceil(len(got) / 10))
        elif action in ("list_invitations", "list_sent"):
            itype = params.get("invitation_type")
            if itype is not None and itype not in INVITATION_TYPES:
                raise Refusal("params.invitation_type must be one of " + ", ".join(INVITATION_TYPES))
            which = "received" if action == "list_invitations" else "sent"
            if which == "sent" and itype is None:
                itype = "CONNECTION"  # as v1's default; the data holds only CONNECTION invitations anyway
            with STATE.books.lock:
                rows = list(STATE.books.get(2, account).listing(which, itype))
            idx, nxt, more = v2_page(len(rows), offset, count, lie)
            got = [RENDER[(2, which)](rows[i]) for i in idx]
            if lie.get("no_profile_url"):
                got = [strip_urls(it) for it in got]
            data = {"invitations": got, "total_results": len(got),
                    "total_available_results": STATE.total(len(rows), lie)}
            if which == "sent":
                data["invitation_type"] = itype
            data["pagination"] = {"offset": offset, "count": count, "next_offset": nxt, "has_more": more,
                                  "results_per_page": 10, "pages_fetched": max(1, math.ceil(len(got) / 10))}
            credits = max(1, math.ceil(count / 50))
        else:
            data = self.v2_write(action, account, params)
            credits = 1
        shown = LIE_CHOICES["credits"][lie["credits"]] if "credits" in lie else credits
        return json_reply(200, {"success": True, "data": data,
                                "metadata": {"action": action, "account_id": account,
                                             "credits_consumed": shown, "timestamp": now_iso()}},
                          applied=True, credits=credits)

    def v2_write(self, action, account, params):
        def need(*names):
            for k in names:
                if k not in params:
                    raise Refusal("Missing required parameter: params." + k)

        def url_param():
            if "profile_url" in params and "linkedin_url" in params and params["profile_url"] != params["linkedin_url"]:
                raise Refusal("give params.profile_url or its alias params.linkedin_url, not both")
            return params.get("profile_url", params.get("linkedin_url"))

        with STATE.books.lock:
            book = STATE.books.get(2, account)
            if action == "invite":
                url = url_param()
                if url is None and "identifier" not in params:
                    raise Refusal("Missing required parameter: params.profile_url (or params.identifier)")
                if url is not None:
                    slug = slug_of(url)
                    if slug is None:
                        raise Refusal("params.profile_url must be a LinkedIn profile URL "
                                      "(https://www.linkedin.com/in/...)")
                else:
                    slug = params["identifier"].lower()
                    if not re.fullmatch(r"[^/?#\s]+", slug):
                        raise Refusal("params.identifier must be a public identifier")
                message = params.get("message")
                if message is not None and len(message) > 300:
                    raise Refusal("params.message must be at most 300 characters")
                r = book.invite(slug, message)
                first, last = split_name(r["name"])
                return {"invitation_urn": urn(2, r["id"]),
                        "profile_urn": "urn:li:fsd_profile:ACoAA" + digest("profile", slug)[:10].upper(),
                        "first_name": first, "last_name": last, "headline": r["headline"],
                        "public_identifier": slug, "profile_picture_url": r["picture"]}
            if action in ("accept", "decline"):
                need("entity_urn", "shared_secret")
                book.take_received(params["entity_urn"], params["shared_secret"], accept=action == "accept")
                return {}
            if action == "withdraw":
                need("invitation_id")
                if not re.fullmatch(r"[0-9]{1,20}", params["invitation_id"]):
                    raise Refusal("params.invitation_id must be a string of digits")
                book.withdraw(params["invitation_id"])
                return {"withdrawn": True, "invitation_id": params["invitation_id"]}
            # check_invitation
            url = url_param()
            if url is None:
                raise Refusal("Missing required parameter: params.profile_url")
            slug = slug_of(url)
            if slug is None:
                raise Refusal("params.profile_url must be a LinkedIn profile URL (https://www.linkedin.com/in/...)")
            return book.relation(slug)

    def fixed_page(self):
        # benchmark mode: a precomputed page, whatever the offset; enough
        # distinct pages rotate that a client's window of recent items (4,096
        # in linkup) never sees one twice and takes it for a repeated page
        FIXED["n"] += 1
        gz = self.gzip_ok()
        pages = FIXED["gzip" if gz else "plain"]
        body = pages[FIXED["n"] % len(pages)]
        return Reply(200, body, headers={"Content-Encoding": "gzip"} if gz else None, applied=True,
                     credits=FIXED["credits"], compress=False)

    # ---- v2 accounts ----------------------------------------------------

    def answer_accounts(self, url):
        q = parse_qs(url.query, keep_blank_values=True)
        n = STATE.args.accounts
        if url.path == "/v2/accounts":
            for k in q:
                if k not in ("limit", "offset"):
                    return v2_error(400, "INVALID_PARAMS", "Unknown query parameter: " + k, "list_accounts")
            vals = {}
            for k, default, lo, hi in (("limit", 50, 1, 500), ("offset", 0, 0, None)):
                v = q.get(k, [str(default)])
                if len(v) != 1 or not re.fullmatch(r"[0-9]{1,9}", v[0]) or int(v[0]) < lo or \
                        (hi is not None and int(v[0]) > hi):
                    bound = f"from {lo} to {hi}" if hi else f">= {lo}"
                    return v2_error(400, "INVALID_PARAMS", f"{k} must be an integer {bound}", "list_accounts")
                vals[k] = int(v[0])
            got = [account(k) for k in range(vals["offset"], min(vals["offset"] + vals["limit"], n))]
            lie = STATE.config.get("lie")
            total = LIE_CHOICES["total"][lie["total"]] if "total" in lie else n
            return json_reply(200, {"success": True,
                                    "data": {"items": got, "total": total, "limit": vals["limit"],
                                             "offset": vals["offset"]},
                                    "metadata": {"action": "list_accounts", "credits_consumed": 0,
                                                 "timestamp": now_iso()}}, applied=True)
        if q:
            return v2_error(400, "INVALID_PARAMS", "Unknown query parameter: " + next(iter(q)), "get_account")
        ident = unquote(url.path[len("/v2/accounts/"):])
        if not ident or "/" in ident:
            return json_reply(404, {"status": "error", "message": "Not found"})
        if "unknown" in ident:
            return v2_error(404, "INVALID_ACCOUNT", "Account not found", "get_account", ident)
        return json_reply(200, {"success": True, "data": account_by_id(ident, n),
                                "metadata": {"action": "get_account", "account_id": ident, "credits_consumed": 0,
                                             "timestamp": now_iso()}}, applied=True)


# Each endpoint's fields (besides login_token and country for v1) and the
# string-typed ones; integers are checked where they are used.
V1_FIELDS = {
    "connections": {"start_page": int, "end_page": int, "total_results": int},
    "recommendations": {"start_page": int, "end_page": int, "total_results": int},
    "invitations": {"start_page": int, "end_page": int, "total_results": int, "invitation_type": str},
    "sent-invitations": {"start_page": int, "end_page": int, "total_results": int, "invitation_type": str},
    "accept-invitation": {"shared_secret": str, "entity_urn": str},
    "invitation-status": {"linkedin_url": str},
    "withdraw-invitation": {"invitation_id": str},
}
V2_PARAMS = {
    "list_connections": {"count": int, "offset": int},
    "recommendations": {"count": int},
    "list_invitations": {"count": int, "offset": int, "invitation_type": str},
    "list_sent": {"count": int, "offset": int, "invitation_type": str},
    "invite": {"profile_url": str, "linkedin_url": str, "identifier": str, "message": str},
    "accept": {"entity_urn": str, "shared_secret": str},
    "decline": {"entity_urn": str, "shared_secret": str},
    "withdraw": {"invitation_id": str},
    "check_invitation": {"profile_url": str, "linkedin_url": str},
}


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


# ===========================================================================
# 10. main
# ===========================================================================

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--connections", type=int, default=1234)
    ap.add_argument("--recommendations", type=int, default=120)
    ap.add_argument("--v2-recommendations", type=int, default=60)
    ap.add_argument("--accounts", type=int, default=7, help="the key's accounts (GET /v2/accounts)")
    ap.add_argument("--latency", type=float, default=0.0)
    ap.add_argument("--latency-jitter", type=float, default=0.0, help="uniform extra 0..J seconds (seeded)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rate-limit", help="N/W: N requests per W seconds per API key (N/W/fixed: fixed windows)")
    ap.add_argument("--retry-after", help='with --rate-limit: Retry-After seconds, or "date"')
    ap.add_argument("--lie", help="the initial lies, as JSON (as /_config's \"lie\")")
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
    try:
        STATE = State(args)
    except (ConfigError, ValueError) as e:
        ap.error(str(e))
    if args.fixed_page:
        for k in range(max(2, -(-8192 // args.fixed_page) + 1)):
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
        FIXED["credits"] = math.ceil(args.fixed_page / 50)
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
