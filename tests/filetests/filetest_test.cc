#include "tests/filetests/filetest.h"

#include "gtest/gtest.h"

namespace kiln::filetest {
namespace {

TEST(FileTestTest, ParsesHeaderInputAndExpectation) {
  auto f = ParseTestFile(
      "; comment\ntest opt const_fold, dce\nfunction %f() {\n}\n\n; "
      "expected:\n; line one\n;\n;   indented\n");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->kind, "opt");
  EXPECT_EQ(f->options, "const_fold, dce");
  EXPECT_EQ(f->input, "function %f() {\n}\n\n");
  EXPECT_EQ(f->input_first_line, 3);
  ASSERT_TRUE(f->expected.has_value());
  EXPECT_EQ(*f->expected, "line one\n\n  indented\n");
}

TEST(FileTestTest, BlessRoundTrip) {
  std::string text = "test print\nfunction %f() {\n}\n";
  std::string blessed = WithExpectation(text, "a\n\nb  \n\n");
  EXPECT_EQ(blessed, "test print\nfunction %f() {\n}\n\n; expected:\n; a\n;\n; b\n");
  auto f = ParseTestFile(blessed);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(*f->expected, "a\n\nb\n");
  // Re-blessing replaces the old block.
  EXPECT_EQ(WithExpectation(blessed, "c\n"),
            "test print\nfunction %f() {\n}\n\n; expected:\n; c\n");
}

TEST(FileTestTest, MissingHeader) {
  EXPECT_FALSE(ParseTestFile("function %f() {}\n").ok());
}

TEST(FileTestTest, KindsRegister) {
  RegisterTestKind("echo", [](absl::string_view o, absl::string_view in)
                               -> absl::StatusOr<std::string> {
    return std::string(o);
  });
  auto f = ParseTestFile("test echo hello\n");
  ASSERT_TRUE(f.ok());
  auto out = RunTestFile(*f);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "hello\n");
  f->kind = "nope";
  EXPECT_FALSE(RunTestFile(*f).ok());
}

}  // namespace
}  // namespace kiln::filetest
