#include "config_dump.hh"

#include "config/schema.hh"

namespace rampart::command {

namespace {

using config::config_node;
using config::node_kind;

// "  # what it is for", marked when SIGHUP applies it.
std::string doc_comment(const config::key_info& info) {
  return "  # " + std::string(info.doc) + (info.reload == config::reload_rule::live ? " (SIGHUP applies it)" : "");
}

void write(std::string& out, const config_node& node, const std::string& indent);

void write_children(std::string& out, const config_node& node, const std::string& indent) {
  for (const config_node& child : node.children) {
    write(out, child, indent);
  }
}

void write(std::string& out, const config_node& node, const std::string& indent) {
  const std::string name = indent + node.name + ":";
  switch (node.kind) {
    case node_kind::key:
      // A key left unset has no YAML value that means "unset": it appears as a comment.
      out += node.value.empty() ? indent + "# " + node.name + ": not set (" + std::string(node.info->unset) + ")\n"
                                : name + " " + node.value + doc_comment(*node.info) + "\n";
      return;
    case node_kind::section:
      out += name + doc_comment(*node.info) + "\n";
      write_children(out, node, indent + "  ");
      return;
    case node_kind::list:
      if (node.children.empty()) {
        out += name + " []" + doc_comment(*node.info) + "\n";
        return;
      }
      out += name + doc_comment(*node.info) + "\n";
      for (const config_node& item : node.children) {
        // An item's keys sit two columns in; its first line starts the item with "- ".
        const std::size_t start = out.size() + indent.size() + 2;
        write_children(out, item, indent + "    ");
        out.replace(start, 2, "- ");
      }
      return;
    case node_kind::item:
      return;  // written by its list
  }
}

}  // namespace

std::string dump_config(const config::engine_config& cfg) {
  std::string out;
  write_children(out, config::describe(cfg), "");
  return out;
}

}  // namespace rampart::command
