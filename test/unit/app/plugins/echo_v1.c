/* A version 1 plugin, as plugins were built before version 2 (its own struct and entry name):
 * it must still load and serve. It echoes what it receives. */
#include <stddef.h>

#include "app/rampart_plugin.h"

static const rampart_stream_api* api;

static void* create(const rampart_stream_api* a, uint32_t lcore, const rampart_plugin_arg* args, size_t n,
                    char* error, size_t size) {
  (void)lcore, (void)args, (void)n, (void)error, (void)size;
  api = a;
  return (void*)1;
}
static void destroy(void* instance) { (void)instance; }
static void on_open(void* instance, rampart_stream* s) { (void)instance, (void)s; }
static void on_data(void* instance, rampart_stream* s, const void* d, size_t n) {
  (void)instance;
  api->send(s, d, n);
}
static void on_close(void* instance, rampart_stream* s, rampart_close_reason r) {
  (void)instance, (void)s, (void)r;
}

static const rampart_plugin_abi_v1 plugin = {
    .abi_version = 1,
    .name = "echo_v1",
    .create = create,
    .destroy = destroy,
    .on_open = on_open,
    .on_data = on_data,
    .on_close = on_close,
};

__attribute__((visibility("default"))) const rampart_plugin_abi_v1* rampart_plugin_v1(void) { return &plugin; }
