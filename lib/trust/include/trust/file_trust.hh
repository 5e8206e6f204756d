#pragma once
// Which local files rampart lets read its secrets or change what it runs (docs/operations.md,
// "The local attack surface"). The rules are OpenSSH's for keys and the paths above them
// (sshd(8), StrictModes): a secret anyone else can read is no longer secret, and a file that
// anyone but root or the service's own user can write could be swapped for another.
//
// The decisions take stat(2) facts and the service's uid, so they are unit tested without the
// filesystem; check_writable_path reads the facts and decides.
#include <sys/stat.h>
#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

namespace rampart::trust {

struct file_facts {
  uid_t owner = 0;  // st_uid
  mode_t mode = 0;  // st_mode: type and permission bits

  static file_facts of(const struct stat& st) noexcept { return {st.st_uid, st.st_mode}; }
};

// nullopt when a service running as `service_uid` may take the file at `path` as a secret: a
// regular file, owned by service_uid or root, with no permission for group or others. Else what
// is wrong and the command that fixes it, naming `path`:
//   "is not a regular file", "owned by uid 65534, ...: chown 0 PATH",
//   "mode 0644 gives group or others access: chmod 600 PATH".
std::optional<std::string> secret_problem(const std::string& path, const file_facts& facts, uid_t service_uid);

// nullopt when only root or `service_uid` can change the file or directory at `path`: owned by
// one of them, and not writable by group or others. A directory with the sticky bit (/tmp) may be
// writable by others: they cannot rename or remove what they do not own, and what lies below it
// is checked on its own. Else what is wrong and the fix, naming `path`.
std::optional<std::string> writable_problem(const std::string& path, const file_facts& facts, uid_t service_uid);

// writable_problem for `path` and every directory above it, for a service running as
// geteuid(): along the path as written (made absolute), where a symlink could be re-pointed, and
// along the path with every symlink resolved, the file that will be opened. A path that does not
// exist gives nullopt: whoever opens it next reports that.
std::optional<std::string> check_writable_path(const std::filesystem::path& path);

}  // namespace rampart::trust
