#include "runtime/memory/memory_image.h"

#include <cstring>
#include <string>

#include "gtest/gtest.h"

namespace kiln::runtime {
namespace {

absl::Span<const uint8_t> Bytes(const std::string& s) {
  return absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()),
                                   s.size());
}

TEST(MemoryImageTest, MapsSegmentsCopyOnWrite) {
  const std::string a = "hello", b = "world", c = "XY";
  const MemoryImage::Segment segments[] = {
      {5000, Bytes(a)}, {70000, Bytes(b)}, {5003, Bytes(c)}};
  auto image = MemoryImage::Create(segments, 2 * 65536);
  ASSERT_TRUE(image.ok()) << image.status();
  ASSERT_NE(*image, nullptr);
  EXPECT_EQ((*image)->offset(), 4096u);
  EXPECT_EQ((*image)->length(), 73728u - 4096u);

  for (int round = 0; round < 2; ++round) {
    auto memory = LinearMemory::Create(2);
    ASSERT_TRUE(memory.ok());
    uint8_t* base = (*memory)->base();
    ASSERT_TRUE((*image)->MapInto(**memory).ok());
    EXPECT_EQ(std::memcmp(base + 5000, "helXY", 5), 0);  // later wins
    EXPECT_EQ(std::memcmp(base + 70000, "world", 5), 0);
    EXPECT_EQ(base[4096], 0);
    EXPECT_EQ(base[69999], 0);
    EXPECT_EQ(base[100000], 0);  // outside the image
    base[5000] = 'J';            // private to this memory
    EXPECT_EQ(base[5000], 'J');
    // Growing after mapping still works.
    EXPECT_EQ((*memory)->Grow(1), 2);
    base[3 * 65536 - 1] = 1;
  }
}

TEST(MemoryImageTest, EmptyAndOutOfRange) {
  auto none = MemoryImage::Create({}, 65536);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, nullptr);
  const std::string a = "abc";
  const MemoryImage::Segment past_end[] = {{65534, Bytes(a)}};
  EXPECT_FALSE(MemoryImage::Create(past_end, 65536).ok());
  const MemoryImage::Segment ok[] = {{65533, Bytes(a)}};
  auto image = MemoryImage::Create(ok, 65536);
  ASSERT_TRUE(image.ok());
  auto small = LinearMemory::Create(0, 1);
  ASSERT_TRUE(small.ok());
  EXPECT_FALSE((*image)->MapInto(**small).ok());
  ASSERT_EQ((*small)->Grow(1), 0);
  ASSERT_TRUE((*image)->MapInto(**small).ok());
  EXPECT_EQ((*small)->base()[65535], 'c');
}

}  // namespace
}  // namespace kiln::runtime
