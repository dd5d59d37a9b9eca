/* lkhttp.c: HTTP for linkup, on libcurl.
 *
 * One userdata ("linkup.http") owns one easy handle, reused for every request
 * of a client so that libcurl keeps the connection alive between calls.
 *
 * No Lua error may unwind through libcurl: the write and header callbacks
 * only copy bytes into C buffers owned by the userdata and never touch the
 * Lua state. Everything Lua sees is built after curl_easy_perform (or the
 * multi loop) has returned. The userdata is zeroed at birth and every
 * resource it owns is freed by one idempotent close, also run by __gc and
 * __close, so a Lua error raised anywhere leaks nothing.
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "linkup.h"

#define LK_HTTP_MT "linkup.http"
/* Buffers above this are released after each response, so one big page does
 * not pin its memory for the client's lifetime. */
#define LK_KEEP_BUFFER (1u << 20)

typedef struct {
  char *data;
  size_t len, cap;
} lk_mem;

typedef struct {
  CURL *easy;
  struct curl_slist *headers; /* request headers, freed at the next request */
  lk_mem body, head;
  size_t max_bytes;           /* largest body accepted (decoded) */
  int too_large, oom;
  char errbuf[CURL_ERROR_SIZE];
} lk_http;

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

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud) {
  lk_http *h = (lk_http *)ud;
  size_t n = size * nmemb;
  /* A status line starts a new response (after a 100 Continue, say): keep
   * only the headers of the last one. */
  if (n >= 5 && memcmp(ptr, "HTTP/", 5) == 0) h->head.len = 0;
  if (h->head.len + n > 256 * 1024) return 0; /* absurd header block */
  if (!mem_add(&h->head, ptr, n)) {
    h->oom = 1;
    return 0;
  }
  return n;
}

static lk_http *check_http(lua_State *L, int idx) {
  lk_http *h = (lk_http *)luaL_checkudata(L, idx, LK_HTTP_MT);
  if (h->easy == NULL) luaL_error(L, "linkup: the client is closed");
  return h;
}

/* Frees everything the handle owns. Idempotent: close, __gc and __close. */
static int http_close(lua_State *L) {
  lk_http *h = (lk_http *)luaL_checkudata(L, 1, LK_HTTP_MT);
  if (h->easy) curl_easy_cleanup(h->easy);
  h->easy = NULL;
  curl_slist_free_all(h->headers);
  h->headers = NULL;
  mem_release(&h->body, 0);
  mem_release(&h->head, 0);
  return 0;
}

