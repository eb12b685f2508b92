# lit configuration for Cardinal's FileCheck tests.
import os
import lit.formats

config.name = "Cardinal"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".mlir", ".test"]
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Inputs"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.cardinal_obj_root, "tests")

# Tools: Cardinal's drivers first, then FileCheck, not, count from LLVM.
config.environment["PATH"] = os.pathsep.join(
    [config.cardinal_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", os.environ.get("PATH", ""))])
config.substitutions.append(("%cardinal_src", config.cardinal_src_root))
# Static libraries that generated models link (tests that compile one).
config.substitutions.append(("%cardinal_lib", os.path.join(config.cardinal_obj_root, "lib")))
