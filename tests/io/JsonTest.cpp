//===- JsonTest.cpp - the checkpoint's small JSON reader
//-------------------===//

#include "runtime/checkpoint/Json.h"

#include "TempDir.h"

#include <gtest/gtest.h>

using namespace cardinal::rt;
using cardinal::test::contains;
using cardinal::test::errorOf;

TEST(JsonTest, ParsesNestedValues) {
  const json::Value v = json::parse(
      R"( {"a": [1, -2, 3.5e1, true, false, null],
          "b": {"c": "d"}, "e": {}} )");
  ASSERT_EQ(v.kind, json::Value::Kind::Object);
  ASSERT_EQ(v.members.size(), 3u);
  const json::Value *a = v.get("a");
  ASSERT_TRUE(a && a->kind == json::Value::Kind::Array);
  ASSERT_EQ(a->items.size(), 6u);
  int64_t i = 0;
  EXPECT_TRUE(a->items[1].asInt64(i));
  EXPECT_EQ(i, -2);
  EXPECT_FALSE(a->items[2].asInt64(i)); // 3.5e1 is not an integer literal
  EXPECT_EQ(a->items[2].text, "3.5e1");
  EXPECT_TRUE(a->items[3].boolean);
  EXPECT_EQ(a->items[5].kind, json::Value::Kind::Null);
  EXPECT_EQ(v.get("b")->get("c")->text, "d");
  EXPECT_EQ(v.get("missing"), nullptr);
  EXPECT_EQ(v.duplicateKey(), nullptr);
}

TEST(JsonTest, DecodesEscapes) {
  const json::Value v =
      json::parse(R"("q\" b\\ s\/ \n\t \u00e9 \u20ac \ud83d\ude00")");
  EXPECT_EQ(v.text, "q\" b\\ s/ \n\t \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
}

TEST(JsonTest, QuoteRoundTrips) {
  const std::string s = "a\"b\\c\n\x01 \xC3\xA9";
  EXPECT_EQ(json::quote(s), "\"a\\\"b\\\\c\\n\\u0001 \xC3\xA9\"");
  EXPECT_EQ(json::parse(json::quote(s)).text, s);
}

TEST(JsonTest, Int64Limits) {
  int64_t i = 0;
  EXPECT_TRUE(json::parse("9223372036854775807").asInt64(i));
  EXPECT_EQ(i, INT64_MAX);
  EXPECT_TRUE(json::parse("-9223372036854775808").asInt64(i));
  EXPECT_EQ(i, INT64_MIN);
  EXPECT_FALSE(json::parse("9223372036854775808").asInt64(i));
  EXPECT_FALSE(json::parse("1.0").asInt64(i));
  EXPECT_FALSE(json::parse("\"1\"").asInt64(i));
}

TEST(JsonTest, KeepsDuplicatesForTheCallerToReject) {
  const json::Value v = json::parse(R"({"x": 1, "y": 2, "x": 3})");
  ASSERT_NE(v.duplicateKey(), nullptr);
  EXPECT_EQ(*v.duplicateKey(), "x");
}

TEST(JsonTest, RejectsMalformedInput) {
  for (const char *bad : {"", "{", "{\"a\"}", "{\"a\":1,}", "[1,]", "01", "1.",
                          "-", "tru", "\"abc", "\"\\x\"", "\"\\ud800\"",
                          "\"a\nb\"", "{} x", "{1:2}", "[1 2]"})
    EXPECT_TRUE(contains(errorOf([&] { json::parse(bad); }), "offset"))
        << "accepted: " << bad;
}

TEST(JsonTest, LimitsNesting) {
  const std::string deep = std::string(100, '[') + std::string(100, ']');
  EXPECT_TRUE(contains(errorOf([&] { json::parse(deep); }), "nesting"));
  const std::string ok = std::string(60, '[') + std::string(60, ']');
  EXPECT_NO_THROW(json::parse(ok));
}
