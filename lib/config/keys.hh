#pragma once
// Reading a document with the declarations of keys.cc.
#include <string>

#include "config/config.hh"
#include "reader.hh"

namespace rampart::config {

// Reads every section of the document (a map) into `config`; the rules between keys run after
// (cross_checks.hh).
void read_document(context& ctx, const field& root, engine_config& config);

// "eal, port, listeners, tcp, stats": the sections a document may hold, for messages.
std::string document_sections();

}  // namespace rampart::config
