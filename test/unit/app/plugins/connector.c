/* A version 2 plugin that uses what version 2 added: for each client it opens a connection to
 * args.peer ("a.b.c.d:port"), greets the peer once connected, forwards the peer's bytes to the
 * client (found by id), ticks the client 10 ms after it opened (a timer), and ends each side
 * when the other ends. */
#include <stdio.h>
#include <stdlib.h>

#include "app/rampart_plugin.h"

struct instance {
  const rampart_stream_api* api;
  rampart_host* host;
  uint32_t peer_ip;
  uint16_t peer_port;
  rampart_timer* tick;
  rampart_stream_id ticked; /* the client the tick goes to */
};

/* Both sides of one client: each side's context points here; freed when both have ended. */
struct pair {
  rampart_stream_id client;
  rampart_stream_id peer;
  int sides;
};

static void tick(void* arg) {
  struct instance* in = arg;
  rampart_stream* client = in->api->find(in->host, in->ticked);
  if (client != NULL) {
    in->api->send(client, "tick\n", 5);
  }
}

static void* create(const rampart_stream_api* api, uint32_t lcore, const rampart_plugin_arg* args, size_t n,
                    char* error, size_t size) {
  (void)lcore;
  unsigned a, b, c, d, port;
  if (n != 1 || sscanf(args[0].value, "%u.%u.%u.%u:%u", &a, &b, &c, &d, &port) != 5) {
    snprintf(error, size, "args.peer: give the peer as a.b.c.d:port");
    return NULL;
  }
  struct instance* in = calloc(1, sizeof *in);
  in->api = api;
  in->peer_ip = (a << 24) | (b << 16) | (c << 8) | d;
  in->peer_port = (uint16_t)port;
  in->tick = api->timer_new(tick, in);
  return in;
}
static void destroy(void* instance) {
  struct instance* in = instance;
  in->api->timer_free(in->tick);
  free(in);
}
static void attach(void* instance, rampart_host* host) { ((struct instance*)instance)->host = host; }

static void on_open(void* instance, rampart_stream* s) {
  struct instance* in = instance;
  struct pair* p = calloc(1, sizeof *p);
  p->client = in->api->id(s);
  p->peer.index = UINT32_MAX; /* names nothing until connect fills it */
  p->sides = 1;
  in->api->set_context(s, p);
  if (in->api->connect(in->host, in->peer_ip, in->peer_port, p, 0, &p->peer) == RAMPART_CONNECT_OK) {
    p->sides = 2;
  } else {
    in->api->abort(s);
    return;
  }
  in->ticked = p->client;
  in->api->timer_arm(in->host, in->tick, in->api->now_ns(in->host) + 10000000);
}
static void on_connected(void* instance, rampart_stream* s) {
  struct instance* in = instance;
  in->api->send(s, "hello from a plugin\n", 20);
}
static void on_data(void* instance, rampart_stream* s, const void* data, size_t length) {
  struct instance* in = instance;
  struct pair* p = in->api->get_context(s);
  if (in->api->outbound(s)) {
    rampart_stream* client = in->api->find(in->host, p->client);
    if (client != NULL) {
      in->api->send(client, data, length);
    }
  }
}
static void on_close(void* instance, rampart_stream* s, rampart_close_reason reason) {
  struct instance* in = instance;
  struct pair* p = in->api->get_context(s);
  (void)reason;
  if (p == NULL) {
    return;
  }
  rampart_stream* other = in->api->find(in->host, in->api->outbound(s) ? p->client : p->peer);
  if (other != NULL) {
    in->api->close(other);
  }
  if (--p->sides == 0) {
    free(p);
  }
}

static const rampart_plugin plugin = {
    .abi_version = RAMPART_PLUGIN_ABI_VERSION,
    .name = "connector",
    .create = create,
    .destroy = destroy,
    .on_open = on_open,
    .on_data = on_data,
    .on_close = on_close,
    .attach = attach,
    .on_connected = on_connected,
};

__attribute__((visibility("default"))) const rampart_plugin* rampart_plugin_v2(void) { return &plugin; }
