#include "trust/file_trust.hh"

#include <unistd.h>

#include <cstdio>
#include <system_error>
#include <vector>

namespace rampart::trust {

namespace {

bool trusted_owner(uid_t owner, uid_t service_uid) noexcept { return owner == 0 || owner == service_uid; }

std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

std::string owner_problem(const std::string& path, uid_t owner, uid_t service_uid) {
  const std::string who = service_uid == 0 ? "root (rampart runs as root)"
                                           : "root or rampart's user (uid " + std::to_string(service_uid) + ")";
  return "owned by uid " + std::to_string(owner) + ", not " + who + ": chown " + std::to_string(service_uid) + " " +
         path;
}

// The path as written and made absolute, then each directory above it up to /.
std::vector<std::filesystem::path> path_and_parents(const std::filesystem::path& path) {
  std::vector<std::filesystem::path> chain;
  for (std::filesystem::path p = path; !p.empty(); p = p.parent_path()) {
    chain.push_back(p);
    if (p == p.root_path()) {
      break;
    }
  }
  return chain;
}

}  // namespace

std::optional<std::string> secret_problem(const std::string& path, const file_facts& facts, uid_t service_uid) {
  if (!S_ISREG(facts.mode)) {
    return "not a regular file";
  }
  if (!trusted_owner(facts.owner, service_uid)) {
    return owner_problem(path, facts.owner, service_uid);
  }
  if ((facts.mode & (S_IRWXG | S_IRWXO)) != 0) {
    return "mode " + octal_mode(facts.mode) + " gives group or others access to the secret: chmod 600 " + path;
  }
  return std::nullopt;
}

std::optional<std::string> writable_problem(const std::string& path, const file_facts& facts, uid_t service_uid) {
  const std::string what = S_ISDIR(facts.mode) ? "directory " + path + " " : path + " ";
  if (!trusted_owner(facts.owner, service_uid)) {
    return what + "is " + owner_problem(path, facts.owner, service_uid);
  }
  if ((facts.mode & (S_IWGRP | S_IWOTH)) != 0 && !(S_ISDIR(facts.mode) && (facts.mode & S_ISVTX) != 0)) {
    return what + "is writable by group or others (mode " + octal_mode(facts.mode) + "): chmod go-w " + path;
  }
  return std::nullopt;
}

std::optional<std::string> check_writable_path(const std::filesystem::path& path) {
  std::error_code ec;
  const std::filesystem::path written = std::filesystem::absolute(path, ec).lexically_normal();
  const std::filesystem::path resolved = std::filesystem::canonical(path, ec);
  if (ec) {
    return std::nullopt;
  }
  std::vector<std::filesystem::path> chain = path_and_parents(written);
  const std::vector<std::filesystem::path> real = path_and_parents(resolved);
  chain.insert(chain.end(), real.begin(), real.end());
  const uid_t service_uid = geteuid();
  for (const std::filesystem::path& p : chain) {
    struct stat st {};
    // stat, not lstat: a symlink's own bits mean nothing; who can re-point it is its directory's
    // owner, which the chain checks too.
    if (stat(p.c_str(), &st) != 0) {
      continue;
    }
    if (std::optional<std::string> problem = writable_problem(p.string(), file_facts::of(st), service_uid)) {
      return problem;
    }
  }
  return std::nullopt;
}

}  // namespace rampart::trust
