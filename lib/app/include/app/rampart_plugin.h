/* rampart plugin ABI, version 1: a third-party app in a shared object, written in C or C++.
 *
 * rampart dlopen()s the file named by a listener's `plugin:` key once, at start-up
 * (RTLD_NOW | RTLD_LOCAL), looks up RAMPART_PLUGIN_ENTRY and calls it. The entry returns a
 * rampart_plugin whose abi_version must equal RAMPART_PLUGIN_ABI_VERSION of the rampart that loads
 * it; otherwise the engine refuses to start and names the file and both versions.
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
 * RAMPART_PLUGIN_ABI_VERSION (and the entry symbol's suffix).
 */
#ifndef RAMPART_PLUGIN_H
#define RAMPART_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RAMPART_PLUGIN_ABI_VERSION 1u
/* The symbol the loader looks up: a function `const rampart_plugin* rampart_plugin_v1(void)`. */
#define RAMPART_PLUGIN_ENTRY "rampart_plugin_v1"

/* A connection, opaque to the plugin. */
typedef struct rampart_stream rampart_stream;

/* Why a connection ended (on_close); the values of rampart::tcp::close_reason. */
typedef enum rampart_close_reason {
  RAMPART_CLOSE_CLOSED = 0,       /* orderly: both FINs sent and acknowledged */
  RAMPART_CLOSE_RESET = 1,        /* the peer sent a RST */
  RAMPART_CLOSE_TIMEOUT = 2,      /* retransmissions unanswered past the retry limit */
  RAMPART_CLOSE_IDLE_TIMEOUT = 3, /* nothing received for the listener's idle timeout */
  RAMPART_CLOSE_ABORTED = 4,      /* the plugin called abort() */
  RAMPART_CLOSE_SHUTDOWN = 5      /* the engine is stopping */
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
} rampart_plugin;

/* The entry point a plugin defines (exported, C linkage). */
typedef const rampart_plugin* (*rampart_plugin_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* RAMPART_PLUGIN_H */
