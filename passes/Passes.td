//===- Passes.td - Cardinal passes -------------------------*- tablegen -*-===//
#ifndef CARDINAL_PASSES
#define CARDINAL_PASSES

include "mlir/Pass/PassBase.td"

def PrintStats : Pass<"nn-print-stats", "::mlir::ModuleOp"> {
  let summary = "Print parameters and multiply-adds per stage (paper, Table 1)";
  let description = [{
    Counts parameters (nn.param elements; C copies inside an nn.aggregate)
    and multiply-adds of conv and fc layers per image, grouped by the first
    component of each layer's scoped name (stem, stage2, ..., head). Prints a
    table, or JSON with `json=true`. The module is left unchanged.
  }];
  let options = [
    Option<"json", "json", "bool", /*default=*/"false",
           "print JSON instead of a table">
  ];
}

def LowerAggregate : Pass<"nn-lower-aggregate", "::mlir::ModuleOp"> {
  let summary = "Lower every nn.aggregate to form (a), (b) or (c) (paper, Fig. 3)";
  let description = [{
    (a): the template cloned C times (parameters renamed pathParamName(N, i)),
    results summed by a chain of nn.add. (b): the paths up to the yielded
    groups-1 conv's input, nn.concat (axis 1), one conv whose weight N is the
    per-path weights concatenated along axis 1. (c): the template widened to
    C*k channels: dense convs on the block input with weights concatenated
    along axis 0, grouped convs (groups C*g), merged BNs, and the yielded conv
    with its weights concatenated along axis 1.

    Form (a) lowers nested aggregates too (outermost first, so parameter
    names follow PathNames.h); (b) and (c) leave nested aggregates with a
    remark. A template with no form (b)/(c) is left unchanged with a remark
    naming the op and the rule it breaks. The parameter map (input -> output
    instance parameters) is stored in the module attribute `nn.param_map`,
    composed after an existing one.
  }];
  let options = [
    Option<"form", "form", "std::string", /*default=*/"\"c\"",
           "target form: a, b or c">
  ];
}

def ConvertForm : Pass<"nn-convert-form", "::mlir::ModuleOp"> {
  let summary = "Convert blocks in any form (a), (b), (c) or nn.aggregate to one form";
  let description = [{
    Recognises blocks already in a concrete form: (a) an nn.add tree of C>=2
    values computed from one value by isomorphic subgraphs (same ops, attrs,
    shapes; different parameters); (b) a groups-1 conv on an axis-1 nn.concat
    of C>=2 such paths; (c) a grouped conv (groups G>=2, C=G) reached from the
    input by a dense conv and channelwise ops (nn.batch_norm, nn.relu),
    followed by channelwise ops up to a dense conv. Each is raised to an
    nn.aggregate (template names: path 0's names with their `path0` tag
    removed; names without the tags are taken as they are, and the other
    paths are renamed pathParamName(N, i)) and lowered to the requested form,
    together with the module's existing nn.aggregate ops. Blocks already in
    the requested form are left as they are. Candidates that match no form
    are left unchanged with a remark. The composed parameter map is stored in
    `nn.param_map`.
  }];
  let options = [
    Option<"form", "form", "std::string", /*default=*/"\"c\"",
           "target form: a, b or c">
  ];
}

#endif // CARDINAL_PASSES
