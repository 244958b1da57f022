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

// Multi-memory: each defined memory qualifies on its own segments; an
// imported memory never has an image.
TEST(MemoryImageTest, ImageSourcePerMemory) {
  wasm::ModuleInfo m;
  m.bytes = {'a', 'b', 'c', 'd'};
  m.memories.push_back(wasm::Memory{wasm::MemoryType{{1, std::nullopt}}, true});
  m.memories.push_back(wasm::Memory{wasm::MemoryType{{1, std::nullopt}}, false});
  m.memories.push_back(wasm::Memory{wasm::MemoryType{{1, std::nullopt}}, false});
  m.num_imported_memories = 1;
  auto segment = [](uint32_t memory, uint32_t offset, uint32_t at) {
    wasm::DataSegment d;
    d.memory_index = memory;
    d.offset = wasm::ConstExpr::I32(static_cast<int32_t>(offset));
    d.data_offset = at;
    d.data_size = 2;
    return d;
  };
  m.data_segments.push_back(segment(1, 16, 0));     // "ab" into memory 1
  m.data_segments.push_back(segment(2, 65535, 2));  // memory 2: traps
  m.data_segments.push_back(segment(1, 17, 2));     // "cd" over "b"
  EXPECT_FALSE(ImageSourceForMemory(m, 0).has_value());  // imported
  EXPECT_FALSE(ImageSourceForModule(m).has_value());
  std::optional<ModuleImageSource> one = ImageSourceForMemory(m, 1);
  ASSERT_TRUE(one.has_value());
  ASSERT_EQ(one->segments.size(), 2u);
  EXPECT_EQ(one->segments[1].offset, 17u);
  EXPECT_FALSE(ImageSourceForMemory(m, 2).has_value());  // would trap
  EXPECT_FALSE(ImageSourceForMemory(m, 3).has_value());  // no such memory
  absl::StatusOr<std::vector<std::unique_ptr<MemoryImage>>> images =
      MemoryImagesOfModule(m);
  ASSERT_TRUE(images.ok()) << images.status();
  ASSERT_EQ(images->size(), 2u);  // one entry per defined memory
  ASSERT_NE((*images)[0], nullptr);
  EXPECT_EQ((*images)[1], nullptr);
  std::vector<uint8_t> bytes((*images)[0]->length());
  ASSERT_TRUE((*images)[0]->ReadInto(absl::MakeSpan(bytes)).ok());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(bytes.data()) + 16 -
                            (*images)[0]->offset(),
                        3),
            "acd");
}

}  // namespace
}  // namespace kiln::runtime
