// The plugin loader with real shared objects built by meson: the sample uppercase plugin driven
// through the C ABI over a fake stream, and every load error (no file, not a shared object, no
// entry symbol, wrong ABI version, a missing callback, refused args, a file others can write).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "app/plugin_loader.hh"
#include "app_test_support.hh"
#include "fake_stream.hh"

#ifndef RAMPART_UPPERCASE_PLUGIN
#error "the test plugins' paths come from test/unit/app/meson.build"
#endif

using rampart::tcp::close_reason;
using rampart::test::app_under_test;
using rampart::test::error_of;
using rampart::test::fake_stream;
using rampart::test::listener;

namespace {

std::string load_error(const std::string& path) {
  try {
    rampart::app::load_plugin(path);
  } catch (const rampart::app::app_error& e) {
    return e.what();
  }
  return {};
}

bool contains(const std::string& text, const std::string& part) {
  INFO(text);
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("the sample plugin loads and reports its name", "[unit][app][plugin]") {
  const auto library = rampart::app::load_plugin(RAMPART_UPPERCASE_PLUGIN);
  CHECK(library->plugin().abi_version == RAMPART_PLUGIN_ABI_VERSION);
  CHECK(std::string(library->plugin().name) == "uppercase");
  CHECK(library->path() == RAMPART_UPPERCASE_PLUGIN);
}

TEST_CASE("a version 1 plugin still loads and serves", "[unit][app][plugin]") {
  const auto library = rampart::app::load_plugin(RAMPART_ECHO_V1_PLUGIN);
  CHECK(library->abi_version() == 1);
  CHECK(library->plugin().attach == nullptr);
  CHECK(library->plugin().on_connected == nullptr);
  app_under_test t(listener("plugin", {}, RAMPART_ECHO_V1_PLUGIN));
  fake_stream s(*t.app, 1 << 16);
  s.open();
  s.deliver("same old ABI\n");
  CHECK(s.sent == "same old ABI\n");
  s.end(close_reason::closed);
}

TEST_CASE("the uppercase plugin serves a stream through the C ABI", "[unit][app][plugin]") {
  app_under_test t(listener("plugin", {{"greeting", "hi\n"}}, RAMPART_UPPERCASE_PLUGIN));
  fake_stream s(*t.app, 1 << 16);
  s.open();
  CHECK(s.sent == "hi\n");
  s.deliver("hello, World 123\n");
  CHECK(s.sent == "hi\nHELLO, WORLD 123\n");
  s.peer_close();
  CHECK(s.closed);
  s.end(close_reason::closed);
}

TEST_CASE("the uppercase plugin holds bytes under back-pressure and closes after them", "[unit][app][plugin]") {
  app_under_test t(listener("plugin", {}, RAMPART_UPPERCASE_PLUGIN));
  fake_stream s(*t.app, 3);
  s.open();
  s.deliver("abcdef");
  s.deliver(std::string(1000, 'q'));  // more than the 512-byte stack chunk
  CHECK(s.sent == "ABC");
  s.peer_close();
  CHECK_FALSE(s.closed);
  s.ack(2000);
  CHECK(s.sent == "ABCDEF" + std::string(1000, 'Q'));
  CHECK(s.closed);
}

TEST_CASE("the uppercase plugin aborts past max_held; two lcores' instances are separate", "[unit][app][plugin]") {
  app_under_test lcore1(listener("plugin", {{"max_held", "4"}}, RAMPART_UPPERCASE_PLUGIN));
  app_under_test lcore2(listener("plugin", {{"max_held", "100"}}, RAMPART_UPPERCASE_PLUGIN));
  fake_stream a(*lcore1.app, 0);
  fake_stream b(*lcore2.app, 0);
  a.open();
  b.open();
  a.deliver("1234");
  b.deliver("1234");
  CHECK_FALSE(a.aborted);
  a.deliver("5");
  CHECK(a.aborted);
  CHECK(a.ended);
  b.deliver("5");
  CHECK_FALSE(b.aborted);
  b.ack(10);
  CHECK(b.sent == "12345");
}

TEST_CASE("plugin load errors name the file, the cause and the fix", "[unit][app][plugin]") {
  SECTION("no such file") {
    const std::string e = load_error("/nonexistent/plugin.so");
    CHECK(e.rfind("plugin /nonexistent/plugin.so: cannot load: ", 0) == 0);
    CHECK(contains(e, "No such file or directory"));
    CHECK(contains(e, "check the path in the listener's plugin: key"));
  }
  SECTION("not a shared object") {
    const std::string path = "rampart_app_test_not_elf.so";
    std::ofstream(path) << "this is text\n";
    const std::string e = load_error("./" + path);
    CHECK(e.rfind("plugin ./" + path + ": cannot load: ", 0) == 0);
    std::remove(path.c_str());
  }
  SECTION("no entry symbol") {
    const std::string e = load_error(RAMPART_NO_ENTRY_PLUGIN);
    CHECK(e == std::string("plugin ") + RAMPART_NO_ENTRY_PLUGIN +
                   ": has no symbol rampart_plugin_v2 (nor rampart_plugin_v1); it is not a rampart "
                   "plugin, or one for another ABI version (build it against app/rampart_plugin.h, "
                   "exporting extern \"C\" rampart_plugin_v2)");
  }
  SECTION("wrong ABI version") {
    const std::string e = load_error(RAMPART_BAD_VERSION_PLUGIN);
    CHECK(e == std::string("plugin ") + RAMPART_BAD_VERSION_PLUGIN +
                   ": plugin ABI version 43 (entry rampart_plugin_v2), but this rampart speaks "
                   "version 2 (and loads version 1); rebuild the plugin against this rampart's "
                   "app/rampart_plugin.h");
  }
  SECTION("a required callback missing") {
    CHECK(contains(load_error(RAMPART_NO_ON_DATA_PLUGIN), ": callback on_data is NULL"));
  }
  SECTION("a file others can write is refused before it is opened") {
    const std::string path = "rampart_app_test_writable.so";
    std::filesystem::copy_file(RAMPART_UPPERCASE_PLUGIN, path, std::filesystem::copy_options::overwrite_existing);
    std::filesystem::permissions(path, std::filesystem::perms::group_write, std::filesystem::perm_options::add);
    const std::string e = load_error("./" + path);
    CHECK(e.rfind("plugin ./" + path + ": refused: ", 0) == 0);
    CHECK(contains(e, "is writable by group or others"));
    CHECK(contains(e, "chmod go-w "));
    std::filesystem::permissions(path, std::filesystem::perms::group_write, std::filesystem::perm_options::remove);
    CHECK(load_error("./" + path).empty());
    std::remove(path.c_str());
  }
}

TEST_CASE("plugin errors through the registry name the listener", "[unit][app][plugin]") {
  const std::string prefix =
      std::string("listener on port 8080 (app plugin, plugin ") + RAMPART_UPPERCASE_PLUGIN + "): ";
  CHECK(error_of(listener("plugin", {{"colour", "red"}}, RAMPART_UPPERCASE_PLUGIN)) ==
        prefix + "args.colour: unknown argument for the uppercase plugin; known: greeting, max_held");
  CHECK(error_of(listener("plugin", {{"max_held", "0"}}, RAMPART_UPPERCASE_PLUGIN)) ==
        prefix + "args.max_held: \"0\" is not a number in 1..1048576");
  CHECK(error_of(listener("plugin", {}, RAMPART_BAD_VERSION_PLUGIN))
            .rfind(std::string("listener on port 8080 (app plugin, plugin ") + RAMPART_BAD_VERSION_PLUGIN +
                       "): plugin " + RAMPART_BAD_VERSION_PLUGIN + ": plugin ABI version 43",
                   0) == 0);
  CHECK(contains(error_of(listener("plugin", {}, "")), "no plugin file; add plugin:"));
  CHECK(error_of(listener("plugin", {{"greeting", "hello"}}, RAMPART_UPPERCASE_PLUGIN)).empty());
}
