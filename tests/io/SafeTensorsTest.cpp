//===- SafeTensorsTest.cpp - safetensors read/write and atomic replace
//-----===//

#include "runtime/checkpoint/SafeTensors.h"

#include "TempDir.h"
#include "runtime/Random.h"

#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <sys/resource.h>
#include <unistd.h>

using namespace cardinal;
using cardinal::test::contains;
using cardinal::test::errorOf;

namespace {

std::vector<rt::TensorRecord> sampleTensors() {
  // Deliberately unsorted; covers each convenience dtype, a scalar, an empty.
  return {rt::tensorF32("weight", {2, 3}, {1.5f, -2.f, 3.f, 0.f, 1e-8f, 7.f}),
          rt::tensorU64("rng", {4},
                        {1, 0xFFFFFFFFFFFFFFFFull, 42, 0x0123456789ABCDEFull}),
          rt::tensorI64("step", {}, {12345}),
          rt::tensorF64("lr", {1}, {0.1}),
          rt::tensorI32("labels", {3}, {-1, 0, 9}),
          rt::tensorF32("empty", {0, 4}, {})};
}

const std::map<std::string, std::string> kMeta = {
    {"format", "pt"}, {"model", "resnext29 \"8x64d\"\n"}};

/// 8-byte little-endian length + header + data: a hand-made file.
std::string craft(const std::string &header, const std::string &data = "") {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i)
    s[i] = static_cast<char>((header.size() >> (8 * i)) & 0xFF);
  return s + header + data;
}

void expectSame(const rt::TensorRecord &a, const rt::TensorRecord &b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.dtype, b.dtype);
  EXPECT_EQ(a.shape, b.shape);
  EXPECT_EQ(a.bytes, b.bytes);
}

} // namespace

TEST(SafeTensorsTest, RoundTripIsExact) {
  test::TempDir dir;
  const std::string path = dir.file("ckpt.safetensors");
  const auto tensors = sampleTensors();
  rt::writeSafeTensors(path, tensors, kMeta);
  const rt::SafeTensorsFile f = rt::readSafeTensors(path);
  EXPECT_EQ(f.path, path);
  EXPECT_EQ(f.metadata, kMeta);
  ASSERT_EQ(f.tensors.size(), tensors.size());
  for (size_t i = 1; i < f.tensors.size(); ++i)
    EXPECT_LT(f.tensors[i - 1].name, f.tensors[i].name);
  for (const rt::TensorRecord &t : tensors)
    expectSame(f.at(t.name), t);
  EXPECT_EQ(rt::asU64(f.at("rng"))[1], 0xFFFFFFFFFFFFFFFFull);
  EXPECT_EQ(rt::asI64(f.at("step")), std::vector<int64_t>{12345});
  EXPECT_EQ(f.at("step").numel(), 1);
  EXPECT_EQ(f.at("empty").numel(), 0);

  // Bytes identical: file == in-memory encoding == re-encoding what we read.
  const std::string bytes = test::readFile(path);
  const std::vector<uint8_t> encoded = rt::encodeSafeTensors(tensors, kMeta);
  EXPECT_EQ(bytes, std::string(encoded.begin(), encoded.end()));
  const std::vector<uint8_t> again =
      rt::encodeSafeTensors(f.tensors, f.metadata);
  EXPECT_EQ(encoded, again);
  const rt::SafeTensorsFile m =
      rt::decodeSafeTensors(encoded.data(), encoded.size(), "mem");
  ASSERT_EQ(m.tensors.size(), f.tensors.size());
  for (size_t i = 0; i < m.tensors.size(); ++i)
    expectSame(m.tensors[i], f.tensors[i]);
}

