#include "wasm/features.h"

#include "gtest/gtest.h"

namespace kiln::wasm {
namespace {

TEST(FeaturesTest, AllOnByDefaultNoneOff) {
  Features all;
  EXPECT_EQ(all, Features::All());
  EXPECT_TRUE(all.tail_call);
  EXPECT_TRUE(all.extended_const);
  EXPECT_EQ(Features::None().Bits(), 0u);
  EXPECT_EQ(all.Bits(), AllFeatureBits());
  EXPECT_EQ(Features::None().ToString(), "none");
}

TEST(FeaturesTest, BitsRoundTrip) {
  Features f = Features::None();
  f.tail_call = true;
  f.memory64 = true;
  EXPECT_EQ(f.Bits(), (1u << 0) | (1u << 3));
  EXPECT_EQ(Features::FromBits(f.Bits()), f);
  EXPECT_TRUE(f.SubsetOf(Features::All()));
  EXPECT_FALSE(Features::All().SubsetOf(f));
  EXPECT_EQ(f.ToString(), "tail-call memory64");
}

TEST(FeaturesTest, NamesAndSet) {
  ASSERT_TRUE(FeatureFromName("extended-const").has_value());
  Feature e = *FeatureFromName("extended-const");
  EXPECT_EQ(e, Feature::k_extended_const);
  EXPECT_STREQ(FeatureName(e), "extended-const");
  EXPECT_FALSE(FeatureFromName("gc").has_value());
  Features f;
  f.Set(e, false);
  EXPECT_FALSE(f.Has(e));
  EXPECT_TRUE(f.Has(Feature::kNone));
  EXPECT_EQ(FeatureDisabledMessage(Feature::k_tail_call, "return_call"),
            "return_call requires the tail-call feature, which is disabled "
            "(Config::wasm_features.tail_call)");
}

}  // namespace
}  // namespace kiln::wasm
