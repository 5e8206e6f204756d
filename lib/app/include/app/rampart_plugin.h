/* rampart plugin ABI, version 2: a third-party app in a shared object, written in C or C++.
 *
 * rampart dlopen()s the file named by a listener's `plugin:` key once, at start-up
 * (RTLD_NOW | RTLD_LOCAL), looks up RAMPART_PLUGIN_ENTRY and calls it. The entry returns a
 * rampart_plugin whose abi_version must equal RAMPART_PLUGIN_ABI_VERSION. A version 1 plugin
 * (entry RAMPART_PLUGIN_ENTRY_V1, its table laid out as rampart_plugin_abi_v1) still loads and runs as it did; any
 * other version is refused at start-up with a message naming the file and both versions.
 *
 * Version 2 adds what an app in front of other services needs: opening connections
 * (connect, on_connected, RAMPART_CLOSE_REFUSED / _UNREACHABLE), naming a stream beyond its
 * callbacks (rampart_stream_id, find) and timers; the host they go through comes to attach().
 *
 * Then, for each worker lcore, `create` makes one instance (never shared between lcores: no
 * locking needed) with the listener's args; every callback of that lcore's connections receives
 * it. Callbacks run on the worker lcore inside its packet loop: they must not block, sleep or
 * make system calls, and should not allocate per packet.
 *
 * A rampart_stream* is valid during the callback that received it, and for the connection from
 * on_open until on_close returns. Per-connection state hangs on set_context (see
 * docs/apps.md, "Plugins", for a complete example and the build commands).
 *
 * Compatibility rule: any change to a struct or a signature below bumps
 * RAMPART_PLUGIN_ABI_VERSION (and the entry symbol's suffix); what a new version adds goes at the
 * end of rampart_stream_api, whose earlier versions' prefix stays as it was.
 */
#ifndef RAMPART_PLUGIN_H
#define RAMPART_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RAMPART_PLUGIN_ABI_VERSION 2u
/* The symbol the loader looks up: a function `const rampart_plugin* rampart_plugin_v2(void)`. */
#define RAMPART_PLUGIN_ENTRY "rampart_plugin_v2"
/* A version 1 plugin's entry: `const rampart_plugin_abi_v1* rampart_plugin_v1(void)`. */
#define RAMPART_PLUGIN_ENTRY_V1 "rampart_plugin_v1"

/* A connection, opaque to the plugin. */
typedef struct rampart_stream rampart_stream;
/* The plugin instance's lcore services (attach): connect, find, timers. Opaque. */
typedef struct rampart_host rampart_host;
/* A timer of the plugin's (timer_new). Opaque. */
typedef struct rampart_timer rampart_timer;

/* A stream's name beyond its callbacks: find() returns the stream while it lives, NULL after. */
typedef struct rampart_stream_id {
  uint32_t index;
  uint32_t generation;
} rampart_stream_id;

/* Why connect() started nothing (0: it did). */
typedef enum rampart_connect_error {
  RAMPART_CONNECT_OK = 0,
  RAMPART_CONNECT_NO_LOCAL_PORT = 1, /* every local port toward that peer is in use */
  RAMPART_CONNECT_TABLE_FULL = 2,    /* the connection table is full */
  RAMPART_CONNECT_NO_ROUTE = 3,      /* no route to the peer */
  RAMPART_CONNECT_NOT_IN_CALLBACK = 4
} rampart_connect_error;

/* Why a connection ended (on_close); the values of rampart::tcp::close_reason. */
typedef enum rampart_close_reason {
  RAMPART_CLOSE_CLOSED = 0,       /* orderly: both FINs sent and acknowledged */
  RAMPART_CLOSE_RESET = 1,        /* the peer sent a RST */
  RAMPART_CLOSE_TIMEOUT = 2,      /* retransmissions unanswered past the retry limit */
  RAMPART_CLOSE_IDLE_TIMEOUT = 3, /* nothing received for the listener's idle timeout */
  RAMPART_CLOSE_ABORTED = 4,      /* the plugin called abort() */
  RAMPART_CLOSE_SHUTDOWN = 5,     /* the engine is stopping */
  /* Version 2: a connection the plugin opened that never connected (or RAMPART_CLOSE_TIMEOUT). */
  RAMPART_CLOSE_REFUSED = 6,      /* the peer answered the SYN with a RST */
  RAMPART_CLOSE_UNREACHABLE = 7   /* the next hop never answered ARP */
} rampart_close_reason;

