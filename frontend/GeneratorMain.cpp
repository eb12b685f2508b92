//===- GeneratorMain.cpp - main() of a compiled model file -----------------===//
//
// `cardinal build model.cpp` compiles the model file, links it with this main
// and runs the result; it prints the model's nn module on stdout. Options
// come from the driver: --name, --batch, --image, --channels, --classes.
//
//===----------------------------------------------------------------------===//
#include "frontend/DSL.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

int main(int argc, char **argv) {
  cardinal::dsl::ModelOptions options;
  std::string name = "model";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&]() -> const char * {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "error: %s needs a value\n", arg.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--name") name = next();
    else if (arg == "--batch") options.batch = std::atoll(next());
    else if (arg == "--image") options.image = std::atoll(next());
    else if (arg == "--channels") options.channels = std::atoll(next());
    else if (arg == "--classes") options.classes = std::atoll(next());
    else {
      std::fprintf(stderr, "error: unknown generator option '%s'\n", arg.c_str());
      return 2;
    }
  }
  try {
    cardinal::dsl::Graph graph(name);
    cardinal_model_entry(graph, options);
    std::string text = graph.toMLIR();
    std::fwrite(text.data(), 1, text.size(), stdout);
    return std::fflush(stdout) == 0 ? 0 : 1;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
