"""The tutor's plan for one student on one problem: a small tree of nodes to work through.

Math and physics: one node per scaffold step, in order (CLASS subproblems). Debugging (TreeInstruct): one
node per bug, in dependency order, conceptual before syntactic; a conceptual bug has two children,
"understand" (can the student say what goes wrong?) then "fix" (does their code pass the tests that bug
broke?); a syntactic bug only needs the fix.

Inside a node the tutor walks a question ladder: a right answer moves one level deeper (the child, or the
next node); a wrong answer re-asks from another angle (the sibling: next hint); `teach_after` consecutive
failures switch to a short teaching move, after which questions resume. The tree is immutable:
`apply(update)` returns a new tree.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tutor.problems.schema import AnyProblem, DebuggingProblem

NodeKind = Literal["step", "bug", "understand", "fix"]
NodeStatus = Literal["pending", "active", "done"]
Outcome = Literal["advance", "retry", "teach", "attempt", "hold", "resolve"]


class PlanNode(BaseModel):
    """One subgoal: a scaffold step, a bug, or a bug's understand/fix child."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    kind: NodeKind
    ref: str = Field(description="The step id or bug id this node is about.")
    title: str
    parent: str | None = None
    depends_on: tuple[str, ...] = ()
    concepts: tuple[str, ...] = ()
    status: NodeStatus = "pending"
    attempts: int = 0
    failures: int = Field(0, description="Consecutive wrong answers at this node.")
    hint_level: int = Field(0, description="How far down the hint ladder the tutor has gone.")
    taught: bool = False


class PlanUpdate(BaseModel):
    """What happened at a node this turn."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    node_id: str
    outcome: Outcome


class PlanTree(BaseModel):
    """The nodes in teaching order (pre-order) and the one being worked on."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    problem_id: str
    nodes: tuple[PlanNode, ...]
    current: str | None = None
    teach_after: int = 3

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def for_problem(cls, problem: AnyProblem) -> PlanTree:
        nodes: list[PlanNode] = []
        if isinstance(problem, DebuggingProblem):
            for bug in problem.bug_order():
                nodes.append(
                    PlanNode(
                        id=bug.id,
                        kind="bug",
                        ref=bug.id,
                        title=bug.description,
                        depends_on=bug.depends_on,
                        concepts=bug.concepts,
                    )
                )
                if bug.kind == "conceptual":
                    nodes.append(
                        PlanNode(
                            id=f"{bug.id}.understand",
                            kind="understand",
                            ref=bug.id,
                            parent=bug.id,
                            title=f"Understand: {bug.description}",
                            concepts=bug.concepts,
                        )
                    )
                nodes.append(
                    PlanNode(
                        id=f"{bug.id}.fix",
                        kind="fix",
                        ref=bug.id,
                        parent=bug.id,
                        title=f"Fix: {bug.fix}",
                        concepts=bug.concepts,
                    )
                )
        else:
            previous: tuple[str, ...] = ()
            for step in problem.steps:
                nodes.append(
                    PlanNode(
                        id=step.id,
                        kind="step",
                        ref=step.id,
                        title=step.question,
                        depends_on=previous,
                        concepts=step.concepts or problem.concepts,
                    )
                )
                previous = (step.id,)
        return cls(problem_id=problem.id, nodes=tuple(nodes))._activate_next()

    # -- queries --------------------------------------------------------------------------------
    def node(self, node_id: str) -> PlanNode:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    @property
    def current_node(self) -> PlanNode | None:
        return self.node(self.current) if self.current else None

    @property
    def done(self) -> bool:
        return all(n.status == "done" for n in self.nodes)

    def children(self, node_id: str) -> list[PlanNode]:
        return [n for n in self.nodes if n.parent == node_id]

    def open_bugs(self) -> list[str]:
        return [n.ref for n in self.nodes if n.kind == "bug" and n.status != "done"]

    # -- updates --------------------------------------------------------------------------------
    def _replace(self, node: PlanNode, **changes: object) -> PlanTree:
        new = node.model_copy(update=changes)
        return self.model_copy(update={"nodes": tuple(new if n.id == node.id else n for n in self.nodes)})

    def _leaf_ready(self, node: PlanNode, done: set[str]) -> bool:
        if node.status == "done" or self.children(node.id):
            return False
        parent = self.node(node.parent) if node.parent else None
        deps = set(node.depends_on) | (set(parent.depends_on) if parent else set())
        return deps <= done

    def _activate_next(self) -> PlanTree:
        """Close parents whose children are done, then make the first ready leaf current."""
        tree = self
        for n in tree.nodes:
            kids = tree.children(n.id)
            if kids and n.status != "done" and all(k.status == "done" for k in kids):
                tree = tree._replace(n, status="done")
        done = {n.id for n in tree.nodes if n.status == "done"}
        for n in tree.nodes:
            if tree._leaf_ready(n, done):
                if n.status != "active":
                    tree = tree._replace(n, status="active")
                    if n.parent:
                        tree = tree._replace(tree.node(n.parent), status="active")
                return tree.model_copy(update={"current": n.id})
        return tree.model_copy(update={"current": None})

    def apply(self, update: PlanUpdate) -> PlanTree:
        """The tree after `update` (see the module docstring for the moves)."""
        node = self.node(update.node_id)
        if update.outcome == "advance":
            return self._replace(node, status="done", attempts=node.attempts + 1, failures=0)._activate_next()
        if update.outcome == "retry":
            return self._replace(
                node, attempts=node.attempts + 1, failures=node.failures + 1, hint_level=node.hint_level + 1
            )
        if update.outcome == "attempt":  # a wrong answer whose hint was held back (a hint budget)
            return self._replace(node, attempts=node.attempts + 1, failures=node.failures + 1)
        if update.outcome == "teach":
            return self._replace(
                node, attempts=node.attempts + 1, failures=0, taught=True, hint_level=node.hint_level + 1
            )
        if update.outcome == "resolve":  # a bug fixed in code: the bug and all its children are done
            tree = self
            for n in self.nodes:
                if n.ref == node.ref:
                    tree = tree._replace(n, status="done")
            return tree._activate_next()
        return self

    def needs_teaching(self, node_id: str) -> bool:
        """True when the next wrong answer at this node should get a teaching move."""
        return self.node(node_id).failures + 1 >= self.teach_after
