//===- MetricsTest.cpp - metrics.csv and the progress display --------------===//

#include "TestUtil.h"

#include "runtime/trainer/Metrics.h"
#include "runtime/trainer/Progress.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

using namespace cardinal::rt;
using cardinal::rt::trainertest::makeTempDir;
using cardinal::rt::trainertest::readText;

TEST(MetricsTest, FixedFormatting) {
  MetricsRow r;
  r.epoch = 3;
  r.trainLoss = 0.25;
  r.trainTop1Err = 7.5;
  r.lr = 0.1f;
  r.seconds = 1.23456;
  EXPECT_EQ(formatMetricsRow(r), "3,0.250000,7.500000,,,0.100000001,1.235");
  r.evaluated = true;
  r.testTop1Err = 2.5;
  r.testTop5Err = 0.0;
  EXPECT_EQ(formatMetricsRow(r),
            "3,0.250000,7.500000,2.500000,0.000000,0.100000001,1.235");
}

TEST(MetricsTest, FreshStartsOverResumeKeepsRowsThroughTheCheckpoint) {
  const std::string path = makeTempDir() + "/m.csv";
  const std::string header = std::string(metricsHeader()) + "\n";
  {
    MetricsLog log(path, std::nullopt);
    for (int e = 1; e <= 3; ++e) {
      MetricsRow r;
      r.epoch = e;
      log.append(r);
    }
  }
  EXPECT_EQ(readText(path), header + "1,0.000000,0.000000,,,0,0.000\n"
                                     "2,0.000000,0.000000,,,0,0.000\n"
                                     "3,0.000000,0.000000,,,0,0.000\n");
  { MetricsLog log(path, 2); } // the checkpoint was written after epoch 2
  EXPECT_EQ(readText(path), header + "1,0.000000,0.000000,,,0,0.000\n"
                                     "2,0.000000,0.000000,,,0,0.000\n");
  { MetricsLog log(path, std::nullopt); }
  EXPECT_EQ(readText(path), header);

  const std::string missing = makeTempDir() + "/new.csv";
  { MetricsLog log(missing, 5); }
  EXPECT_EQ(readText(missing), header);

  const std::string foreign = makeTempDir() + "/other.csv";
  std::ofstream(foreign) << "a,b\n1,2\n";
  EXPECT_THROW(MetricsLog(foreign, 1), std::runtime_error);
}

TEST(ProgressTest, TtyRedrawsOneLinePipeGetsOneLinePerEpoch) {
  for (bool tty : {true, false}) {
    FILE *f = std::tmpfile();
    ASSERT_NE(f, nullptr);
    Progress p(f, tty, /*quiet=*/false);
    p.startEpoch(1, 2, 3);
    for (int i = 1; i <= 3; ++i)
      p.step(i, 0.5, 90.0, 1000.0);
    p.endEpoch("epoch 1/2 done");
    std::rewind(f);
    std::string text(4096, '\0');
    text.resize(std::fread(text.data(), 1, text.size(), f));
    std::fclose(f);
    if (tty) {
      // The first step draws; later ones within 100 ms only if last.
      EXPECT_NE(text.find("\r\x1b[Kepoch 1/2  batch 1/3  loss 0.5000  acc "
                          "90.00%  1000 img/s  ETA"),
                std::string::npos)
          << text;
      EXPECT_NE(text.find("\r\x1b[Kepoch 1/2  batch 3/3"), std::string::npos)
          << text;
      EXPECT_NE(text.find("ETA"), std::string::npos) << text;
      EXPECT_EQ(text.substr(text.size() - 15), "epoch 1/2 done\n");
    } else {
      EXPECT_EQ(text, "epoch 1/2 done\n");
    }
  }
  FILE *f = std::tmpfile();
  Progress quiet(f, true, true);
  quiet.startEpoch(1, 1, 1);
  quiet.step(1, 0, 0, 0);
  quiet.endEpoch("x");
  EXPECT_EQ(std::ftell(f), 0);
  std::fclose(f);
  EXPECT_EQ(formatDuration(0.42), "0.4s");
  EXPECT_EQ(formatDuration(45), "45s");
  EXPECT_EQ(formatDuration(185), "3m05s");
  EXPECT_EQ(formatDuration(7620), "2h07m");
}
