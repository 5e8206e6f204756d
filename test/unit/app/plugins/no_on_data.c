/* A plugin that leaves a required callback NULL: the loader must name it. */
#include <stddef.h>

#include "app/rampart_plugin.h"

static void* create(const rampart_stream_api* api, const rampart_plugin_arg* args, size_t n,
                    char* error, size_t size) {
  (void)api, (void)args, (void)n, (void)error, (void)size;
  return (void*)1;
}
static void destroy(void* instance) { (void)instance; }
static void on_open(void* instance, rampart_stream* s) { (void)instance, (void)s; }
static void on_close(void* instance, rampart_stream* s, rampart_close_reason r) {
  (void)instance, (void)s, (void)r;
}

static const rampart_plugin plugin = {
    .abi_version = RAMPART_PLUGIN_ABI_VERSION,
    .name = "no_on_data",
    .create = create,
    .destroy = destroy,
    .on_open = on_open,
    .on_close = on_close,
};

__attribute__((visibility("default"))) const rampart_plugin* rampart_plugin_v1(void) {
  return &plugin;
}
