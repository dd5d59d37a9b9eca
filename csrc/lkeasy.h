/* lkeasy.h: one libcurl easy handle and the transfer it carries, shared by
 * lkeasy.c (the handle, a request, its outcome) and lkmulti.c (running many
 * handles at once on one multi handle). */
#ifndef LINKUP_LKEASY_H
#define LINKUP_LKEASY_H

#include <stddef.h>

#include <curl/curl.h>

#include "linkup.h"

#define LK_HTTP_MT "linkup.http"

typedef struct {
  char *data;
  size_t len, cap;
} lk_mem;

struct lk_multi;

/* The life of a handle: IDLE -> (multi:start) RUNNING -> (multi:wait sees
 * it end) DONE -> (h:result) IDLE. cancel takes RUNNING or DONE to IDLE. */
enum { LK_IDLE = 0, LK_RUNNING, LK_DONE };

typedef struct lk_http {
  CURL *easy;
  struct curl_slist *headers; /* request headers, freed at the next request */
  lk_mem body, head;
  size_t max_bytes;           /* largest body accepted (decoded) */
  int too_large;              /* the body passed max_bytes */
  int oom;                    /* our buffers could not grow */
  int head_done;              /* the last response's header block ended (its blank line came) */
  int head_too_large;         /* the header block passed LK_MAX_HEAD */
  int state;                  /* LK_IDLE, LK_RUNNING, LK_DONE */
  CURLcode rc;                /* the outcome, once DONE */
  /* The multi this handle is attached to (RUNNING or DONE), else NULL. Not a
   * Lua reference: both sides clear it when either is closed, so neither
   * can point at a freed struct. */
  struct lk_multi *multi;
  struct lk_http *prev, *next; /* the multi's list of attached handles */
  char errbuf[CURL_ERROR_SIZE];
} lk_http;

/* Raises unless idx is an open handle. */
LINKUP_HIDDEN lk_http *lk_http_check(lua_State *L, int idx);
/* Sets up one request from the table at idx, read by field name: method,
 * url, headers, body, timeout, connect_timeout, max_bytes, fresh. May raise
 * (a bad field, out of memory): call it before attaching the handle. */
LINKUP_HIDDEN void lk_http_prepare(lua_State *L, lk_http *h, int idx);
/* Pushes the outcome of a finished transfer (see lkeasy.c) and resets the
 * handle's buffers; returns the number of values pushed. */
LINKUP_HIDDEN int lk_http_finish(lua_State *L, lk_http *h, CURLcode rc);
/* Detaches the handle from its multi, if any (lkmulti.c). Never raises. */
LINKUP_HIDDEN void lk_multi_detach(lk_http *h);

#endif