TEST(SafeTensorsTest, HeaderLayout) {
  const std::vector<uint8_t> b = rt::encodeSafeTensors(sampleTensors(), kMeta);
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i)
    n |= uint64_t(b[i]) << (8 * i);
  EXPECT_EQ((8 + n) % 8, 0u); // data section aligned
  const std::string header(b.begin() + 8, b.begin() + 8 + n);
  EXPECT_EQ(header.rfind("{\"__metadata__\":{\"format\":\"pt\"", 0), 0u);
  // Names appear sorted, and data follows in that order.
  EXPECT_LT(header.find("\"empty\""), header.find("\"labels\""));
  EXPECT_LT(header.find("\"labels\""), header.find("\"lr\""));
  EXPECT_LT(header.find("\"rng\""), header.find("\"step\""));
  EXPECT_LT(header.find("\"step\""), header.find("\"weight\""));
  EXPECT_TRUE(contains(header, "\"empty\":{\"dtype\":\"F32\",\"shape\":[0,4],"
                               "\"data_offsets\":[0,0]}"));
  EXPECT_TRUE(contains(header, "\"labels\":{\"dtype\":\"I32\",\"shape\":[3],"
                               "\"data_offsets\":[0,12]}"));
  EXPECT_EQ(b.size(), 8 + n + 12 + 8 + 32 + 8 + 24);
}

TEST(SafeTensorsTest, ConvenienceChecks) {
  EXPECT_TRUE(contains(errorOf([] {
                         rt::tensorF32("w", {2, 2}, {1, 2, 3});
                       }),
                       "tensor \"w\": shape [2, 2] does not hold 3 values"));
  const rt::TensorRecord t = rt::tensorI64("step", {}, {1});
  EXPECT_TRUE(contains(errorOf([&] { rt::asF32(t); }),
                       "tensor \"step\": dtype is I64, expected F32"));
  rt::SafeTensorsFile f;
  f.path = "x.safetensors";
  EXPECT_TRUE(
      contains(errorOf([&] { f.at("w"); }), "x.safetensors: no tensor \"w\""));
  EXPECT_EQ(rt::dtypeSize("BF16"), 2u);
  EXPECT_EQ(rt::dtypeSize("F128"), 0u);
}

TEST(SafeTensorsTest, WriterRejectsBadRecords) {
  test::TempDir dir;
  const std::string path = dir.file("bad.safetensors");
  auto writeErr = [&](std::vector<rt::TensorRecord> ts) {
    return errorOf([&] { rt::writeSafeTensors(path, ts, {}); });
  };
  rt::TensorRecord w = rt::tensorF32("w", {2}, {1, 2});
  EXPECT_TRUE(
      contains(writeErr({w, w}), path + ": duplicate tensor name \"w\""));
  rt::TensorRecord meta = w;
  meta.name = "__metadata__";
  EXPECT_TRUE(contains(writeErr({meta}), path + ": invalid tensor name"));
  rt::TensorRecord odd = w;
  odd.dtype = "F128";
  EXPECT_TRUE(
      contains(writeErr({odd}), path + ": tensor \"w\" has unknown dtype"));
  rt::TensorRecord shortBytes = w;
  shortBytes.bytes.pop_back();
  EXPECT_TRUE(contains(writeErr({shortBytes}),
                       path + ": tensor \"w\" has 7 bytes, shape [2] of F32 "
                              "needs 8"));
  EXPECT_TRUE(dir.entries().empty()); // nothing written, no temp left
}

