//===- Equiv.h - prove and check every block of a model --------------------===//
#ifndef CARDINAL_PROOF_EQUIV_H
#define CARDINAL_PROOF_EQUIV_H

#include "proof/BlockForms.h"
#include "proof/EquivCheck.h"
#include "proof/Prover.h"

#include "llvm/Support/JSON.h"

#include <string>
#include <vector>

namespace cardinal::proof {

/// A proof that form `from` equals form `to` for one block.
struct FormProof {
  int from = 0, to = 0; // 0 = (a), 1 = (b), 2 = (c)
  Certificate certificate;
};

struct BlockReport {
  BlockForms forms;
  std::vector<FormProof> proofs; // (a)->(b), (b)->(c), (a)->(c)
  PairCheck check;               // (a) vs (c) (or the available pair)
  int checkedFrom = 0, checkedTo = 2;
  /// Seconds per forward of each form on the CPU backend; < 0: not timed.
  std::array<double, 3> seconds{-1, -1, -1};
  bool proved() const;
};

struct EquivOptions {
  std::string onlyBlock; // --block NAME
  bool runChecks = true; // exact + float checks (cheap proofs always run)
  CheckOptions check;
};

/// Builds, proves and checks every block of `model`'s first function.
std::vector<BlockReport> proveModel(mlir::ModuleOp model,
                                    const EquivOptions &options);

char formLetter(int form);
std::string formatReport(const std::string &model,
                         const std::vector<BlockReport> &blocks);
llvm::json::Value reportJson(const std::string &model,
                             const std::vector<BlockReport> &blocks);

/// A Graphviz drawing of one form, like the paper's Fig. 3.
std::string formDot(mlir::func::FuncOp f, const std::string &title);

/// Replays a certificate JSON (as written by reportJson) against `model`'s
/// blocks; returns false with `error` naming the block, proof and step.
bool checkCertificateJson(mlir::ModuleOp model, const llvm::json::Value &json,
                          std::string &error, int &stepsChecked);

} // namespace cardinal::proof

#endif
