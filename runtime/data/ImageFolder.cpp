//===- ImageFolder.cpp - an ImageNet-style folder of class folders of JPEGs ===//

#include "runtime/data/ImageFolder.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <system_error>

namespace cardinal::rt {
namespace {

namespace fs = std::filesystem;

/// Names of the entries of `dir` that are directories (want == true) or
/// regular files, hidden ones (".x") skipped, sorted bytewise.
std::vector<std::string> listDir(const fs::path &dir, bool wantDirs) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec), end;
  if (ec)
    throw std::runtime_error(dir.string() + ": cannot list: " + ec.message());
  std::vector<std::string> names;
  for (; it != end; it.increment(ec)) {
    if (ec)
      throw std::runtime_error(dir.string() + ": cannot list: " + ec.message());
    const std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.')
      continue;
    std::error_code typeError; // follows symlinks
    const bool isDir = fs::is_directory(it->path(), typeError);
    const bool isFile = fs::is_regular_file(it->path(), typeError);
    if (wantDirs ? isDir : isFile)
      names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

void requireDir(const fs::path &dir, const std::string &layout) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw std::runtime_error(dir.string() +
                             (fs::exists(dir, ec) ? ": not a directory"
                                                  : ": no such directory") +
                             " (expected " + layout + ")");
}

} // namespace

bool isJpegName(const std::string &name) {
  const size_t dot = name.rfind('.');
  if (dot == std::string::npos || dot == 0)
    return false;
  std::string ext = name.substr(dot + 1);
  for (char &c : ext)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == "jpg" || ext == "jpeg";
}

namespace {
std::string layoutOf(const std::string &root) {
  return "ROOT/train/<class>/*.jpg and ROOT/val/<class>/*.jpg, ROOT = " + root;
}
} // namespace

std::vector<std::string> imageFolderClasses(const std::string &root) {
  const std::string layout = layoutOf(root);
  requireDir(root, layout);
  const fs::path trainDir = fs::path(root) / "train";
  requireDir(trainDir, layout);
  std::vector<std::string> classes = listDir(trainDir, true);
  if (classes.empty())
    throw std::runtime_error(trainDir.string() +
                             ": no class folders (expected " + layout + ")");
  return classes;
}

ImageFolderIndex scanImageFolder(const std::string &root) {
  const std::string layout = layoutOf(root);
  const fs::path trainDir = fs::path(root) / "train";
  const fs::path valDir = fs::path(root) / "val";
  requireDir(root, layout); // in the order the errors have always come
  requireDir(trainDir, layout);
  requireDir(valDir, layout);
  ImageFolderIndex index;
  index.root = root;
  index.classes = imageFolderClasses(root);
  std::map<std::string, int32_t> labelOf;
  for (size_t i = 0; i < index.classes.size(); ++i)
    labelOf[index.classes[i]] = static_cast<int32_t>(i);

  for (size_t i = 0; i < index.classes.size(); ++i) {
    const fs::path dir = trainDir / index.classes[i];
    const size_t before = index.train.size();
    for (const std::string &f : listDir(dir, false))
      if (isJpegName(f))
        index.train.push_back({(dir / f).string(), static_cast<int32_t>(i)});
    if (index.train.size() == before)
      throw std::runtime_error(dir.string() +
                               ": no .jpg/.jpeg files in this train class");
  }
  for (const std::string &cls : listDir(valDir, true)) {
    auto it = labelOf.find(cls);
    if (it == labelOf.end())
      throw std::runtime_error((valDir / cls).string() + ": class '" + cls +
                               "' is not among the " +
                               std::to_string(index.classes.size()) +
                               " classes of " + trainDir.string());
    const fs::path dir = valDir / cls;
    for (const std::string &f : listDir(dir, false))
      if (isJpegName(f))
        index.val.push_back({(dir / f).string(), it->second});
  }
  return index;
}

std::string describeClasses(const ImageFolderIndex &index) {
  const size_t n = index.classes.size();
  std::string s = std::to_string(n) + (n == 1 ? " class:" : " classes:");
  for (size_t i = 0; i < n; ++i) {
    if (n > 8 && i == 4) {
      s += " ...";
      i = n - 3;
    }
    s += " " + std::to_string(i) + "=" + index.classes[i];
  }
  return s;
}

} // namespace cardinal::rt
