import type { IsgNode, NodeKind } from "../../src/protocol";

export function node(fqp: string, kind: NodeKind = "F", extra: Partial<IsgNode> = {}): IsgNode {
  const name = fqp.split(/::|\./).pop() ?? fqp;
  const kindName = { T: "trait", S: "struct", E: "enum", F: "function", M: "module", A: "assoc_type", G: "generic" }[kind];
  return {
    id: "0".repeat(32),
    kind,
    kindName,
    name,
    fqp,
    lang: "rust",
    signature: `${kindName} ${name}`,
    visibility: "pub",
    external: false,
    location: { uri: `file:///ws/src/${name.toLowerCase()}.rs`, range: { start: { line: 3, character: 4 }, end: { line: 5, character: 1 } } },
    ...extra,
  };
}
