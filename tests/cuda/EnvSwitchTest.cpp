//===- EnvSwitchTest.cpp - the CUDA trainers' on/off environment switches --===//

#include "runtime/cuda/EnvSwitch.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace cardinal::rt::cuda {
namespace {

constexpr const char *kVar = "CARDINAL_TEST_SWITCH";

TEST(EnvSwitchTest, UnsetOrEmptyGivesTheDefault) {
  ::unsetenv(kVar);
  EXPECT_TRUE(envSwitch(kVar, true, "x"));
  EXPECT_FALSE(envSwitch(kVar, false, "x"));
  ::setenv(kVar, "", 1);
  EXPECT_TRUE(envSwitch(kVar, true, "x"));
  ::unsetenv(kVar);
}

TEST(EnvSwitchTest, OneAndZeroOverrideTheDefault) {
  ::setenv(kVar, "1", 1);
  EXPECT_TRUE(envSwitch(kVar, false, "x"));
  ::setenv(kVar, "0", 1);
  EXPECT_FALSE(envSwitch(kVar, true, "x"));
  ::unsetenv(kVar);
}

TEST(EnvSwitchTest, AnythingElseIsAnErrorNamingTheVariable) {
  for (const char *bad : {"yes", "true", "2", "01", " 1"}) {
    ::setenv(kVar, bad, 1);
    try {
      envSwitch(kVar, true, "use the fast path");
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const std::runtime_error &e) {
      EXPECT_EQ(std::string(e.what()),
                std::string(kVar) + "='" + bad +
                    "': expected 1 (use the fast path) or 0");
    }
  }
  ::unsetenv(kVar);
}

} // namespace
} // namespace cardinal::rt::cuda
