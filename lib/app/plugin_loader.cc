#include "app/plugin_loader.hh"

#include <dlfcn.h>

#include <array>
#include <new>
#include <optional>
#include <vector>

#include "tcp/app_host.hh"
#include "trust/file_trust.hh"

#include "args.hh"

namespace rampart::app {

namespace {

// The engine's side of the ABI: a rampart_stream* is the tcp::stream the callback received.
tcp::stream& stream_of(rampart_stream* s) noexcept { return *reinterpret_cast<tcp::stream*>(s); }
const tcp::stream& stream_of(const rampart_stream* s) noexcept {
  return *reinterpret_cast<const tcp::stream*>(s);
}
rampart_stream* handle_of(tcp::stream& s) noexcept { return reinterpret_cast<rampart_stream*>(&s); }
// A rampart_host* is the tcp::app_host the instance was attached to.
tcp::app_host& host_of(rampart_host* h) noexcept { return *reinterpret_cast<tcp::app_host*>(h); }
const tcp::app_host& host_of(const rampart_host* h) noexcept { return *reinterpret_cast<const tcp::app_host*>(h); }

rampart_stream_id id_of(tcp::stream_id id) noexcept { return {id.index, id.generation}; }

// A plugin's timer: an app timer that calls the plugin's function.
struct plugin_timer {
  plugin_timer(void (*fire)(void*), void* arg) noexcept
      : timer([](void* self) noexcept {
                auto* t = static_cast<plugin_timer*>(self);
                t->fire(t->arg);
              },
              this),
        fire(fire),
        arg(arg) {}
  tcp::app_timer timer;
  void (*fire)(void*);
  void* arg;
};
plugin_timer& timer_of(rampart_timer* t) noexcept { return *reinterpret_cast<plugin_timer*>(t); }

rampart_connect_error error_of(tcp::connect_error error) noexcept {
  switch (error) {
    case tcp::connect_error::no_local_port:
      return RAMPART_CONNECT_NO_LOCAL_PORT;
    case tcp::connect_error::table_full:
      return RAMPART_CONNECT_TABLE_FULL;
    case tcp::connect_error::no_route:
      return RAMPART_CONNECT_NO_ROUTE;
    case tcp::connect_error::not_in_callback:
      return RAMPART_CONNECT_NOT_IN_CALLBACK;
  }
  return RAMPART_CONNECT_NO_ROUTE;
}

constexpr rampart_stream_api stream_api = {
    .send = [](rampart_stream* s, const void* data, size_t length) -> size_t {
      return stream_of(s).send({static_cast<const std::byte*>(data), length});
    },
    .send_space = [](const rampart_stream* s) -> size_t { return stream_of(s).send_space(); },
    .close = [](rampart_stream* s) { stream_of(s).close(); },
    .abort = [](rampart_stream* s) { stream_of(s).abort(); },
    .get_context = [](const rampart_stream* s) -> void* { return stream_of(s).context(); },
    .set_context = [](rampart_stream* s, void* context) { stream_of(s).set_context(context); },
    .id = [](const rampart_stream* s) -> rampart_stream_id { return id_of(stream_of(s).id()); },
    .outbound = [](const rampart_stream* s) -> int { return stream_of(s).outbound() ? 1 : 0; },
    .connect = [](rampart_host* h, uint32_t ipv4, uint16_t port, void* context, uint64_t timeout_ns,
                  rampart_stream_id* id) -> rampart_connect_error {
      const tcp::connect_result r = host_of(h).connect({net::ipv4_address{ipv4}, port, context, timeout_ns});
      if (!r) {
        return error_of(*r.error);
      }
      if (id != nullptr) {
        *id = id_of(r.id);
      }
      return RAMPART_CONNECT_OK;
    },
    .find = [](rampart_host* h, rampart_stream_id id) -> rampart_stream* {
      tcp::stream* s = host_of(h).find({id.index, id.generation});
      return s != nullptr ? handle_of(*s) : nullptr;
    },
    .timer_new = [](void (*fire)(void*), void* arg) -> rampart_timer* {
      auto* t = new (std::nothrow) plugin_timer(fire, arg);
      return reinterpret_cast<rampart_timer*>(t);
    },
    .timer_arm = [](rampart_host* h, rampart_timer* t, uint64_t at_ns) { host_of(h).arm(timer_of(t).timer, at_ns); },
    .timer_cancel = [](rampart_host* h, rampart_timer* t) { host_of(h).cancel(timer_of(t).timer); },
    .timer_free = [](rampart_timer* t) { delete &timer_of(t); },
    .now_ns = [](const rampart_host* h) -> uint64_t { return host_of(h).now_ns(); },
};

// The two enums must keep the same values: on_close casts one into the other.
static_assert(static_cast<int>(tcp::close_reason::closed) == RAMPART_CLOSE_CLOSED);
static_assert(static_cast<int>(tcp::close_reason::reset) == RAMPART_CLOSE_RESET);
static_assert(static_cast<int>(tcp::close_reason::timeout) == RAMPART_CLOSE_TIMEOUT);
static_assert(static_cast<int>(tcp::close_reason::idle_timeout) == RAMPART_CLOSE_IDLE_TIMEOUT);
static_assert(static_cast<int>(tcp::close_reason::aborted) == RAMPART_CLOSE_ABORTED);
static_assert(static_cast<int>(tcp::close_reason::shutdown) == RAMPART_CLOSE_SHUTDOWN);
static_assert(static_cast<int>(tcp::close_reason::refused) == RAMPART_CLOSE_REFUSED);
static_assert(static_cast<int>(tcp::close_reason::unreachable) == RAMPART_CLOSE_UNREACHABLE);

class plugin_application final : public tcp::application {
 public:
  plugin_application(std::shared_ptr<const plugin_library> library, void* instance) noexcept
      : _library(std::move(library)), _plugin(_library->plugin()), _instance(instance) {}
  ~plugin_application() override { _plugin.destroy(_instance); }