TEST(SafeTensorsTest, ReaderRejectsCorruptFiles) {
  test::TempDir dir;
  const std::string f32x2 = R"("dtype":"F32","shape":[2])";
  const struct {
    const char *name;
    std::string bytes, problem;
  } cases[] = {
      {"empty", "", "file too short (0 bytes)"},
      {"short", std::string("\x05\0\0", 3), "file too short (3 bytes)"},
      {"huge_len", craft("{}").replace(0, 1, "\x40"),
       "header length 64 exceeds the file size 10"},
      {"tiny_len", craft("{"), "header length 1 is too small"},
      {"bad_json", craft(R"({"w":{"dtype":"F32",)"), "malformed JSON header"},
      {"not_object", craft("[1,2]"), "header is a array, expected an object"},
      {"unknown_dtype",
       craft(R"({"w":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}})",
             std::string(16, 'x')),
       "tensor \"w\": unknown dtype \"F128\""},
      {"out_of_range",
       craft("{\"w\":{" + f32x2 + ",\"data_offsets\":[0,8]}}", "1234"),
       "tensor \"w\": data_offsets [0, 8] out of range (data section is 4 "
       "bytes)"},
      {"size_mismatch",
       craft("{\"w\":{" + f32x2 + ",\"data_offsets\":[0,4]}}", "1234"),
       "tensor \"w\": data_offsets [0, 4] hold 4 bytes, but shape [2] of F32 "
       "needs 8"},
      {"overlap",
       craft("{\"a\":{" + f32x2 + ",\"data_offsets\":[0,8]},\"b\":{" + f32x2 +
                 ",\"data_offsets\":[4,12]}}",
             "123456789012"),
       "tensors \"a\" and \"b\" overlap"},
      {"hole",
       craft("{\"a\":{" + f32x2 + ",\"data_offsets\":[0,8]},\"b\":{" + f32x2 +
                 ",\"data_offsets\":[12,20]}}",
             std::string(20, 'x')),
       "data bytes [8, 12) belong to no tensor"},
      {"trailing",
       craft("{\"a\":{" + f32x2 + ",\"data_offsets\":[0,8]}}",
             std::string(9, 'x')),
       "data bytes [8, 9) belong to no tensor"},
      {"duplicate",
       craft("{\"a\":{" + f32x2 + ",\"data_offsets\":[0,8]},\"a\":{" + f32x2 +
                 ",\"data_offsets\":[8,16]}}",
             std::string(16, 'x')),
       "duplicate tensor name \"a\""},
      {"negative_dim",
       craft(R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}})"),
       "tensor \"w\": shape has an invalid dimension -1"},
      {"unknown_key",
       craft("{\"w\":{" + f32x2 + ",\"data_offsets\":[0,8],\"x\":1}}",
             std::string(8, 'x')),
       "tensor \"w\": unknown key \"x\""},
      {"missing_key", craft(R"({"w":{"dtype":"F32","shape":[0]}})"),
       "tensor \"w\": needs \"dtype\", \"shape\" and \"data_offsets\""},
      {"bad_offsets",
       craft("{\"w\":{" + f32x2 + ",\"data_offsets\":[8,0]}}",
             std::string(8, 'x')),
       "tensor \"w\": data_offsets must be [begin, end]"},
      {"bad_metadata", craft(R"({"__metadata__":{"epoch":3}})"),
       "__metadata__ \"epoch\" is a number, expected a string"},
  };
  for (const auto &c : cases) {
    const std::string path = dir.file(std::string(c.name) + ".safetensors");
    test::writeFile(path, c.bytes);
    const std::string msg = errorOf([&] { rt::readSafeTensors(path); });
    EXPECT_TRUE(contains(msg, path + ": " + c.problem))
        << c.name << ": " << msg;
    // The in-memory decoder applies the same checks.
    const std::string mem = errorOf([&] {
      rt::decodeSafeTensors(reinterpret_cast<const uint8_t *>(c.bytes.data()),
                            c.bytes.size(), "mem");
    });
    EXPECT_TRUE(contains(mem, c.problem)) << c.name << ": " << mem;
  }
  const std::string missing = dir.file("absent.safetensors");
  EXPECT_TRUE(contains(errorOf([&] { rt::readSafeTensors(missing); }),
                       missing + ": No such file or directory"));
  EXPECT_TRUE(contains(errorOf([&] { rt::readSafeTensors(dir.path()); }),
                       dir.path() + ": "));
}

TEST(SafeTensorsTest, MutatedFilesErrorOrParseButNeverCrash) {
  // Deterministic byte mutations (mostly in the header): each must either
  // decode or throw std::runtime_error; run under ASan to catch overreads.
  const std::vector<uint8_t> good =
      rt::encodeSafeTensors(sampleTensors(), kMeta);
  rt::Random rng(5);
  int rejected = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::vector<uint8_t> b = good;
    for (int k = 0, edits = 1 + static_cast<int>(rng.below(3)); k < edits;
         ++k) {
      const size_t at = rng.below(rng.below(4) ? 400 : b.size());
      b[at] = static_cast<uint8_t>(
          rng.below(2) ? rng.next() : "{}[],:\"0123"[rng.below(12)]);
    }
    if (rng.below(8) == 0)
      b.resize(rng.below(b.size()));
    try {
      rt::decodeSafeTensors(b.data(), b.size(), "mut");
    } catch (const std::runtime_error &e) {
      ++rejected;
      EXPECT_EQ(std::string(e.what()).rfind("mut: ", 0), 0u) << e.what();
    }
  }
  EXPECT_GT(rejected, 1000);
}

