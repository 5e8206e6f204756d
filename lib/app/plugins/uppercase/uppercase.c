/* uppercase: a sample rampart plugin. It sends back every byte it receives, ASCII letters
 * upper-cased, after an optional greeting line; FIN from the client is answered with FIN once
 * everything has been sent. It shows the whole ABI in plain C: args and error reporting in
 * create, per-connection state on the stream's context, and back-pressure (bytes send() did not
 * take wait in a bounded per-connection buffer for on_writable; a client that sends more than
 * max_held bytes without reading is aborted).
 *
 * Args:   greeting   text sent when a connection opens (default: none), at most 255 bytes
 *         max_held   bytes held per connection while the client does not read, 1..1048576
 *                    (default 16384)
 * Build:  cc -shared -fPIC -I<rampart>/lib/app/include -o uppercase.so uppercase.c
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/rampart_plugin.h"

struct instance {
  const rampart_stream_api* api;
  size_t max_held;
  size_t greeting_length;
  char greeting[256];
};

struct connection {
  int peer_closed;
  size_t held;
  unsigned char pending[]; /* max_held bytes */
};

static void* create(const rampart_stream_api* api, uint32_t lcore_id, const rampart_plugin_arg* args,
                    size_t arg_count, char* error, size_t error_size) {
  (void)lcore_id;
  struct instance* in = calloc(1, sizeof *in);
  if (in == NULL) {
    snprintf(error, error_size, "uppercase: out of memory");
    return NULL;
  }
  in->api = api;
  in->max_held = 16384;
  for (size_t i = 0; i < arg_count; ++i) {
    const char* key = args[i].key;
    const char* value = args[i].value;
    if (strcmp(key, "greeting") == 0) {
      in->greeting_length = strlen(value);
      if (in->greeting_length >= sizeof in->greeting) {
        snprintf(error, error_size, "args.greeting: %zu bytes is too long; at most %zu",
                 in->greeting_length, sizeof in->greeting - 1);
        free(in);
        return NULL;
      }
      memcpy(in->greeting, value, in->greeting_length);
    } else if (strcmp(key, "max_held") == 0) {
      char* end = NULL;
      const unsigned long n = strtoul(value, &end, 10);
      if (*value < '0' || *value > '9' || *end != '\0' || n < 1 || n > 1048576) {
        snprintf(error, error_size, "args.max_held: \"%s\" is not a number in 1..1048576", value);
        free(in);
        return NULL;
      }
      in->max_held = n;
    } else {
      snprintf(error, error_size,
               "args.%s: unknown argument for the uppercase plugin; known: greeting, max_held", key);
      free(in);
      return NULL;
    }
  }
  return in;
}

static void destroy(void* instance) { free(instance); }

/* Sends what the stream takes of the held bytes; returns 1 when none are left. */
static int flush(struct instance* in, rampart_stream* s, struct connection* c) {
  const size_t sent = in->api->send(s, c->pending, c->held);
  memmove(c->pending, c->pending + sent, c->held - sent);
  c->held -= sent;
  return c->held == 0;
}

static void transform(unsigned char* out, const unsigned char* in, size_t length, int upper) {
  for (size_t i = 0; i < length; ++i) {
    const unsigned char b = in[i];
    out[i] = (upper && b >= 'a' && b <= 'z') ? (unsigned char)(b - 'a' + 'A') : b;
  }
}

/* Sends bytes (upper-cased when `upper`) after what is held, holding what the stream does not
 * take; 0 when the connection was aborted for holding more than max_held. */
static int put(struct instance* in, rampart_stream* s, struct connection* c,
               const unsigned char* data, size_t length, int upper) {
  size_t done = 0;
  if (c->held == 0) {
    /* Nothing waits: send straight from a small stack buffer. */
    unsigned char chunk[512];
    while (done < length) {
      const size_t n = length - done < sizeof chunk ? length - done : sizeof chunk;
      transform(chunk, data + done, n, upper);
      const size_t sent = in->api->send(s, chunk, n);
      done += sent;
      if (sent < n) {
        break;
      }
    }
  }
  const size_t rest = length - done;
  if (rest == 0) {
    return 1;
  }
  if (c->held + rest > in->max_held) {
    in->api->abort(s); /* on_close has freed c, or will: do not touch it again */
    return 0;
  }
  transform(c->pending + c->held, data + done, rest, upper);
  c->held += rest;
  return 1;
}

static void on_open(void* instance, rampart_stream* s) {
  struct instance* in = instance;
  struct connection* c = malloc(sizeof *c + in->max_held);
  if (c == NULL) {
    in->api->abort(s);
    return;
  }
  c->peer_closed = 0;
  c->held = 0;
  in->api->set_context(s, c);
  if (in->greeting_length > 0) {
    put(in, s, c, (const unsigned char*)in->greeting, in->greeting_length, 0);
  }
}

static void on_data(void* instance, rampart_stream* s, const void* data, size_t length) {
  struct instance* in = instance;
  struct connection* c = in->api->get_context(s);
  if (c != NULL) {
    put(in, s, c, data, length, 1);
  }
}

static void on_writable(void* instance, rampart_stream* s) {
  struct instance* in = instance;
  struct connection* c = in->api->get_context(s);
  if (c != NULL && flush(in, s, c) && c->peer_closed) {
    in->api->close(s);
  }
}

static void on_peer_closed(void* instance, rampart_stream* s) {
  struct instance* in = instance;
  struct connection* c = in->api->get_context(s);
  if (c == NULL || c->held == 0) {
    in->api->close(s);
  } else {
    c->peer_closed = 1;
  }
}

static void on_close(void* instance, rampart_stream* s, rampart_close_reason reason) {
  struct instance* in = instance;
  (void)reason;
  free(in->api->get_context(s));
  in->api->set_context(s, NULL);
}

static const rampart_plugin plugin = {
    .abi_version = RAMPART_PLUGIN_ABI_VERSION,
    .name = "uppercase",
    .create = create,
    .destroy = destroy,
    .on_open = on_open,
    .on_data = on_data,
    .on_writable = on_writable,
    .on_peer_closed = on_peer_closed,
    .on_close = on_close,
};

__attribute__((visibility("default"))) const rampart_plugin* rampart_plugin_v2(void) {
  return &plugin;
}