static int http_closed(lua_State *L) {
  lk_http *h = (lk_http *)luaL_checkudata(L, 1, LK_HTTP_MT);
  lua_pushboolean(L, h->easy == NULL);
  return 1;
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

  curl_easy_setopt(h->easy, CURLOPT_NOSIGNAL, 1L); /* no SIGALRM for DNS timeouts */
  curl_easy_setopt(h->easy, CURLOPT_ACCEPT_ENCODING, ""); /* every encoding built in: gzip, ... */
  curl_easy_setopt(h->easy, CURLOPT_USERAGENT, ua);
  curl_easy_setopt(h->easy, CURLOPT_ERRORBUFFER, h->errbuf);
  curl_easy_setopt(h->easy, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h->easy, CURLOPT_WRITEDATA, h);
  curl_easy_setopt(h->easy, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h->easy, CURLOPT_HEADERDATA, h);
  curl_easy_setopt(h->easy, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h->easy, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(h->easy, CURLOPT_TCP_KEEPALIVE, 1L);
  /* Never follow a redirect: x-api-key would go along to wherever it points. */
  curl_easy_setopt(h->easy, CURLOPT_FOLLOWLOCATION, 0L);
  /* Only HTTP(S): a base_url of file:// or another scheme is refused. */
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(h->easy, CURLOPT_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(h->easy, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  if (ca) curl_easy_setopt(h->easy, CURLOPT_CAINFO, ca);
  /* Proxies: libcurl reads http_proxy, https_proxy and no_proxy itself. */
  return 1;
}

/* Sets up one request from the Lua arguments at base..base+6:
 * method, url, headers (table name -> value), body (string or nil),
 * timeout (s), connect_timeout (s), max_bytes. The body string must stay on
 * the Lua stack until the transfer ends: libcurl reads it in place. */
static void lk_http_prepare(lua_State *L, lk_http *h, int base) {
  const char *method = luaL_checkstring(L, base);
  const char *url = luaL_checkstring(L, base + 1);
  size_t blen = 0;
  const char *body;
  lua_Number timeout = luaL_checknumber(L, base + 4);
  lua_Number ctimeout = luaL_checknumber(L, base + 5);
  lua_Number max_bytes = luaL_checknumber(L, base + 6);
  luaL_checktype(L, base + 2, LUA_TTABLE);
  body = luaL_optlstring(L, base + 3, NULL, &blen);

  /* Headers: rebuilt per request. The list hangs on the handle so a Lua
   * error while building it (out of memory) cannot leak it. */
  curl_slist_free_all(h->headers);
  h->headers = NULL;
  lua_pushnil(L);
  while (lua_next(L, base + 2) != 0) {
    struct curl_slist *n;
    lua_pushvalue(L, -2); /* tostring on a copy: never convert a lua_next key */
    lua_pushfstring(L, "%s: %s", lua_tostring(L, -1), luaL_checkstring(L, -2));
    n = curl_slist_append(h->headers, lua_tostring(L, -1));
    if (n == NULL) luaL_error(L, "linkup: out of memory");
    h->headers = n;
    lua_pop(L, 3);
  }
  /* No "Expect: 100-continue" round trip for our small bodies. */
  h->headers = curl_slist_append(h->headers, "Expect:");
  if (h->headers == NULL) luaL_error(L, "linkup: out of memory");

  h->body.len = h->head.len = 0;
  h->too_large = h->oom = 0;
  h->errbuf[0] = '\0';
  h->max_bytes = max_bytes > 0 ? (size_t)max_bytes : (size_t)-1;

  curl_easy_setopt(h->easy, CURLOPT_URL, url);
  curl_easy_setopt(h->easy, CURLOPT_HTTPHEADER, h->headers);
  curl_easy_setopt(h->easy, CURLOPT_TIMEOUT_MS, (long)(timeout * 1000.0));
  curl_easy_setopt(h->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)(ctimeout * 1000.0));
  curl_easy_setopt(h->easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)h->max_bytes);
  if (strcmp(method, "GET") == 0) {
    curl_easy_setopt(h->easy, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(h->easy, CURLOPT_CUSTOMREQUEST, NULL);
  } else {
    curl_easy_setopt(h->easy, CURLOPT_POST, 1L);
    curl_easy_setopt(h->easy, CURLOPT_POSTFIELDS, body ? body : "");
    curl_easy_setopt(h->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
    curl_easy_setopt(h->easy, CURLOPT_CUSTOMREQUEST,
                     strcmp(method, "POST") == 0 ? NULL : method);
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

/* Pushes the outcome of a finished transfer:
 *   status, body, headers               on any HTTP response
 *   nil, message, kind[, status]        when none came whole (kind:
 *                                       "timeout", "network", "too_large")
 * which is the transport convention of API.md, plus the kind.
 * and returns the number of values pushed. */
static int lk_http_finish(lua_State *L, lk_http *h, CURLcode rc) {
  long status = 0;
  int n;
  curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &status);
  if (rc == CURLE_OK) {
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
    } else if (h->oom) {
      msg = "out of memory reading the response";
    } else if (rc == CURLE_OPERATION_TIMEDOUT) {
      kind = "timeout";
    }
    lua_pushnil(L);
    lua_pushfstring(L, "%s (curl %d)", msg, (int)rc);
    lua_pushstring(L, kind);
    n = 3;
    if (status > 0) { /* a response had begun: its status helps the error */
      lua_pushinteger(L, status);
      n = 4;
    }
  }
  mem_release(&h->body, LK_KEEP_BUFFER);
  mem_release(&h->head, LK_KEEP_BUFFER);
  return n;
}

/* h:perform(method, url, headers, body, timeout, connect_timeout, max_bytes)
 * One blocking transfer on this handle alone, with the handle's own
 * connection cache. Clients go through their multi handle instead (below);
 * this is for tools and specs that want a plain HTTP call. */
static int http_perform(lua_State *L) {
  lk_http *h = check_http(L, 1);
  CURLcode rc;
  lk_http_prepare(L, h, 2);
  rc = curl_easy_perform(h->easy);
  return lk_http_finish(L, h, rc);
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

/* ---- many at once: the multi interface --------------------------------
 *
 * One "linkup.multi" per client owns a CURLM. Its connection cache is shared
 * by every easy handle it runs, so the client keeps one set of kept-alive
 * connections whether it sends one request or sixteen at a time. Easy
 * handles are attached only for the length of one perform call. */

#define LK_MULTI_MT "linkup.multi"
/* One perform call runs at most this many transfers: a bound for the stack
 * arrays below, far above any sensible concurrency against one API. */
#define LK_MULTI_MAX 64

typedef struct {
  CURLM *multi;
} lk_multi;

static int multi_close(lua_State *L) {
  lk_multi *m = (lk_multi *)luaL_checkudata(L, 1, LK_MULTI_MT);
  if (m->multi) curl_multi_cleanup(m->multi);
  m->multi = NULL;
  return 0;
}

static int multi_new(lua_State *L) {
  lk_multi *m = (lk_multi *)lua_newuserdatauv(L, sizeof *m, 0);
  memset(m, 0, sizeof *m);
  luaL_setmetatable(L, LK_MULTI_MT);
  m->multi = curl_multi_init();
  if (m->multi == NULL) return luaL_error(L, "linkup: curl_multi_init failed");
  return 1;
}

/* m:perform(jobs) -> results
 * jobs[i] = { handle, method, url, headers, body, timeout, connect_timeout,
 *             max_bytes }, each with its own handle;
 * results[i] = { status, body, headers } or { nil, message, kind[, status] }.
 * Blocks until every transfer has ended. */
static int multi_perform(lua_State *L) {
  lk_multi *m = (lk_multi *)luaL_checkudata(L, 1, LK_MULTI_MT);
  lk_http *hs[LK_MULTI_MAX];
  CURLcode rcs[LK_MULTI_MAX];
  int n, i, j, running = 0, added = 0;
  CURLMcode mc = CURLM_OK;
  if (m->multi == NULL) return luaL_error(L, "linkup: the client is closed");
  luaL_checktype(L, 2, LUA_TTABLE);
  n = (int)lua_rawlen(L, 2);
  if (n > LK_MULTI_MAX) return luaL_error(L, "linkup: at most %d transfers at once", LK_MULTI_MAX);

  /* Prepare them all first: lk_http_prepare may raise, and must do so
   * before any handle is attached to the multi. The body strings stay
   * anchored in the jobs table (argument 2) until the transfers end. */
  for (i = 0; i < n; i++) {
    int base;
    lua_rawgeti(L, 2, i + 1);
    luaL_checktype(L, -1, LUA_TTABLE);
    base = lua_gettop(L) + 1;
    for (j = 1; j <= 8; j++) lua_rawgeti(L, base - 1, j);
    hs[i] = check_http(L, base);
    for (j = 0; j < i; j++)
      if (hs[j] == hs[i]) return luaL_error(L, "linkup: one handle twice in a batch");
    lk_http_prepare(L, hs[i], base + 1);
    rcs[i] = CURLE_OK;
    lua_settop(L, 2);
  }
  for (i = 0; i < n; i++) {
    curl_easy_setopt(hs[i]->easy, CURLOPT_PRIVATE, (char *)hs[i]);
    if (curl_multi_add_handle(m->multi, hs[i]->easy) != CURLM_OK) break;
    added++;
  }
  if (added == n) {
    do {
      CURLMsg *msg;
      int left;
      mc = curl_multi_perform(m->multi, &running);
      while ((msg = curl_multi_info_read(m->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE) continue;
        for (i = 0; i < n; i++)
          if (hs[i]->easy == msg->easy_handle) rcs[i] = msg->data.result;
      }
      if (running && mc == CURLM_OK) mc = curl_multi_poll(m->multi, NULL, 0, 1000, NULL);
    } while (running && mc == CURLM_OK);
  }
  /* Detach everything before any Lua value is built (building may raise). */
  for (i = 0; i < added; i++) curl_multi_remove_handle(m->multi, hs[i]->easy);
  if (added < n || mc != CURLM_OK)
    return luaL_error(L, "linkup: curl multi failed: %s", curl_multi_strerror(mc));

  lua_createtable(L, n, 0);
  for (i = 0; i < n; i++) {
    int k;
    lua_createtable(L, 4, 0);
    k = lk_http_finish(L, hs[i], rcs[i]);
    /* stack: results, t, v1..vk: store vk first, t is then at -(k+1) */
    for (j = k; j >= 1; j--) lua_rawseti(L, -(j + 1), j);
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

/* Seconds since an arbitrary start, monotonic: for durations and deadlines. */
static int lk_now(lua_State *L) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
  return 1;
}

/* Blocks for the given seconds (the default `sleep` between retries). */
static int lk_sleep(lua_State *L) {
  lua_Number s = luaL_checknumber(L, 1);
  struct timespec ts;
  if (s <= 0) return 0;
  ts.tv_sec = (time_t)s;
  ts.tv_nsec = (long)((s - (lua_Number)ts.tv_sec) * 1e9);
  while (nanosleep(&ts, &ts) != 0) {
  }
  return 0;
}

/* getdate(s) -> epoch seconds of an HTTP date, or nil. */
static int lk_getdate(lua_State *L) {
  time_t t = curl_getdate(luaL_checkstring(L, 1), NULL);
  if (t == (time_t)-1) return 0;
  lua_pushinteger(L, (lua_Integer)t);
  return 1;
}

/* time() -> wall-clock epoch seconds (for Retry-After dates). */
static int lk_time(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)time(NULL));
  return 1;
}

/* A userdata class: methods under __index; close is also __gc and __close
 * (idempotent, so a closed handle may be collected or closed again). */
static void new_class(lua_State *L, const char *name, const luaL_Reg *methods, lua_CFunction close) {
  luaL_newmetatable(L, name);
  lua_newtable(L);
  luaL_setfuncs(L, methods, 0);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, close);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, close);
  lua_setfield(L, -2, "__close");
  lua_pop(L, 1);
}

void lk_http_init(lua_State *L) {
  static const luaL_Reg http_methods[] = {
    {"perform", http_perform},
    {"close", http_close},
    {"closed", http_closed},
    {NULL, NULL}
  };
  static const luaL_Reg multi_methods[] = {
    {"perform", multi_perform},
    {"close", multi_close},
    {NULL, NULL}
  };
  static const luaL_Reg funcs[] = {
    {"http_new", http_new},
    {"multi_new", multi_new},
    {"now", lk_now},
    {"sleep", lk_sleep},
    {"getdate", lk_getdate},
    {"time", lk_time},
    {"_parse_headers", lk_parse_headers},
    {NULL, NULL}
  };
  new_class(L, LK_HTTP_MT, http_methods, http_close);
  new_class(L, LK_MULTI_MT, multi_methods, multi_close);
  luaL_setfuncs(L, funcs, 0);
  lua_pushstring(L, curl_version_info(CURLVERSION_NOW)->version);
  lua_setfield(L, -2, "curl_version");
}