TEST(SafeTensorsTest, AcceptsForeignButValidHeaders) {
  // Another writer's spacing, key order, no metadata, unaligned data.
  test::TempDir dir;
  const std::string path = dir.file("foreign.safetensors");
  test::writeFile(path, craft(R"({ "b" : {"shape": [1], "data_offsets": [4, 8],
                              "dtype": "I32"},
                            "a": {"data_offsets": [0, 4], "dtype": "F32",
                              "shape": []} })",
                              std::string("\0\0\x80\x3f\x07\0\0\0", 8)));
  const rt::SafeTensorsFile f = rt::readSafeTensors(path);
  ASSERT_EQ(f.tensors.size(), 2u);
  EXPECT_EQ(f.tensors[0].name, "a");
  EXPECT_EQ(rt::asF32(f.at("a")), std::vector<float>{1.0f});
  EXPECT_EQ(rt::asI32(f.at("b")), std::vector<int32_t>{7});
}

TEST(SafeTensorsTest, OverwriteReplacesAndLeavesNoTemp) {
  test::TempDir dir;
  const std::string path = dir.file("ckpt.safetensors");
  rt::writeSafeTensors(path, {rt::tensorF32("w", {1}, {1})}, {});
  rt::writeSafeTensors(path, {rt::tensorF32("w", {2}, {2, 3})},
                       {{"epoch", "2"}});
  const rt::SafeTensorsFile f = rt::readSafeTensors(path);
  EXPECT_EQ(rt::asF32(f.at("w")), (std::vector<float>{2, 3}));
  EXPECT_EQ(f.metadata.at("epoch"), "2");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"ckpt.safetensors"});
}

TEST(SafeTensorsTest, MissingDirectoryFailsCleanly) {
  test::TempDir dir;
  const std::string path = dir.file("no/such/dir/ckpt.safetensors");
  const std::string msg = errorOf(
      [&] { rt::writeSafeTensors(path, {rt::tensorF32("w", {1}, {1})}, {}); });
  EXPECT_TRUE(contains(msg, path + ": cannot create temp file")) << msg;
  EXPECT_TRUE(dir.entries().empty());
}

TEST(SafeTensorsTest, FailedWriteKeepsOldFile) {
  // Works as root too: RLIMIT_FSIZE makes write() fail with EFBIG part-way,
  // like a full disk, whatever the permissions.
  test::TempDir dir;
  const std::string path = dir.file("ckpt.safetensors");
  rt::writeSafeTensors(path, {rt::tensorF32("w", {2}, {1, 2})}, {{"v", "1"}});
  const std::string before = test::readFile(path);

  struct rlimit old;
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  std::signal(SIGXFSZ, SIG_IGN); // get EFBIG instead of being killed
  struct rlimit small = old;
  small.rlim_cur = 4096;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  const std::string msg = errorOf([&] {
    rt::writeSafeTensors(path,
                         {rt::tensorF32("w", {4096}, std::vector<float>(4096))},
                         {{"v", "2"}});
  });
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &old), 0);
  std::signal(SIGXFSZ, SIG_DFL);

  EXPECT_TRUE(contains(msg, path + ": write failed: File too large")) << msg;
  EXPECT_EQ(test::readFile(path), before);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"ckpt.safetensors"});
}

TEST(SafeTensorsTest, FailedRenameKeepsTargetAndRemovesTemp) {
  // The target is a non-empty directory: rename() fails after the data was
  // written, so this exercises the last cleanup path.
  test::TempDir dir;
  const std::string path = dir.file("ckpt.safetensors");
  std::filesystem::create_directories(path + "/keep");
  const std::string msg = errorOf(
      [&] { rt::writeSafeTensors(path, {rt::tensorF32("w", {1}, {1})}, {}); });
  EXPECT_TRUE(contains(msg, path + ": cannot rename temp file over it")) << msg;
  EXPECT_TRUE(std::filesystem::is_directory(path + "/keep"));
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"ckpt.safetensors"});
}

