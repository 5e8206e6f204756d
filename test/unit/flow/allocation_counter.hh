#pragma once
// Counts calls to the global operator new of the flow test executable (allocation_counter.cc
// replaces it), so a test can assert that a stretch of code allocated nothing.
#include <cstdint>

namespace rampart::flow::test {

std::uint64_t allocations() noexcept;

}  // namespace rampart::flow::test
