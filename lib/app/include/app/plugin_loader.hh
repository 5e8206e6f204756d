#pragma once
// Loading third-party apps (rampart_plugin.h) and running them as tcp::applications.
//
// load_plugin() dlopen()s a shared object at start-up (RTLD_NOW | RTLD_LOCAL: every symbol is
// resolved now, so a missing one fails here and not on the first packet; nothing the plugin
// exports leaks into other plugins), calls its RAMPART_PLUGIN_ENTRY and checks the ABI version
// and the required callbacks. The library stays loaded as long as a plugin_library or an
// application made from it exists.
#include <memory>
#include <string>

#include "app/rampart_plugin.h"
#include "app/registry.hh"

namespace rampart::app {

class plugin_library {
 public:
  ~plugin_library();
  plugin_library(const plugin_library&) = delete;
  plugin_library& operator=(const plugin_library&) = delete;

  // The plugin's callbacks; a version 1 plugin's with attach and on_connected null.
  const rampart_plugin& plugin() const noexcept { return _plugin; }
  std::uint32_t abi_version() const noexcept { return _plugin.abi_version; }
  const std::string& path() const noexcept { return _path; }

 private:
  friend std::shared_ptr<const plugin_library> load_plugin(const std::string& path);
  plugin_library(void* handle, const rampart_plugin& plugin, std::string path) noexcept
      : _handle(handle), _plugin(plugin), _path(std::move(path)) {}

  void* _handle;
  rampart_plugin _plugin;
  std::string _path;
};

// Loads and checks a plugin. Throws app_error naming the file and the fix when the file or a
// directory above it is writable by anyone but root or this process's user (before it is opened:
// trust::check_writable_path; a bare name, which dlopen looks up itself, is not checked), dlopen fails
// (with dlerror's reason: no such file, wrong architecture, an unresolved symbol), the entry
// symbol is missing (RAMPART_PLUGIN_ENTRY, or version 1's), the entry returns null, the ABI
// version is not the entry's (both versions named), or a required callback (create, destroy,
// on_open, on_data, on_close) is null.
std::shared_ptr<const plugin_library> load_plugin(const std::string& path);

// One instance of the plugin for one lcore: calls create() with the listener's args. Throws
// app_error with the plugin's own message when create() refuses them.
std::unique_ptr<tcp::application> make_plugin_application(
    std::shared_ptr<const plugin_library> library, const config::listener_config& listener,
    const app_context& context);

}  // namespace rampart::app
