#include "app/plugin_loader.hh"

#include <dlfcn.h>

#include <array>
#include <vector>

#include "args.hh"

namespace rampart::app {

namespace {

// The engine's side of the ABI: a rampart_stream* is the tcp::stream the callback received.
tcp::stream& stream_of(rampart_stream* s) noexcept { return *reinterpret_cast<tcp::stream*>(s); }
const tcp::stream& stream_of(const rampart_stream* s) noexcept {
  return *reinterpret_cast<const tcp::stream*>(s);
}
rampart_stream* handle_of(tcp::stream& s) noexcept { return reinterpret_cast<rampart_stream*>(&s); }

constexpr rampart_stream_api stream_api = {
    .send = [](rampart_stream* s, const void* data, size_t length) -> size_t {
      return stream_of(s).send({static_cast<const std::byte*>(data), length});
    },
    .send_space = [](const rampart_stream* s) -> size_t { return stream_of(s).send_space(); },
    .close = [](rampart_stream* s) { stream_of(s).close(); },
    .abort = [](rampart_stream* s) { stream_of(s).abort(); },
    .get_context = [](const rampart_stream* s) -> void* { return stream_of(s).context(); },
    .set_context = [](rampart_stream* s, void* context) { stream_of(s).set_context(context); },
};

// The two enums must keep the same values: on_close casts one into the other.
static_assert(static_cast<int>(tcp::close_reason::closed) == RAMPART_CLOSE_CLOSED);
static_assert(static_cast<int>(tcp::close_reason::reset) == RAMPART_CLOSE_RESET);
static_assert(static_cast<int>(tcp::close_reason::timeout) == RAMPART_CLOSE_TIMEOUT);
static_assert(static_cast<int>(tcp::close_reason::idle_timeout) == RAMPART_CLOSE_IDLE_TIMEOUT);
static_assert(static_cast<int>(tcp::close_reason::aborted) == RAMPART_CLOSE_ABORTED);
static_assert(static_cast<int>(tcp::close_reason::shutdown) == RAMPART_CLOSE_SHUTDOWN);

class plugin_application final : public tcp::application {
 public:
  plugin_application(std::shared_ptr<const plugin_library> library, void* instance) noexcept
      : _library(std::move(library)), _plugin(_library->plugin()), _instance(instance) {}
  ~plugin_application() override { _plugin.destroy(_instance); }

  void on_open(tcp::stream& s) noexcept override { _plugin.on_open(_instance, handle_of(s)); }
  void on_data(tcp::stream& s, tcp::data_view data) noexcept override {
    _plugin.on_data(_instance, handle_of(s), data.data, data.length);
  }
  void on_writable(tcp::stream& s) noexcept override {
    if (_plugin.on_writable != nullptr) {
      _plugin.on_writable(_instance, handle_of(s));
    }
  }
  void on_peer_closed(tcp::stream& s) noexcept override {
    if (_plugin.on_peer_closed != nullptr) {
      _plugin.on_peer_closed(_instance, handle_of(s));
    } else {
      s.close();
    }
  }
  void on_close(tcp::stream& s, tcp::close_reason reason) noexcept override {
    _plugin.on_close(_instance, handle_of(s), static_cast<rampart_close_reason>(reason));
  }

 private:
  std::shared_ptr<const plugin_library> _library;  // declared first: unloaded last
  const rampart_plugin& _plugin;
  void* _instance;
};

}  // namespace

plugin_library::~plugin_library() { dlclose(_handle); }

std::shared_ptr<const plugin_library> load_plugin(const std::string& path) {
  const std::string file = "plugin " + path + ": ";
  // dlopen searches LD_LIBRARY_PATH and the system directories for a bare name; a path with a
  // slash is taken as it is, which is what a config should say.
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* reason = dlerror();
    throw app_error(file + "cannot load: " + (reason != nullptr ? reason : "unknown dlopen error") +
                    " (check the path in the listener's plugin: key, that the file is a shared "
                    "object built for this machine, and that its own dependencies are installed)");
  }
  auto unload = [handle] { dlclose(handle); };
  dlerror();
  void* entry = dlsym(handle, RAMPART_PLUGIN_ENTRY);
  if (entry == nullptr) {
    unload();
    throw app_error(
        file + "has no symbol " RAMPART_PLUGIN_ENTRY
               "; it is not a rampart plugin, or one for another ABI version (build it "
               "against app/rampart_plugin.h, exporting extern \"C\" " RAMPART_PLUGIN_ENTRY ")");
  }
  rampart_plugin_entry_fn entry_fn = nullptr;
  static_assert(sizeof entry_fn == sizeof entry);
  __builtin_memcpy(&entry_fn, &entry, sizeof entry);  // object to function pointer, as POSIX allows
  const rampart_plugin* plugin = entry_fn();
  if (plugin == nullptr) {
    unload();
    throw app_error(file + RAMPART_PLUGIN_ENTRY
                    "() returned NULL; it must return its rampart_plugin");
  }
  if (plugin->abi_version != RAMPART_PLUGIN_ABI_VERSION) {
    const std::uint32_t found = plugin->abi_version;
    unload();
    throw app_error(file + "plugin ABI version " + std::to_string(found) +
                    ", but this rampart speaks version " +
                    std::to_string(RAMPART_PLUGIN_ABI_VERSION) +
                    "; rebuild the plugin against this rampart's app/rampart_plugin.h");
  }
  const std::array<std::pair<const char*, bool>, 5> required = {{
      {"create", plugin->create != nullptr},
      {"destroy", plugin->destroy != nullptr},
      {"on_open", plugin->on_open != nullptr},
      {"on_data", plugin->on_data != nullptr},
      {"on_close", plugin->on_close != nullptr},
  }};
  for (const auto& [name, present] : required) {
    if (!present) {
      unload();
      throw app_error(file + "callback " + name +
                      " is NULL; a plugin must implement create, "
                      "destroy, on_open, on_data and on_close");
    }
  }
  return std::shared_ptr<const plugin_library>(new plugin_library(handle, plugin, path));
}

std::unique_ptr<tcp::application> make_plugin_application(
    std::shared_ptr<const plugin_library> library, const config::listener_config& listener,
    const app_context& context) {
  std::vector<rampart_plugin_arg> args;
  args.reserve(listener.args.size());
  for (const auto& [key, value] : listener.args) {
    args.push_back({key.c_str(), value.c_str()});
  }
  std::array<char, 512> error{};
  void* instance = library->plugin().create(&stream_api, context.lcore_id, args.data(), args.size(),
                                            error.data(), error.size());
  if (instance == nullptr) {
    error.back() = '\0';
    const std::string message = error[0] != '\0' ? std::string(error.data())
                                                 : std::string("create() failed without a message");
    throw app_error(listener_prefix(listener) + message);
  }
  return std::make_unique<plugin_application>(std::move(library), instance);
}

}  // namespace rampart::app
