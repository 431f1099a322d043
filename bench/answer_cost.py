"""What a large `isg/*` answer costs the server in CPU, beside the graph question it answers (issue #21, query path).

    python -m bench.answer_cost                      # rust-100k (fetched into bench/.cache like `bench run`'s)
    python -m bench.answer_cost --corpus rust-500k --reps 10

In one process, on the corpus indexed in memory: for the traits with the most implementors and the functions with
the most callers, whoImplements, callers and blastRadius (depth 3) three ways: the graph question alone; the answer
as an attrs result structured by pygls' converter and encoded by ``json.dumps`` (what the server sent before the
answers became JSON text); and the answer written as JSON text by the folder's ``Locator`` (``P.JsonText``), when
this tree has it. Both forms are checked equal. CPU time (``time.process_time_ns``), the minimum of ``--reps``
calls: a shared machine's load stretches wall time, much less the CPU a call needs.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable


def _cpu_ms(call: Callable[[], object], reps: int) -> float:
    best = None
    for _ in range(reps):
        start = time.process_time_ns()
        call()
        spent = time.process_time_ns() - start
        best = spent if best is None or spent < best else best
    return (best or 0) / 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.answer_cost", description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="rust-100k")
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--targets", type=int, default=3, help="targets per request")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)

    from isg_lsp.analysis import Analysis, heuristic_count
    from isg_lsp.engine import Engine
    from isg_lsp.model import NodeKind
    from isg_lsp.server import convert
    from isg_lsp.server import protocol as P

    from . import corpora

    corpus = corpora.get(args.corpus, lambda message: print(message, file=sys.stderr))
    if corpus.error:
        print(f"{args.corpus}: not available ({corpus.error})", file=sys.stderr)
        return 1
    engine = Engine(corpus.path, persist=False)
    engine.index()
    analysis, locator = Analysis(engine), convert.Locator(engine.root)
    unstructure = P.converter_factory().unstructure
    has_text = hasattr(locator, "who_implements_text")
    nodes = [n for n in engine.graph.nodes.values() if not n.external]

    def most(kind: NodeKind, count: Callable) -> list:
        ranked = sorted((n for n in nodes if n.kind is kind), key=lambda n: (-len(count([n], True)), n.fqp))
        return ranked[: args.targets]

    traits = most(NodeKind.TRAIT, analysis.implementors)
    functions = most(NodeKind.FUNCTION, analysis.callers)

    def who_implements(node, text):
        related = analysis.implementors([node], True)
        if text:
            return locator.who_implements_text([node], related)
        return json.dumps(unstructure(P.WhoImplementsResult(locator.isg_nodes([node]), locator.with_edges(related),
                                                            heuristic_count(related))))

    def callers(node, text):
        related = analysis.callers([node], True)
        if text:
            return locator.calls_text([node], related)
        return json.dumps(unstructure(convert.calls_result(locator, [node], related)))

    def blast_radius(node, text):
        radius = analysis.impact([node], depth=3, limit=500)
        if text:
            return locator.blast_radius_text(analysis, [node], radius)
        return json.dumps(unstructure(locator.blast_radius(analysis, [node], radius)))

    requests = (
        ("whoImplements", "implementors", traits, who_implements, lambda n: analysis.implementors([n], True)),
        ("callers", "calls", functions, callers, lambda n: analysis.callers([n], True)),
        ("blastRadius d3", "impacted", traits + functions, blast_radius,
         lambda n: analysis.impact([n], depth=3, limit=500)),
    )
    print(f"{args.corpus}: {len(engine.graph.nodes):,} nodes; CPU ms, min of {args.reps} calls"
          + ("" if has_text else " (this tree has no JSON text answers)"))
    print("| request | target | answer | graph | attrs + converter + json.dumps | JSON text |")
    print("|---|---|---|---|---|---|")
    for label, field, targets, answer, question in requests:
        for node in targets:
            converted = answer(node, False)
            size = len(json.loads(converted)[field])
            text_ms = "n/a"
            if has_text:
                assert json.loads(answer(node, True)) == json.loads(converted), (label, node.fqp)
                text_ms = f"{_cpu_ms(lambda a=answer, n=node: a(n, True), args.reps):.3f}"
            graph_ms = _cpu_ms(lambda q=question, n=node: q(n), args.reps)
            converter_ms = _cpu_ms(lambda a=answer, n=node: a(n, False), args.reps)
            print(f"| {label} | `{node.fqp}` | {size} | {graph_ms:.3f} | {converter_ms:.3f} | {text_ms} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
