#include "runtime/memory/memory_image.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

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

TEST(MemoryImageTest, SparseImageOnlyStoresTouchedPages) {
  // 1 GiB apart: the memfd is 1 GiB long but holds two pages.
  const std::string a = "low", b = "high";
  const uint64_t far = uint64_t{1} << 30;
  const MemoryImage::Segment segments[] = {{10, Bytes(a)}, {far, Bytes(b)}};
  auto image = MemoryImage::Create(segments, far + 65536);
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ((*image)->offset(), 0u);
  EXPECT_EQ((*image)->length(), far + 4096);
  auto memory = LinearMemory::Create((far + 65536) / 65536);
  ASSERT_TRUE(memory.ok());
  ASSERT_TRUE((*image)->MapInto(**memory).ok());
  EXPECT_EQ(std::memcmp((*memory)->base() + 10, "low", 3), 0);
  EXPECT_EQ(std::memcmp((*memory)->base() + far, "high", 4), 0);
  EXPECT_EQ((*memory)->base()[far / 2], 0);
}

TEST(MemoryImageTest, LayoutMatchesCreate) {
  const std::string a = "hello", b = "world";
  const MemoryImage::Segment segments[] = {{5000, Bytes(a)}, {70000, Bytes(b)}};
  auto extent = MemoryImage::Layout(segments, 2 * 65536);
  ASSERT_TRUE(extent.has_value());
  auto image = MemoryImage::Create(segments, 2 * 65536);
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(extent->offset, (*image)->offset());
  EXPECT_EQ(extent->length, (*image)->length());
  EXPECT_FALSE(MemoryImage::Layout({}, 65536).has_value());
  const MemoryImage::Segment past[] = {{65535, Bytes(a)}};
  EXPECT_FALSE(MemoryImage::Layout(past, 65536).has_value());
}

TEST(MemoryImageTest, ReadIntoAndFromFile) {
  const std::string a = "hello";
  const MemoryImage::Segment segments[] = {{4100, Bytes(a)}};
  auto image = MemoryImage::Create(segments, 65536);
  ASSERT_TRUE(image.ok());
  std::vector<uint8_t> bytes((*image)->length());
  ASSERT_TRUE((*image)->ReadInto(absl::MakeSpan(bytes)).ok());
  EXPECT_EQ(std::memcmp(bytes.data() + 4, "hello", 5), 0);
  EXPECT_FALSE((*image)->ReadInto(absl::MakeSpan(bytes).subspan(1)).ok());

  // The same bytes one page into a file, mapped from there.
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string path = std::string(dir != nullptr ? dir : "/tmp") +
                     "/image-" + std::to_string(getpid());
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  std::vector<uint8_t> file(4096, 0xee);
  file.insert(file.end(), bytes.begin(), bytes.end());
  ASSERT_EQ(write(fd, file.data(), file.size()),
            static_cast<ssize_t>(file.size()));
  auto mapped = MemoryImage::FromFile(fd, 4096, (*image)->offset(),
                                      (*image)->length());
  close(fd);  // FromFile keeps its own descriptor
  unlink(path.c_str());
  ASSERT_TRUE(mapped.ok()) << mapped.status();
  EXPECT_FALSE(MemoryImage::FromFile(0, 100, 0, 4096).ok());  // unaligned
  for (int round = 0; round < 2; ++round) {
    auto memory = LinearMemory::Create(1);
    ASSERT_TRUE(memory.ok());
    ASSERT_TRUE((*mapped)->MapInto(**memory).ok());
    EXPECT_EQ(std::memcmp((*memory)->base() + 4100, "hello", 5), 0);
    EXPECT_EQ((*memory)->base()[4096], 0);
    (*memory)->base()[4100] = 'J';  // private
  }
}

}  // namespace
}  // namespace kiln::runtime
