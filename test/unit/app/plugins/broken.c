/* Plugins the loader must refuse, one per build of this file (test/unit/app/meson.build):
 *   -DBROKEN_VERSION      built against a future ABI: refused, naming both versions;
 *   -DBROKEN_NO_ON_DATA   a required callback left NULL: refused, naming it. */
#include <stddef.h>

#include "app/rampart_plugin.h"

static void* create(const rampart_stream_api* api, uint32_t lcore, const rampart_plugin_arg* args,
                    size_t n, char* error, size_t size) {
  (void)api, (void)lcore, (void)args, (void)n, (void)error, (void)size;
  return (void*)1;
}
static void destroy(void* instance) { (void)instance; }
static void on_open(void* instance, rampart_stream* s) { (void)instance, (void)s; }
#ifndef BROKEN_NO_ON_DATA
static void on_data(void* instance, rampart_stream* s, const void* d, size_t n) {
  (void)instance, (void)s, (void)d, (void)n;
}
#endif
static void on_close(void* instance, rampart_stream* s, rampart_close_reason r) {
  (void)instance, (void)s, (void)r;
}

static const rampart_plugin plugin = {
#ifdef BROKEN_VERSION
    .abi_version = RAMPART_PLUGIN_ABI_VERSION + 41,
#else
    .abi_version = RAMPART_PLUGIN_ABI_VERSION,
#endif
    .name = "broken",
    .create = create,
    .destroy = destroy,
    .on_open = on_open,
#ifndef BROKEN_NO_ON_DATA
    .on_data = on_data,
#endif
    .on_close = on_close,
};

__attribute__((visibility("default"))) const rampart_plugin* rampart_plugin_v2(void) {
  return &plugin;
}
