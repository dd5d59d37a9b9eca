/* lkeasy.c: one HTTP transfer at a time on a libcurl easy handle.
 *
 * One userdata ("linkup.http") owns one easy handle, reused request after
 * request so that libcurl keeps its connection alive. A client runs its
 * handles on its multi handle (lkmulti.c); h:perform runs one alone.
 *
 * No Lua error may unwind through libcurl: the write and header callbacks
 * only copy bytes into C buffers owned by the userdata and never touch the
 * Lua state. Everything Lua sees is built after the transfer has ended. The
 * userdata is zeroed at birth and everything it owns is freed by one
 * idempotent close, also run by __gc and __close, so a Lua error raised
 * anywhere leaks nothing.
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lkeasy.h"

/* Buffers above this are released after each response, so one big page does
 * not pin its memory for the client's lifetime. */
#define LK_KEEP_BUFFER (1u << 20)
/* The largest header block accepted: far above any real API's, small enough
 * that a hostile server cannot make us buffer much. libcurl has its own
 * bound on one header line (CURL_MAX_HTTP_HEADER, 100 KB), which it reports
 * as CURLE_OUT_OF_MEMORY ("Avoided giant realloc"); see lk_http_finish. */
#define LK_MAX_HEAD (256u * 1024u)
/* The largest max_bytes and timeout a request may ask for; larger asks
 * (math.huge, 1e300) are clamped to these, so no float-to-integer cast
 * ever sees a value its type cannot hold. 1e15 bytes is no limit in
 * practice, yet a size_t on 64 bits and a curl_off_t hold it. */
#define LK_MAX_BODY_LIMIT 1e15
#define LK_MAX_TIMEOUT_S 86400.0

/* Sets one easy option and raises, naming it, when libcurl refuses it (a
 * string past libcurl's 8 MB input limit, out of memory, a feature not
 * built in). An unchecked failure would leave the previous value in place:
 * the request would go to the last URL, or without TLS verification. Only
 * for C functions called from Lua, never from a libcurl callback. */
#define LK_SETOPT(L, h, opt, val) lk_setopt_ok((L), curl_easy_setopt((h)->easy, opt, val), #opt)

/* Raises "curl_easy_setopt(NAME) failed" unless rc is CURLE_OK. */
static void lk_setopt_ok(lua_State *L, CURLcode rc, const char *name) {
  if (rc != CURLE_OK) luaL_error(L, "linkup: curl_easy_setopt(%s) failed: %s", name, curl_easy_strerror(rc));
}

/* Appends n bytes to m, doubling its capacity; 0 when out of memory. Never
 * raises: it runs inside libcurl's callbacks. */
static int mem_add(lk_mem *m, const char *s, size_t n) {
  if (m->len + n > m->cap) {
    size_t cap = m->cap ? m->cap : 4096;
    char *p;
    while (cap < m->len + n) cap *= 2;
    p = (char *)realloc(m->data, cap);
    if (p == NULL) return 0;
    m->data = p;
    m->cap = cap;
  }
  memcpy(m->data + m->len, s, n);
  m->len += n;
  return 1;
}

/* Empties m, and frees its storage if it grew past keep bytes. */
static void mem_release(lk_mem *m, size_t keep) {
  m->len = 0;
  if (m->cap > keep) {
    free(m->data);
    m->data = NULL;
    m->cap = 0;
  }
}

/* libcurl callbacks: record only. Returning a short count aborts the
 * transfer with CURLE_WRITE_ERROR, which lk_http_finish reports. */
static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud) {
  lk_http *h = (lk_http *)ud;
  size_t n = size * nmemb;
  if (h->body.len + n > h->max_bytes) {
    h->too_large = 1;
    return 0;
  }
  if (!mem_add(&h->body, ptr, n)) {
    h->oom = 1;
    return 0;
  }
  return n;
}

/* libcurl's header callback: one header line (or a status line) at a time.
 * A block is whole only once its blank line came: libcurl reports a
 * connection closed in the middle of the headers as a success with no body,
 * so head_done is what tells a cut response from an empty one. */
