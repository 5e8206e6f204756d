/* A shared object that is no rampart plugin: it exports something, but no rampart_plugin_v2 nor _v1. */
__attribute__((visibility("default"))) int not_a_plugin(void) { return 42; }