/* What the engine offers a plugin; passed to create(), valid until destroy() returns. */
typedef struct rampart_stream_api {
  /* Copies up to `length` bytes into the connection's send buffer and returns how many it took:
   * fewer means the buffer is full, and on_writable follows when space frees up. 0 after close
   * or abort. */
  size_t (*send)(rampart_stream* stream, const void* data, size_t length);
  /* Bytes send() would accept now. */
  size_t (*send_space)(const rampart_stream* stream);
  /* FIN after everything queued has been sent; sending ends here. */
  void (*close)(rampart_stream* stream);
  /* RST now, queued data discarded; on_close(RAMPART_CLOSE_ABORTED) follows, possibly before
   * abort returns: touch no per-connection state after calling it. */
  void (*abort)(rampart_stream* stream);
  /* The plugin's per-connection pointer (NULL until set). */
  void* (*get_context)(const rampart_stream* stream);
  void (*set_context)(rampart_stream* stream, void* context);

  /* ---- Version 2 (a version 1 plugin sees the table up to here) ---- */
  rampart_stream_id (*id)(const rampart_stream* stream);
  /* 1 for a connection the plugin opened (connect), 0 for a client's. */
  int (*outbound)(const rampart_stream* stream);
  /* Opens a connection to ipv4:port (host byte order, 10.0.0.5 = 0x0a000005); from a callback
   * only. On success (0) *id names the new stream, and on_connected or on_close (REFUSED,
   * TIMEOUT, UNREACHABLE) follows, never before connect returns; `context` is its context from
   * the start. timeout_ns 0: the engine's default (15 s). Data sent before on_connected waits. */
  rampart_connect_error (*connect)(rampart_host* host, uint32_t ipv4, uint16_t port, void* context,
                                   uint64_t timeout_ns, rampart_stream_id* id);
  /* The stream `id` names while it lives, else NULL; valid until the callback returns. What is
   * asked of a stream other than the callback's own takes effect when the callback returns. */
  rampart_stream* (*find)(rampart_host* host, rampart_stream_id id);
  /* Timers: timer_new allocates (call it from create or attach, not per packet) one that calls
   * fire(arg) on the lcore, as a callback, once per arming; timer_free one that is not armed. */
  rampart_timer* (*timer_new)(void (*fire)(void* arg), void* arg);
  void (*timer_arm)(rampart_host* host, rampart_timer* timer, uint64_t at_ns);
  void (*timer_cancel)(rampart_host* host, rampart_timer* timer);
  void (*timer_free)(rampart_timer* timer);
  /* The lcore's clock, ns since the Unix epoch (the clock timer_arm takes). */
  uint64_t (*now_ns)(const rampart_host* host);
} rampart_stream_api;

/* One listener argument (`args:` in the config); both strings are NUL-terminated. */
typedef struct rampart_plugin_arg {
  const char* key;
  const char* value;
} rampart_plugin_arg;

typedef struct rampart_plugin {
  /* RAMPART_PLUGIN_ABI_VERSION as the plugin was compiled. */
  uint32_t abi_version;
  /* Short name for logs and errors ("uppercase"). */
  const char* name;

  /* One instance per worker lcore (lcore_id: the DPDK lcore it will run on, for names and
   * per-lcore resources). On bad args: return NULL and write a one-line message naming the
   * argument and the fix into error (error_size bytes, NUL-terminated); rampart then refuses to
   * start and prints it. Called at start-up only, possibly from another thread than the lcore's;
   * may allocate. */
  void* (*create)(const rampart_stream_api* api, uint32_t lcore_id, const rampart_plugin_arg* args,
                  size_t arg_count, char* error, size_t error_size);
  /* Frees an instance; every connection has had on_close before. */
  void (*destroy)(void* instance);

  /* Required: the handshake completed. */
  void (*on_open)(void* instance, rampart_stream* stream);
  /* Required: in-order bytes; `data` is valid during the call only (copy what you keep). */
  void (*on_data)(void* instance, rampart_stream* stream, const void* data, size_t length);
  /* Optional (NULL: nothing): send space freed after send() took less than asked. */
  void (*on_writable)(void* instance, rampart_stream* stream);
  /* Optional (NULL: close the stream): the peer sent FIN and sends no more. */
  void (*on_peer_closed)(void* instance, rampart_stream* stream);
  /* Required: the last call for this connection; free its context here. */
  void (*on_close)(void* instance, rampart_stream* stream, rampart_close_reason reason);

  /* ---- Version 2 ---- */
  /* Optional: once per instance, after create and before any connection: its host. */
  void (*attach)(void* instance, rampart_host* host);
  /* Optional: a connection the plugin opened reached ESTABLISHED. */
  void (*on_connected)(void* instance, rampart_stream* stream);
} rampart_plugin;

/* Version 1's plugin struct (version 2's without attach and on_connected), still loaded. */
typedef struct rampart_plugin_abi_v1 {
  uint32_t abi_version; /* 1 */
  const char* name;
  void* (*create)(const rampart_stream_api* api, uint32_t lcore_id, const rampart_plugin_arg* args,
                  size_t arg_count, char* error, size_t error_size);
  void (*destroy)(void* instance);
  void (*on_open)(void* instance, rampart_stream* stream);
  void (*on_data)(void* instance, rampart_stream* stream, const void* data, size_t length);
  void (*on_writable)(void* instance, rampart_stream* stream);
  void (*on_peer_closed)(void* instance, rampart_stream* stream);
  void (*on_close)(void* instance, rampart_stream* stream, rampart_close_reason reason);
} rampart_plugin_abi_v1;

/* The entry point a plugin defines (exported, C linkage). */
typedef const rampart_plugin* (*rampart_plugin_entry_fn)(void);
typedef const rampart_plugin_abi_v1* (*rampart_plugin_v1_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* RAMPART_PLUGIN_H */