  void attach(tcp::app_host& host) noexcept override {
    if (_plugin.attach != nullptr) {
      _plugin.attach(_instance, reinterpret_cast<rampart_host*>(&host));
    }
  }
  void on_open(tcp::stream& s) noexcept override { _plugin.on_open(_instance, handle_of(s)); }
  void on_connected(tcp::stream& s) noexcept override {
    if (_plugin.on_connected != nullptr) {
      _plugin.on_connected(_instance, handle_of(s));
    }
  }
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
  // dlopen runs the library's constructors in this process, with its privileges: a file that
  // someone else could replace would run their code (docs/operations.md, "The local attack
  // surface"). A bare name is searched for by the dynamic loader in the system's directories.
  if (path.find('/') != std::string::npos) {
    if (const std::optional<std::string> problem = trust::check_writable_path(path)) {
      throw app_error(file + "refused: " + *problem +
                      " (a plugin and the directories above it must be writable only by root or rampart's user)");
    }
  }
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
  // Version 2's entry first, then version 1's, which still loads (its struct is version 2's
  // without the callbacks version 2 added).
  dlerror();
  void* entry = dlsym(handle, RAMPART_PLUGIN_ENTRY);
  const bool version_1 = entry == nullptr;
  const char* entry_name = version_1 ? RAMPART_PLUGIN_ENTRY_V1 : RAMPART_PLUGIN_ENTRY;
  if (version_1) {
    entry = dlsym(handle, RAMPART_PLUGIN_ENTRY_V1);
  }
  if (entry == nullptr) {
    unload();
    throw app_error(
        file + "has no symbol " RAMPART_PLUGIN_ENTRY " (nor " RAMPART_PLUGIN_ENTRY_V1
               "); it is not a rampart plugin, or one for another ABI version (build it "
               "against app/rampart_plugin.h, exporting extern \"C\" " RAMPART_PLUGIN_ENTRY ")");
  }
  void (*entry_fn)() = nullptr;
  static_assert(sizeof entry_fn == sizeof entry);
  __builtin_memcpy(&entry_fn, &entry, sizeof entry);  // object to function pointer, as POSIX allows
  rampart_plugin plugin{};
  std::uint32_t found = 0;
  bool returned = false;
  if (version_1) {
    if (const rampart_plugin_abi_v1* v1 = reinterpret_cast<rampart_plugin_v1_entry_fn>(entry_fn)()) {
      returned = true;
      found = v1->abi_version;
      plugin = {v1->abi_version, v1->name,     v1->create,         v1->destroy,  v1->on_open,
                v1->on_data,     v1->on_writable, v1->on_peer_closed, v1->on_close, nullptr, nullptr};
    }
  } else if (const rampart_plugin* v2 = reinterpret_cast<rampart_plugin_entry_fn>(entry_fn)()) {
    returned = true;
    found = v2->abi_version;
    plugin = *v2;
  }
  if (!returned) {
    unload();
    throw app_error(file + entry_name + "() returned NULL; it must return its rampart_plugin");
  }
  const std::uint32_t expected = version_1 ? 1 : RAMPART_PLUGIN_ABI_VERSION;
  if (found != expected) {
    unload();
    throw app_error(file + "plugin ABI version " + std::to_string(found) + " (entry " + entry_name +
                    "), but this rampart speaks version " + std::to_string(RAMPART_PLUGIN_ABI_VERSION) +
                    " (and loads version 1); rebuild the plugin against this rampart's "
                    "app/rampart_plugin.h");
  }
  const std::array<std::pair<const char*, bool>, 5> required = {{
      {"create", plugin.create != nullptr},
      {"destroy", plugin.destroy != nullptr},
      {"on_open", plugin.on_open != nullptr},
      {"on_data", plugin.on_data != nullptr},
      {"on_close", plugin.on_close != nullptr},
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
