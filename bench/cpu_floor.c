/* The C floor for CPU per item: a libcurl loop (one reused easy handle)
 * that only reads the bodies, and lua-cjson decoding each one from C. No
 * Lua-side work per item at all. Prints: items cpu_seconds
 *   cpu_floor BASE_URL PAGES PAGE_SIZE */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

typedef struct { char *p; size_t n, cap; } buf;

static size_t on_body(char *d, size_t s, size_t m, void *u) {
  buf *b = u;
  size_t k = s * m;
  if (b->n + k > b->cap) {
    while (b->n + k > b->cap) b->cap = b->cap ? b->cap * 2 : 65536;
    b->p = realloc(b->p, b->cap);
  }
  memcpy(b->p + b->n, d, k);
  b->n += k;
  return k;
}

int main(int argc, char **argv) {
  char url[512], body[256];
  int pages, size, p;
  long items = 0;
  buf b = {0};
  CURL *e;
  struct curl_slist *h = NULL;
  lua_State *L = luaL_newstate();
  clock_t t0;
  if (argc < 4) {
    fprintf(stderr, "usage: cpu_floor BASE_URL PAGES PAGE_SIZE\n");
    return 2;
  }
  pages = atoi(argv[2]);
  size = atoi(argv[3]);
  luaL_openlibs(L);
  lua_getglobal(L, "require");
  lua_pushstring(L, "cjson");
  lua_call(L, 1, 1);
  lua_getfield(L, -1, "decode");   /* stack: cjson, decode */
  curl_global_init(CURL_GLOBAL_DEFAULT);
  e = curl_easy_init();
  snprintf(url, sizeof url, "%s/v2/network", argv[1]);
  h = curl_slist_append(h, "x-api-key: test-bench");
  h = curl_slist_append(h, "Content-Type: application/json");
  h = curl_slist_append(h, "Expect:");
  curl_easy_setopt(e, CURLOPT_URL, url);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
  curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
  t0 = clock();
  for (p = 0; p < pages; p++) {
    snprintf(body, sizeof body,
             "{\"account_id\":\"bench\",\"action\":\"list_connections\",\"params\":{\"count\":%d,\"offset\":%d}}",
             size, p * size);
    curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, body);
    b.n = 0;
    if (curl_easy_perform(e) != CURLE_OK) return 1;
    lua_pushvalue(L, -1);
    lua_pushlstring(L, b.p, b.n);
    lua_call(L, 1, 1);
    lua_getfield(L, -1, "data");
    lua_getfield(L, -1, "connections");
    items += (long)lua_rawlen(L, -1);
    lua_pop(L, 3);
  }
  printf("%ld\t%f\n", items, (double)(clock() - t0) / CLOCKS_PER_SEC);
  curl_easy_cleanup(e);
  curl_slist_free_all(h);
  lua_close(L);
  free(b.p);
  return 0;
}
