"""`hotline flow validate`: schema errors plus the graph checks a flow must pass before publishing.

Errors: dangling targets (a node id that does not exist), missing prompts (an id not in the
catalog), unreachable nodes, trap loops (nodes from which no path reaches a hangup: the caller is
stuck until they hang up) and busy loops (a cycle of nodes that never wait for the caller, which
would spin forever). Warnings: a menu without "0" for an agent, a menu from which an agent is more than two menu
levels away (both GB/T 33358), prompts without an English text.
"""

from __future__ import annotations

from collections.abc import Iterable

from ivr.flow import WAITING_TYPES, Flow, Problem, parse_flow, prompt_fields, setting_targets, targets
from ivr.flowmodel import MenuNode
from ivr.prompts import PromptCatalog

TERMINAL_TYPES = frozenset({"hangup"})


def _sccs(graph: dict[str, list[str]]) -> list[list[str]]:
    """Strongly connected components (iterative Tarjan), in a stable order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    result: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            v, i = work.pop()
            if i == 0:
                index[v] = low[v] = counter
                counter += 1
                stack.append(v)
                on_stack.add(v)
            succ = graph.get(v, [])
            if i < len(succ):
                work.append((v, i + 1))
                w = succ[i]
                if w not in index:
                    work.append((w, 0))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                result.append(sorted(comp))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
    return result


def _reachable(start: str, graph: dict[str, list[str]]) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for nxt in graph.get(todo.pop(), []):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def check_graph(flow: Flow, catalog: PromptCatalog | None) -> list[Problem]:
    problems: list[Problem] = []
    graph: dict[str, list[str]] = {}
    for key, target in setting_targets(flow):
        if target not in flow.nodes:
            problems.append(Problem("error", "dangling_target",
                                    f"setting '{key}' goes to '{target}', which is not a node"))
    for node in flow.nodes.values():
        edges = []
        for path, target in targets(node):
            if target not in flow.nodes:
                problems.append(Problem("error", "dangling_target",
                                        f"'{'.'.join(path)}' goes to '{target}', which is not a node",
                                        node.id, node.line_of(*path)))
            else:
                edges.append(target)
        graph[node.id] = edges
        if catalog is not None:
            for path, pid in prompt_fields(node):
                if pid not in catalog:
                    problems.append(Problem("error", "missing_prompt", f"prompt '{pid}' is not in the catalog",
                                            node.id, node.line_of(*path)))
                elif "en" not in catalog.entries[pid].text:
                    problems.append(Problem("warning", "missing_translation", f"prompt '{pid}' has no en text",
                                            node.id, node.line_of(*path)))
        if isinstance(node.model, MenuNode) and "0" not in {str(k) for k in node.model.options}:
            problems.append(Problem("warning", "no_agent_key", "menu has no '0' option for an agent",
                                    node.id, node.line_of("options")))

    for node_id, depth in agent_depth(flow, graph).items():
        if depth > 2:
            problems.append(Problem("warning", "deep_agent", f"an agent is {depth} menu levels away from this menu "
                                    "(GB/T 33358: at most two)", node_id, flow.nodes[node_id].line))

    reachable = _reachable(flow.start, graph) if flow.start in flow.nodes else set()
    for node in flow.nodes.values():
        if node.id not in reachable:
            problems.append(Problem("error", "unreachable", "no path from the start reaches this node",
                                    node.id, node.line))

    # Trap loops: reachable cycles from which no hangup node can be reached.
    reverse: dict[str, list[str]] = {n: [] for n in graph}
    for src, dsts in graph.items():
        for dst in dsts:
            reverse[dst].append(src)
    can_exit: set[str] = set()
    for node in flow.nodes.values():
        if node.type in TERMINAL_TYPES:
            can_exit |= _reachable(node.id, reverse)
    for comp in _sccs(graph):
        cyclic = len(comp) > 1 or comp[0] in graph.get(comp[0], [])
        if not cyclic or not reachable.intersection(comp):
            continue
        first = flow.nodes[comp[0]]
        if not can_exit.intersection(comp):
            problems.append(Problem("error", "trap_loop", f"loop without exit: {' -> '.join(comp)} never "
                                    "reaches a hangup", first.id, first.line))
        busy = [n for n in comp if flow.nodes[n].type not in WAITING_TYPES]
        if len(busy) == len(comp):
            problems.append(Problem("error", "busy_loop", f"loop without input: {' -> '.join(comp)} never waits "
                                    "for the caller and would repeat forever", first.id, first.line))
    return problems


def agent_depth(flow: Flow, graph: dict[str, list[str]]) -> dict[str, int]:
    """For each menu: how many menus a caller passes (itself included) to reach a `route` node."""
    import heapq

    routes = [n for n, node in flow.nodes.items() if node.type == "route"]
    reverse: dict[str, list[str]] = {n: [] for n in graph}
    for src, dsts in graph.items():
        for dst in dsts:
            reverse[dst].append(src)
    # Dijkstra backwards from the route nodes; entering a menu costs one level.
    best = {n: 0 for n in routes}
    heap = [(0, n) for n in routes]
    while heap:
        cost, node = heapq.heappop(heap)
        if cost > best.get(node, 1 << 30):
            continue
        for prev in reverse.get(node, []):
            c = cost + (1 if flow.nodes[prev].type == "menu" else 0)
            if c < best.get(prev, 1 << 30):
                best[prev] = c
                heapq.heappush(heap, (c, prev))
    return {n: best[n] for n, node in flow.nodes.items() if node.type == "menu" and n in best}


def validate_text(text: str, catalog: PromptCatalog | None = None) -> list[Problem]:
    """Every problem in a flow file, schema first, sorted by line."""
    flow, problems = parse_flow(text)
    if flow is not None:
        problems = problems + check_graph(flow, catalog if catalog is not None else PromptCatalog.load())
    return sorted(problems, key=lambda p: (p.line or 0, p.code))


def errors(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]
