//===- ImageFolder.h - an ImageNet-style folder of class folders of JPEGs --===//
//
//   ROOT/train/<class>/*.jpg|*.jpeg   (any case: ImageNet's are .JPEG)
//   ROOT/val/<class>/*.jpg|*.jpeg
//
// Class index = position of the class folder's name among train's, sorted
// bytewise (torchvision's ImageFolder). Every val class must be a train
// class; files are listed in sorted order, so the index is reproducible.
//
//===----------------------------------------------------------------------===//
#ifndef CARDINAL_RUNTIME_DATA_IMAGEFOLDER_H
#define CARDINAL_RUNTIME_DATA_IMAGEFOLDER_H

#include <cstdint>
#include <string>
#include <vector>

namespace cardinal::rt {

struct ImageEntry {
  std::string path;
  int32_t label = 0;
};

struct ImageFolderIndex {
  std::string root;
  std::vector<std::string> classes; ///< sorted; classes[label]
  std::vector<ImageEntry> train, val;
};

/// Scans ROOT. Throws std::runtime_error naming the path when ROOT, its
/// train/ or val/ folder is missing or unreadable, train has no class
/// folder, a train class has no JPEG, or val has a class train lacks.
ImageFolderIndex scanImageFolder(const std::string &root);

/// ROOT/train's class folder names, sorted (classes[label]), without
/// listing any image: what ImageFolderIndex::classes holds. Throws as
/// scanImageFolder does for ROOT and ROOT/train.
std::vector<std::string> imageFolderClasses(const std::string &root);
/// True for names ending in .jpg or .jpeg, in any case.
bool isJpegName(const std::string &name);

/// "3 classes: 0=cat 1=dog 2=fox" (long lists elided in the middle).
std::string describeClasses(const ImageFolderIndex &index);

} // namespace cardinal::rt

#endif // CARDINAL_RUNTIME_DATA_IMAGEFOLDER_H
