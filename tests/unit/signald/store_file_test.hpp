// A fixture for tests of the daemon's store: a fresh directory per test,
// and stores opened on one SQLite file in it.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "signald/core/store.hpp"
#include "tests/support/paths.hpp"

namespace wzp::signald::testing {

class StoreFileTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = wzp::test::make_temp_dir("signald-store"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::unique_ptr<Store> open() {
    std::string error;
    auto store = Store::open(dir_ / "state.db", error);
    EXPECT_TRUE(store) << error;
    return store;
  }
  std::filesystem::path dir_;
};

}  // namespace wzp::signald::testing
