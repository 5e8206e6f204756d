// Who may own, read and write the files rampart trusts: the decisions on stat(2) facts, then the
// walk up a real path.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "trust/file_trust.hh"

using rampart::trust::check_writable_path;
using rampart::trust::file_facts;
using rampart::trust::secret_problem;
using rampart::trust::writable_problem;
namespace fs = std::filesystem;

namespace {

constexpr uid_t service = 997;  // a system user, as systemd's sysusers gives one
constexpr uid_t stranger = 65534;

file_facts regular(uid_t owner, mode_t permissions) { return {owner, static_cast<mode_t>(S_IFREG | permissions)}; }
file_facts directory(uid_t owner, mode_t permissions) { return {owner, static_cast<mode_t>(S_IFDIR | permissions)}; }

}  // namespace

TEST_CASE("a secret is a regular file of root or the service's user that nobody else can read", "[unit][trust]") {
  CHECK_FALSE(secret_problem("/s", regular(0, 0600), service));
  CHECK_FALSE(secret_problem("/s", regular(0, 0400), service));
  CHECK_FALSE(secret_problem("/s", regular(service, 0600), service));
  CHECK(secret_problem("/s", regular(0, 0640), service) ==
        "mode 0640 gives group or others access to the secret: chmod 600 /s");
  CHECK(secret_problem("/s", regular(0, 0604), service) ==
        "mode 0604 gives group or others access to the secret: chmod 600 /s");
  // Write or execute for others is refused too, as sshd does: the file is not kept as a secret.
  CHECK(secret_problem("/s", regular(0, 0602), service).has_value());
  CHECK(secret_problem("/s", regular(0, 0610), service).has_value());
  CHECK(secret_problem("/s", regular(stranger, 0600), service) ==
        "owned by uid 65534, not root or rampart's user (uid 997): chown 997 /s");
  CHECK(secret_problem("/s", regular(stranger, 0600), 0) ==
        "owned by uid 65534, not root (rampart runs as root): chown 0 /s");
  CHECK(secret_problem("/s", directory(0, 0700), service) == "not a regular file");
  CHECK(secret_problem("/s", {0, static_cast<mode_t>(S_IFIFO | 0600)}, service) == "not a regular file");
}

TEST_CASE("only root or the service's user may write a trusted file or a directory above it", "[unit][trust]") {
  CHECK_FALSE(writable_problem("/p.so", regular(0, 0755), service));
  CHECK_FALSE(writable_problem("/p.so", regular(service, 0700), service));
  CHECK_FALSE(writable_problem("/d", directory(0, 0755), service));
  CHECK(writable_problem("/p.so", regular(0, 0775), service) ==
        "/p.so is writable by group or others (mode 0775): chmod go-w /p.so");
  CHECK(writable_problem("/d", directory(0, 0757), service) ==
        "directory /d is writable by group or others (mode 0757): chmod go-w /d");
  CHECK(writable_problem("/d", directory(stranger, 0755), service) ==
        "directory /d is owned by uid 65534, not root or rampart's user (uid 997): chown 997 /d");
  // The sticky bit keeps others from renaming or removing what they do not own (/tmp).
  CHECK_FALSE(writable_problem("/tmp", directory(0, 01777), service));
  CHECK(writable_problem("/p.so", regular(0, 01777), service).has_value());  // no such excuse for a file
  CHECK(writable_problem("/tmp", directory(stranger, 01777), service).has_value());
}

TEST_CASE("check_writable_path walks the path as written and as resolved", "[unit][trust]") {
  const fs::path base = fs::temp_directory_path() / ("rampart-trust-test-" + std::to_string(getpid()));
  fs::create_directories(base / "safe");
  fs::permissions(base, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                            fs::perms::others_read | fs::perms::others_exec);
  fs::permissions(base / "safe", fs::perms::owner_all);
  const fs::path file = base / "safe" / "p.so";
  std::ofstream(file) << "x";
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);

  CHECK_FALSE(check_writable_path(file));
  CHECK_FALSE(check_writable_path(base / "safe" / "absent.so"));  // the loader reports it

  SECTION("a directory above the file is writable by others") {
    fs::permissions(base / "safe", fs::perms::others_write, fs::perm_options::add);
    CHECK(check_writable_path(file) == "directory " + (base / "safe").string() +
                                           " is writable by group or others (mode 0702): chmod go-w " +
                                           (base / "safe").string());
  }
  SECTION("the file is writable by its group") {
    fs::permissions(file, fs::perms::group_write, fs::perm_options::add);
    CHECK(check_writable_path(file) ==
          file.string() + " is writable by group or others (mode 0620): chmod go-w " + file.string());
  }
  SECTION("a symlink in a directory others can write, to a safe file") {
    fs::create_directories(base / "open");
    fs::permissions(base / "open", fs::perms::all);
    fs::create_symlink(file, base / "open" / "link.so");
    CHECK_THAT(check_writable_path(base / "open" / "link.so").value_or(""),
               Catch::StartsWith("directory " + (base / "open").string() + " is writable by group or others"));
  }
  SECTION("a safe symlink to a file in a directory others can write") {
    fs::create_directories(base / "open");
    fs::permissions(base / "open", fs::perms::all);
    std::ofstream(base / "open" / "real.so") << "x";
    fs::create_symlink(base / "open" / "real.so", base / "safe" / "link.so");
    CHECK_THAT(check_writable_path(base / "safe" / "link.so").value_or(""),
               Catch::StartsWith("directory " + (base / "open").string() + " is writable by group or others"));
  }
  fs::remove_all(base);
}
