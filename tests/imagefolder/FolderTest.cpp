//===- FolderTest.cpp - scanning ROOT/{train,val}/<class>/*.jpg -----------===//

#include "FolderFixture.h"

#include "runtime/data/ImageFolder.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>

namespace cardinal::rt {
namespace {

using imagetest::Folder;

std::string scanError(const std::string &root) {
  try {
    scanImageFolder(root);
  } catch (const std::runtime_error &e) {
    return e.what();
  }
  return "";
}

TEST(FolderTest, ClassesAreSortedFolderNamesAndLabelsFollowThem) {
  const Folder &f = imagetest::sharedFolder();
  const ImageFolderIndex index = scanImageFolder(f.root);
  EXPECT_EQ(index.classes, imagetest::classNames());
  ASSERT_EQ(index.train.size(), 3u * f.trainPerClass); // .txt/.hidden/.png ignored
  ASSERT_EQ(index.val.size(), 3u * f.valPerClass);
  for (const ImageEntry &e : index.train)
    EXPECT_NE(e.path.find("/train/" + index.classes[e.label] + "/"),
              std::string::npos)
        << e.path;
  for (const ImageEntry &e : index.val)
    EXPECT_NE(e.path.find("/val/" + index.classes[e.label] + "/"),
              std::string::npos)
        << e.path;
  // Sorted within a class, classes in label order.
  EXPECT_NE(index.train[0].path.find("/apple/00.JPEG"), std::string::npos);
  EXPECT_NE(index.train[1].path.find("/apple/01.jpg"), std::string::npos);
  EXPECT_EQ(describeClasses(index), "3 classes: 0=apple 1=banana 2=cherry");
}

TEST(FolderTest, JpegNames) {
  EXPECT_TRUE(isJpegName("a.JPEG"));
  EXPECT_TRUE(isJpegName("a.jpg"));
  EXPECT_TRUE(isJpegName("b.Jpeg"));
  EXPECT_FALSE(isJpegName("a.png"));
  EXPECT_FALSE(isJpegName("jpg"));
  EXPECT_FALSE(isJpegName(".jpg"));
}

TEST(FolderTest, LongClassListsAreElided) {
  ImageFolderIndex index;
  for (int i = 0; i < 1000; ++i)
    index.classes.push_back("n" + std::to_string(10000 + i));
  EXPECT_EQ(describeClasses(index),
            "1000 classes: 0=n10000 1=n10001 2=n10002 3=n10003 ... "
            "997=n10997 998=n10998 999=n10999");
}

TEST(FolderTest, MissingFoldersAreClearErrors) {
  const std::string dir = imagetest::makeTempDir();
  std::string e = scanError(dir + "/nope");
  EXPECT_NE(e.find(dir + "/nope: no such directory"), std::string::npos) << e;
  EXPECT_NE(e.find("ROOT/train/<class>/*.jpg"), std::string::npos) << e;

  std::filesystem::create_directories(dir + "/a/val");
  e = scanError(dir + "/a");
  EXPECT_NE(e.find(dir + "/a/train: no such directory"), std::string::npos)
      << e;

  std::filesystem::create_directories(dir + "/a/train");
  e = scanError(dir + "/a");
  EXPECT_NE(e.find("no class folders"), std::string::npos) << e;

  std::filesystem::create_directories(dir + "/a/train/cat");
  e = scanError(dir + "/a");
  EXPECT_NE(e.find(dir + "/a/train/cat: no .jpg/.jpeg files"),
            std::string::npos)
      << e;

  imagetest::writeJpeg(dir + "/a/train/cat/1.jpg",
                       imagetest::classImage(0, 0, 16, 16));
  std::filesystem::create_directories(dir + "/a/val/dog");
  e = scanError(dir + "/a");
  EXPECT_NE(e.find("class 'dog' is not among the 1 classes"),
            std::string::npos)
      << e;

  std::filesystem::remove_all(dir + "/a/val");
  e = scanError(dir + "/a");
  EXPECT_NE(e.find(dir + "/a/val: no such directory"), std::string::npos) << e;
}

} // namespace
} // namespace cardinal::rt
