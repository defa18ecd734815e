// core/big_buffer: alignment, size, and reuse of freed blocks.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>

#include "core/big_buffer.h"

using namespace qdq;

TEST_CASE("big_buffer: small blocks 64-byte aligned, big ones 2 MB aligned and writable to the end") {
  auto small = big_buffer(1000);
  CHECK(reinterpret_cast<uintptr_t>(small.get()) % 64 == 0);
  const size_t n = (size_t{3} << 20) + 123;
  auto big = big_buffer(n);
  CHECK(reinterpret_cast<uintptr_t>(big.get()) % (size_t{2} << 20) == 0);
  std::memset(big.get(), 0x5a, n);  // the whole requested size is mapped
  CHECK(static_cast<unsigned char*>(big.get())[n - 1] == 0x5a);
}

TEST_CASE("big_buffer: a freed block serves the next request of the same or a slightly smaller size") {
  void* first = nullptr;
  {
    auto a = big_buffer(size_t{5} << 20);
    first = a.get();
  }
  auto b = big_buffer(size_t{5} << 20);
  CHECK(b.get() == first);
  void* second = b.get();
  b.reset();
  auto c = big_buffer(size_t{4} << 20);  // within 2x: reused
  CHECK(c.get() == second);
  auto d = big_buffer(size_t{1} << 20);  // a 5 MB block would waste more than half: a new one
  CHECK(d.get() != second);
}
