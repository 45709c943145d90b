// `wzp id` as a user runs it: a real process, a real identity file.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>

#include "tests/support/paths.hpp"
#include "tests/support/process.hpp"

namespace wzp::test {
namespace {

using namespace std::chrono_literals;

class ClientIdentity : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = make_temp_dir("client-identity"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  struct Result {
    int exit_code;
    std::string output;
  };
  Result run(std::vector<std::string> args, std::string passphrase = "correct horse") {
    args.insert(args.begin(), "id");
    ChildProcess wzp(
        build_binary("client/wzp"), args,
        {{"WZP_IDENTITY", (dir_ / "identity").string()}, {"WZP_PASSPHRASE", passphrase}});
    auto status = wzp.wait_exit(30s);
    EXPECT_TRUE(status.has_value());
    EXPECT_TRUE(wzp.wait_output_closed(5s));
    std::ostringstream out;
    for (const auto &line : wzp.lines()) out << line << "\n";
    return {status && WIFEXITED(*status) ? WEXITSTATUS(*status) : -1, out.str()};
  }
  std::filesystem::path dir_;
};

std::string fingerprint_in(const std::string &output) {
  std::smatch m;
  std::regex pattern("fingerprint ([0-9a-f]{4}(:[0-9a-f]{4}){7})");
  return std::regex_search(output, m, pattern) ? m[1].str() : "";
}

TEST_F(ClientIdentity, AnEmptyNewPassphraseIsRefused) {
  auto created = run({"new"}, "");
  EXPECT_EQ(created.exit_code, 1) << created.output;
  EXPECT_NE(created.output.find("the new passphrase is empty"), std::string::npos)
      << created.output;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "identity"));
}

TEST_F(ClientIdentity, NewShowAndRefuseToOverwrite) {
  auto created = run({"new"});
  ASSERT_EQ(created.exit_code, 0) << created.output;
  auto fingerprint = fingerprint_in(created.output);
  ASSERT_FALSE(fingerprint.empty()) << created.output;

  struct stat st {};
  ASSERT_EQ(stat((dir_ / "identity").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto shown = run({"show"});
  EXPECT_EQ(shown.exit_code, 0);
  EXPECT_EQ(fingerprint_in(shown.output), fingerprint);

  auto again = run({"new"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.output.find("--force"), std::string::npos) << again.output;
  EXPECT_EQ(fingerprint_in(run({"show"}).output), fingerprint);
}

TEST_F(ClientIdentity, MnemonicRestoresTheSameIdentity) {
  auto created = run({"new"});
  ASSERT_EQ(created.exit_code, 0);
  auto words = run({"mnemonic"});
  ASSERT_EQ(words.exit_code, 0);
  std::istringstream count(words.output);
  EXPECT_EQ(std::distance(std::istream_iterator<std::string>(count), {}), 24);

  auto backup = dir_ / "backup.txt";
  std::ofstream(backup) << words.output;
  std::filesystem::remove(dir_ / "identity");
  auto restored = run({"import", backup.string()});
  ASSERT_EQ(restored.exit_code, 0) << restored.output;
  EXPECT_EQ(fingerprint_in(restored.output), fingerprint_in(created.output));

  std::ofstream(backup) << "zoo zoo zoo\n";
  auto bad = run({"import", "--force", backup.string()});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.output.find("not a valid backup"), std::string::npos) << bad.output;
}

TEST_F(ClientIdentity, WrongPassphraseIsAClearError) {
  ASSERT_EQ(run({"new"}).exit_code, 0);
  auto shown = run({"show"}, "wrong");
  EXPECT_EQ(shown.exit_code, 1);
  EXPECT_NE(shown.output.find("wrong passphrase"), std::string::npos) << shown.output;
}

TEST_F(ClientIdentity, BadArgumentsAreClearErrors) {
  EXPECT_EQ(run({}).exit_code, 1);
  auto unknown = run({"frobnicate"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.output.find("unknown subcommand"), std::string::npos);
  EXPECT_EQ(run({"show"}).exit_code, 1);  // no identity yet
}

}  // namespace
}  // namespace wzp::test