TEST(SafeTensorsTest, ReadOnlyDirectoryKeepsOldFile) {
  if (::geteuid() == 0)
    GTEST_SKIP() << "root ignores directory permissions";
  test::TempDir dir;
  const std::string path = dir.file("ckpt.safetensors");
  rt::writeSafeTensors(path, {rt::tensorF32("w", {1}, {1})}, {});
  const std::string before = test::readFile(path);
  std::filesystem::permissions(dir.path(), std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::remove);
  const std::string msg = errorOf(
      [&] { rt::writeSafeTensors(path, {rt::tensorF32("w", {1}, {2})}, {}); });
  std::filesystem::permissions(dir.path(), std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::add);
  EXPECT_TRUE(contains(msg, path + ": cannot create temp file")) << msg;
  EXPECT_EQ(test::readFile(path), before);
}

TEST(SafeTensorsTest, PythonCrossCheck) {
  if (std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "/usr/bin/python3 with numpy not available";
  test::TempDir dir;
  const std::string ours = dir.file("ours.safetensors"),
                    theirs = dir.file("theirs.safetensors"),
                    report = dir.file("report.txt"), script = dir.file("x.py");
  rt::writeSafeTensors(ours, sampleTensors(), kMeta);
  // Python parses our header with its json module and decodes the data with
  // numpy, then writes a file of its own (json.dumps spacing, its key order).
  test::writeFile(script, R"(import json, struct, sys
import numpy as np
ours, theirs, report = sys.argv[1:]
raw = open(ours, 'rb').read()
n, = struct.unpack('<Q', raw[:8])
header = json.loads(raw[8:8 + n])
data = raw[8 + n:]
types = {'F32': '<f4', 'F64': '<f8', 'I32': '<i4', 'I64': '<i8', 'U64': '<u8'}
with open(report, 'w') as out:
    out.write(json.dumps(header.pop('__metadata__'), sort_keys=True) + '\n')
    for name in sorted(header):
        t = header[name]
        b, e = t['data_offsets']
        a = np.frombuffer(data[b:e], dtype=types[t['dtype']])
        a = a.reshape(t['shape'])
        values = ' '.join(repr(x) for x in a.ravel().tolist())
        out.write('%s %s %s %s\n' % (name, t['dtype'], list(a.shape), values))
w = np.arange(6, dtype='<f4').reshape(2, 3) / 4
s = np.array([7, 8], dtype='<u8')
hdr = {'step': {'dtype': 'U64', 'shape': [2], 'data_offsets': [0, 16]},
       'w': {'dtype': 'F32', 'shape': [2, 3], 'data_offsets': [16, 40]},
       '__metadata__': {'by': 'python'}}
h = json.dumps(hdr).encode()
with open(theirs, 'wb') as out:
    out.write(struct.pack('<Q', len(h)) + h + s.tobytes() + w.tobytes())
)");
  ASSERT_EQ(std::system(("/usr/bin/python3 " + script + " " + ours + " " +
                         theirs + " " + report)
                            .c_str()),
            0);
  EXPECT_EQ(test::readFile(report),
            "{\"format\": \"pt\", \"model\": \"resnext29 \\\"8x64d\\\"\\n\"}\n"
            "empty F32 [0, 4] \n"
            "labels I32 [3] -1 0 9\n"
            "lr F64 [1] 0.1\n"
            "rng U64 [4] 1 18446744073709551615 42 81985529216486895\n"
            "step I64 [] 12345\n"
            "weight F32 [2, 3] 1.5 -2.0 3.0 0.0 9.99999993922529e-09 7.0\n");
  const rt::SafeTensorsFile f = rt::readSafeTensors(theirs);
  EXPECT_EQ(f.metadata.at("by"), "python");
  EXPECT_EQ(rt::asU64(f.at("step")), (std::vector<uint64_t>{7, 8}));
  EXPECT_EQ(rt::asF32(f.at("w")),
            (std::vector<float>{0, 0.25f, 0.5f, 0.75f, 1, 1.25f}));
}