static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud) {
  lk_http *h = (lk_http *)ud;
  size_t n = size * nmemb;
  /* A status line starts a new response (after a 100 Continue, say): keep
   * only the headers of the last one. */
  if (n >= 5 && memcmp(ptr, "HTTP/", 5) == 0) {
    h->head.len = 0;
    h->head_done = 0;
  } else if ((n == 2 && ptr[0] == '\r' && ptr[1] == '\n') || (n == 1 && ptr[0] == '\n')) {
    h->head_done = 1;
  }
  if (h->head.len + n > LK_MAX_HEAD) { /* absurd header block */
    h->head_too_large = 1;
    return 0;
  }
  if (!mem_add(&h->head, ptr, n)) {
    h->oom = 1;
    return 0;
  }
  return n;
}

/* libcurl's open-socket callback: a connection's socket, close-on-exec, so
 * that a child the program starts (os.execute, io.popen) does not inherit
 * it and hold the API connection open after the client is closed (libcurl
 * 7.88 does not ask for it). Atomic where SOCK_CLOEXEC exists. Never
 * touches Lua. */
static curl_socket_t open_socket(void *ud, curlsocktype purpose, struct curl_sockaddr *a) {
  curl_socket_t fd;
  (void)ud;
  (void)purpose;
#ifdef SOCK_CLOEXEC
  fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
  if (fd != CURL_SOCKET_BAD || errno != EINVAL) return fd;
#endif
  fd = socket(a->family, a->socktype, a->protocol);
  if (fd != CURL_SOCKET_BAD) (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
  return fd;
}

/* The open handle at idx, or a raised error. */
lk_http *lk_http_check(lua_State *L, int idx) {
  lk_http *h = (lk_http *)luaL_checkudata(L, idx, LK_HTTP_MT);
  if (h->easy == NULL) luaL_error(L, "linkup: the client is closed");
  return h;
}

/* Frees everything the handle owns. Idempotent: close, __gc and __close. */
static int http_close(lua_State *L) {
  lk_http *h = (lk_http *)luaL_checkudata(L, 1, LK_HTTP_MT);
  lk_multi_detach(h);
  if (h->easy) curl_easy_cleanup(h->easy);
  h->easy = NULL;
  curl_slist_free_all(h->headers);
  h->headers = NULL;
  mem_release(&h->body, 0);
  mem_release(&h->head, 0);
  h->state = LK_IDLE;
  return 0;
}

/* new{ user_agent = s, ca_file = s|nil } -> handle. Options that hold for the
 * handle's life are set once here; per-request ones in lk_http_prepare. */
static int http_new(lua_State *L) {
  lk_http *h;
  const char *ua, *ca;
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_getfield(L, 1, "user_agent");
  ua = luaL_checkstring(L, -1);
  lua_getfield(L, 1, "ca_file");
  ca = luaL_optstring(L, -1, NULL);

  h = (lk_http *)lua_newuserdatauv(L, sizeof *h, 0);
  memset(h, 0, sizeof *h);
  luaL_setmetatable(L, LK_HTTP_MT);
  h->easy = curl_easy_init();
  if (h->easy == NULL) return luaL_error(L, "linkup: curl_easy_init failed");

  /* Every option is checked (LK_SETOPT): a handle that could not be set up
   * as asked (no TLS verification, say) must never carry a request. The
   * userdata already owns the easy handle, so a raise here leaks nothing. */
  LK_SETOPT(L, h, CURLOPT_NOSIGNAL, 1L); /* no SIGALRM for DNS timeouts */
  LK_SETOPT(L, h, CURLOPT_ACCEPT_ENCODING, ""); /* every encoding built in: gzip, ... */
  LK_SETOPT(L, h, CURLOPT_USERAGENT, ua);
  LK_SETOPT(L, h, CURLOPT_ERRORBUFFER, h->errbuf);
  LK_SETOPT(L, h, CURLOPT_WRITEFUNCTION, on_body);
  LK_SETOPT(L, h, CURLOPT_WRITEDATA, h);
  LK_SETOPT(L, h, CURLOPT_HEADERFUNCTION, on_header);
  LK_SETOPT(L, h, CURLOPT_HEADERDATA, h);
  LK_SETOPT(L, h, CURLOPT_PRIVATE, (char *)h);
  LK_SETOPT(L, h, CURLOPT_OPENSOCKETFUNCTION, open_socket);
  LK_SETOPT(L, h, CURLOPT_SSL_VERIFYPEER, 1L);
  LK_SETOPT(L, h, CURLOPT_SSL_VERIFYHOST, 2L);
  LK_SETOPT(L, h, CURLOPT_TCP_KEEPALIVE, 1L);
  /* Never follow a redirect: x-api-key would go along to wherever it points. */
  LK_SETOPT(L, h, CURLOPT_FOLLOWLOCATION, 0L);
  /* Only HTTP(S): a base_url of file:// or another scheme is refused. */
#if LIBCURL_VERSION_NUM >= 0x075500
  LK_SETOPT(L, h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
  LK_SETOPT(L, h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  if (ca) LK_SETOPT(L, h, CURLOPT_CAINFO, ca);
  /* Proxies: libcurl reads http_proxy, https_proxy and no_proxy itself. */
  return 1;
}

/* Seconds (a positive Lua number, see req_number) as libcurl milliseconds:
 * at least 1, and beyond a day clamped to a day, since a float-to-long
 * cast of 1e300 or inf would be undefined. */
static long seconds_ms(lua_Number s) {
  if (!(s > 0.001)) return 1;
  if (s > LK_MAX_TIMEOUT_S) return (long)LK_MAX_TIMEOUT_S * 1000L;
  return (long)(s * 1000.0);
}

/* A string field of the request table at idx (NULL when absent and not
 * required). A string only, never a number converted: a converted string
 * would live on the stack slot popped here, and nothing would anchor it;
 * a string taken from the table stays anchored by the table. */
static const char *req_string(lua_State *L, int idx, const char *name, size_t *len, int required) {
  const char *s = NULL;
  lua_getfield(L, idx, name);
  if (lua_type(L, -1) == LUA_TSTRING) s = lua_tolstring(L, -1, len);
  else if (required || !lua_isnil(L, -1)) luaL_error(L, "linkup: request.%s must be a string", name);
  lua_pop(L, 1);
  return s;
}

/* A number field of the request table at idx, dflt when absent. NaN and
 * numbers below lo raise (the Lua layer never sends them: this is for
 * callers of h:perform and m:start); huge ones are the caller's to clamp. */
static lua_Number req_number(lua_State *L, int idx, const char *name, lua_Number dflt, lua_Number lo) {
  lua_Number n;
  lua_getfield(L, idx, name);
  if (lua_isnil(L, -1)) {
    n = dflt;
  } else if (lua_type(L, -1) != LUA_TNUMBER) {
    n = 0;
    luaL_error(L, "linkup: request.%s must be a number", name);
  } else {
    n = lua_tonumber(L, -1);
    if (!(n >= lo)) luaL_error(L, "linkup: request.%s must be a number >= %f, not %f", name, lo, n);
  }
  lua_pop(L, 1);
  return n;
}

/* Whether s is an HTTP token (a method): letters, digits and !#$%&'*+-.^_`|~,
 * so that no method can smuggle a space or a line into the request line. */
static int is_token(const char *s) {
  if (*s == '\0') return 0;
  for (; *s; s++)
    if (!isalnum((unsigned char)*s) && strchr("!#$%&'*+-.^_`|~", *s) == NULL) return 0;
  return 1;
}

/* Sets up h for the request table at idx (see lkeasy.h). May raise: a bad
 * field, a refused option, out of memory; the handle stays idle. */
void lk_http_prepare(lua_State *L, lk_http *h, int idx) {
  const char *method, *url, *body = NULL;
  size_t blen = 0;
  lua_Number timeout, ctimeout, max_bytes;
  int fresh;
  idx = lua_absindex(L, idx);
  luaL_checktype(L, idx, LUA_TTABLE);
  method = req_string(L, idx, "method", NULL, 1);
  if (!is_token(method)) luaL_error(L, "linkup: request.method must be an HTTP method name");
  url = req_string(L, idx, "url", NULL, 1);
  /* a timeout of 0 would be libcurl's "none": positive only */
  timeout = req_number(L, idx, "timeout", 30, 1e-300);
  ctimeout = req_number(L, idx, "connect_timeout", timeout, 1e-300);
  max_bytes = req_number(L, idx, "max_bytes", 16.0 * 1024 * 1024, 0);
  body = req_string(L, idx, "body", &blen, 0); /* CURLOPT_COPYPOSTFIELDS: libcurl copies it */
  lua_getfield(L, idx, "fresh");
  fresh = lua_toboolean(L, -1);
  lua_pop(L, 1);

  /* Headers: rebuilt per request. The list hangs on the handle so a Lua
   * error while building it (out of memory, a bad header) cannot leak it;
   * libcurl lets go of the old list first, so that it never points at
   * freed memory should this request be abandoned by a raise below. */
  LK_SETOPT(L, h, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
  curl_slist_free_all(h->headers);
  h->headers = NULL;
  lua_getfield(L, idx, "headers");
  luaL_checktype(L, -1, LUA_TTABLE);
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    struct curl_slist *n;
    size_t kl, vl;
    const char *k, *v;
    if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
      luaL_error(L, "linkup: request.headers must map strings to strings");
    k = lua_tolstring(L, -2, &kl); /* a string already: no conversion of the key */
    v = lua_tolstring(L, -1, &vl);
    /* one line each: a CR or LF would start another header (or another
     * request) of the caller's making, and a NUL would cut it short */
    if (kl == 0 || strcspn(k, "\r\n:") != kl || strcspn(v, "\r\n") != vl)
      luaL_error(L, "linkup: request.headers: a name or value holds a line break, a NUL or (name) a colon");
    lua_pushfstring(L, "%s: %s", k, v);
    n = curl_slist_append(h->headers, lua_tostring(L, -1));
    if (n == NULL) luaL_error(L, "linkup: out of memory");
    h->headers = n;
    lua_pop(L, 2);
  }
  lua_pop(L, 1);
  /* No "Expect: 100-continue" round trip for our small bodies. */
  {
    struct curl_slist *n = curl_slist_append(h->headers, "Expect:");
    if (n == NULL) luaL_error(L, "linkup: out of memory");
    h->headers = n;
  }

  h->body.len = h->head.len = 0;
  h->too_large = h->oom = h->head_done = h->head_too_large = 0;
  h->errbuf[0] = '\0';
  /* max_bytes >= 0 here (req_number); a size_t of 32 bits ends lower */
  if (max_bytes > LK_MAX_BODY_LIMIT) max_bytes = LK_MAX_BODY_LIMIT;
  if (max_bytes > (lua_Number)(SIZE_MAX / 2)) max_bytes = (lua_Number)(SIZE_MAX / 2);
  h->max_bytes = (size_t)max_bytes;

  /* From here on every option is checked: a raise leaves the handle idle
   * and set up only in part, which the next request's setup overwrites. */
  LK_SETOPT(L, h, CURLOPT_URL, url);
  LK_SETOPT(L, h, CURLOPT_HTTPHEADER, h->headers);
  LK_SETOPT(L, h, CURLOPT_TIMEOUT_MS, seconds_ms(timeout));
  LK_SETOPT(L, h, CURLOPT_CONNECTTIMEOUT_MS, seconds_ms(ctimeout));
  /* 0 would be libcurl's "no limit": a limit of 0 is on_body's alone */
  LK_SETOPT(L, h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)(h->max_bytes ? h->max_bytes : 1));
  /* A request that may change something (a write) goes on a connection of
   * its own that is closed after it: libcurl silently sends a request again
   * when a reused connection dies before any answer, and a write must never
   * travel twice. A new connection is never retried that way. */
  LK_SETOPT(L, h, CURLOPT_FRESH_CONNECT, fresh ? 1L : 0L);
  LK_SETOPT(L, h, CURLOPT_FORBID_REUSE, fresh ? 1L : 0L);
  if (strcmp(method, "GET") == 0) {
    LK_SETOPT(L, h, CURLOPT_HTTPGET, 1L);
    LK_SETOPT(L, h, CURLOPT_CUSTOMREQUEST, (char *)NULL);
  } else {
    LK_SETOPT(L, h, CURLOPT_POST, 1L);
    LK_SETOPT(L, h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
    LK_SETOPT(L, h, CURLOPT_COPYPOSTFIELDS, body ? body : "");
    LK_SETOPT(L, h, CURLOPT_CUSTOMREQUEST, strcmp(method, "POST") == 0 ? (char *)NULL : method);
  }
}

/* Pushes the header block of the last response as a table: lower-case
 * names; repeated headers joined with ", ". */
static void push_headers(lua_State *L, const lk_mem *m) {
  const char *p = m->data, *end = m->data + m->len;
  lua_newtable(L);
  while (p && p < end) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    const char *colon, *v, *ve;
    if (eol == NULL) eol = end;
    colon = memchr(p, ':', (size_t)(eol - p));
    /* the status line check must not read past a short last line */
    if (colon && colon > p && !((size_t)(eol - p) >= 5 && memcmp(p, "HTTP/", 5) == 0)) {
      char name[128];
      size_t nl = (size_t)(colon - p), i;
      if (nl < sizeof name) {
        for (i = 0; i < nl; i++) name[i] = (char)tolower((unsigned char)p[i]);
        v = colon + 1;
        ve = eol;
        while (v < ve && (*v == ' ' || *v == '\t')) v++;
        while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t')) ve--;
        lua_pushlstring(L, name, nl);
        lua_pushvalue(L, -1);
        lua_rawget(L, -3);
        if (lua_isnil(L, -1)) {
          lua_pop(L, 1);
          lua_pushlstring(L, v, (size_t)(ve - v));
        } else {
          lua_pushliteral(L, ", ");
          lua_pushlstring(L, v, (size_t)(ve - v));
          lua_concat(L, 3);
        }
        lua_rawset(L, -3);
      }
    }
    p = eol + 1;
  }
}

/* Whether any byte of the request may have left: once libcurl reached
 * "pretransfer" (connected, TLS done) it is about to send. Before that the
 * request certainly did not go out, and a write may be tried again. */
static int maybe_sent(lk_http *h, long status) {
  curl_off_t pre = 0;
  long reqsize = 0;
  if (status > 0) return 1;
  curl_easy_getinfo(h->easy, CURLINFO_PRETRANSFER_TIME_T, &pre);
  curl_easy_getinfo(h->easy, CURLINFO_REQUEST_SIZE, &reqsize);
  return pre > 0 || reqsize > 0;
}

/* Whether rc is libcurl refusing one header line over its own bound
 * (CURL_MAX_HTTP_HEADER): it says CURLE_OUT_OF_MEMORY, with nothing in the
 * error buffer, while the header block is unfinished after a status line.
 * A true allocation failure at that very point would read the same; it is
 * then reported as too large, not retried, which is also safe. libcurl 8.6
 * and later names it CURLE_TOO_LARGE. */
static int giant_header(lk_http *h, CURLcode rc, long status) {
#if LIBCURL_VERSION_NUM >= 0x080600
  if (rc == CURLE_TOO_LARGE && !h->too_large) return 1;
#endif
  return rc == CURLE_OUT_OF_MEMORY && !h->oom && status > 0 && !h->head_done;
}

/* Pushes the outcome of a finished transfer:
 *   status, body, headers                  on any HTTP response
 *   nil, message, kind, status|nil, sent   when none came whole (kind:
 *                                          "timeout", "network", "too_large";
 *                                          sent: whether the request may
 *                                          have gone out)
 * which is the transport convention of API.md plus the extras, and returns
 * the number of values pushed. Kinds: a response cut anywhere (in its
 * status line, headers or body) is "network", which the driver retries;
 * a header block or body over its bound is "too_large", which it does not
 * (the same server would send the same again). */
int lk_http_finish(lua_State *L, lk_http *h, CURLcode rc) {
  long status = 0;
  int n;
  curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &status);
  if (rc == CURLE_OK && !h->head_done) {
    /* libcurl calls a close before the blank line a success: "HTTP/1.1 200
     * OK\r\nContent-Le" would read as a 200 with an empty body */
    lua_pushnil(L);
    lua_pushliteral(L, "response cut short in its headers (the connection closed before they ended)");
    lua_pushliteral(L, "network");
    if (status > 0) lua_pushinteger(L, status);
    else lua_pushnil(L);
    lua_pushboolean(L, 1);
    n = 5;
  } else if (rc == CURLE_OK) {
    lua_pushinteger(L, status);
    lua_pushlstring(L, h->body.data ? h->body.data : "", h->body.len);
    push_headers(L, &h->head);
    n = 3;
  } else {
    const char *kind = "network";
    const char *msg = h->errbuf[0] ? h->errbuf : curl_easy_strerror(rc);
    if (h->too_large || rc == CURLE_FILESIZE_EXCEEDED) {
      kind = "too_large";
      msg = "response body exceeds max_response_bytes";
    } else if (h->head_too_large || giant_header(h, rc, status)) {
      kind = "too_large";
      msg = "response headers too large";
    } else if (h->oom) {
      msg = "out of memory reading the response";
    } else if (rc == CURLE_OPERATION_TIMEDOUT) {
      kind = "timeout";
    }
    lua_pushnil(L);
    lua_pushfstring(L, "%s (curl %d)", msg, (int)rc);
    lua_pushstring(L, kind);
    if (status > 0) lua_pushinteger(L, status); /* a response had begun */
    else lua_pushnil(L);
    lua_pushboolean(L, maybe_sent(h, status));
    n = 5;
  }
  mem_release(&h->body, LK_KEEP_BUFFER);
  mem_release(&h->head, LK_KEEP_BUFFER);
  return n;
}

/* h:perform(req) -> the outcome (see lk_http_finish)
 * One blocking transfer on this handle alone, with the handle's own
 * connection cache. Clients go through their multi handle instead; this is
 * for tools and specs that want a plain HTTP call. */
static int http_perform(lua_State *L) {
  lk_http *h = lk_http_check(L, 1);
  CURLcode rc;
  if (h->state != LK_IDLE) return luaL_error(L, "linkup: the handle is busy");
  lk_http_prepare(L, h, 2);
  rc = curl_easy_perform(h->easy);
  return lk_http_finish(L, h, rc);
}

/* h:state() -> "idle" | "running" | "done" */
static int http_state(lua_State *L) {
  lk_http *h = (lk_http *)luaL_checkudata(L, 1, LK_HTTP_MT);
  static const char *const names[] = {"idle", "running", "done"};
  lua_pushstring(L, names[h->state]);
  return 1;
}

/* h:result() -> the outcome of the transfer that ended (see lk_http_finish).
 * The handle leaves its multi and is idle again. */
static int http_result(lua_State *L) {
  lk_http *h = lk_http_check(L, 1);
  if (h->state != LK_DONE) return luaL_error(L, "linkup: no finished transfer on this handle");
  lk_multi_detach(h);
  h->state = LK_IDLE;
  return lk_http_finish(L, h, h->rc);
}

/* h:cancel(): abandons a running or finished transfer; the handle is idle. */
static int http_cancel(lua_State *L) {
  lk_http *h = (lk_http *)luaL_checkudata(L, 1, LK_HTTP_MT);
  lk_multi_detach(h);
  h->state = LK_IDLE;
  mem_release(&h->body, LK_KEEP_BUFFER);
  mem_release(&h->head, LK_KEEP_BUFFER);
  return 0;
}

/* _parse_headers(raw) -> table: the header parser on its own, for the fuzz
 * harness and specs (internal). */
static int lk_parse_headers(lua_State *L) {
  lk_mem m;
  size_t len;
  m.data = (char *)luaL_checklstring(L, 1, &len);
  m.len = m.cap = len;
  push_headers(L, &m);
  return 1;
}

/* Adds http_new, _parse_headers and curl_version to the core table, and
 * the handle class. */
void lk_easy_init(lua_State *L) {
  static const luaL_Reg methods[] = {
    {"perform", http_perform},
    {"state", http_state},
    {"result", http_result},
    {"cancel", http_cancel},
    {"close", http_close},
    {NULL, NULL}
  };
  static const luaL_Reg funcs[] = {
    {"http_new", http_new},
    {"_parse_headers", lk_parse_headers},
    {NULL, NULL}
  };
  lk_new_class(L, LK_HTTP_MT, methods, http_close);
  luaL_setfuncs(L, funcs, 0);
  lua_pushstring(L, curl_version_info(CURLVERSION_NOW)->version);
  lua_setfield(L, -2, "curl_version");
}
