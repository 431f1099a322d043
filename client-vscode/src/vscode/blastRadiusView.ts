/** The "ISG Blast Radius" tree view (id isgBlastRadius, in the explorer). */
import * as vscode from "vscode";
import type { BlastRadiusResult } from "../protocol";
import { buildBlastTree, iconForKind, type BlastGroup, type BlastLeaf, type BlastTree } from "../logic/blastTree";
import { toVsRange, toVsUri } from "./convert";

type Node = { type: "group"; group: BlastGroup } | { type: "leaf"; leaf: BlastLeaf };

export class BlastRadiusProvider implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private tree: BlastTree | undefined;
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  readonly view: vscode.TreeView<Node>;

  constructor() {
    this.view = vscode.window.createTreeView("isgBlastRadius", { treeDataProvider: this, showCollapseAll: true });
  }

  set(result: BlastRadiusResult): BlastTree {
    this.tree = buildBlastTree(result);
    this.view.message = this.tree.groups.length ? this.tree.summary : `${this.tree.summary}: nothing depends on it.`;
    this.changed.fire(undefined);
    void vscode.commands.executeCommand("setContext", "isg.blastRadius.hasResult", true);
    return this.tree;
  }

  clear(): void {
    this.tree = undefined;
    this.view.message = undefined;
    this.changed.fire(undefined);
    void vscode.commands.executeCommand("setContext", "isg.blastRadius.hasResult", false);
  }

  getChildren(element?: Node): Node[] {
    if (!this.tree) return [];
    if (!element) return this.tree.groups.map((group) => ({ type: "group", group }));
    if (element.type === "group") return element.group.items.map((leaf) => ({ type: "leaf", leaf }));
    return [];
  }

  getTreeItem(element: Node): vscode.TreeItem {
    if (element.type === "group") {
      const g = element.group;
      const item = new vscode.TreeItem(g.module, vscode.TreeItemCollapsibleState.Expanded);
      item.description = `${g.count}${g.heuristicCount ? ` (${g.heuristicCount} heuristic)` : ""}`;
      item.iconPath = new vscode.ThemeIcon("symbol-namespace");
      item.contextValue = "isgModule";
      return item;
    }
    const l = element.leaf;
    const item = new vscode.TreeItem(l.label, vscode.TreeItemCollapsibleState.None);
    item.description = l.description;
    item.tooltip = l.tooltip;
    item.iconPath = new vscode.ThemeIcon(
      iconForKind(l.kindName, l.heuristic),
      l.heuristic ? new vscode.ThemeColor("list.warningForeground") : undefined,
    );
    item.contextValue = l.heuristic ? "isgImpactedHeuristic" : "isgImpacted";
    if (l.location) {
      item.resourceUri = toVsUri(l.location.uri);
      item.command = {
        command: "vscode.open",
        title: "Open",
        arguments: [toVsUri(l.location.uri), { selection: toVsRange(l.location.range) } satisfies vscode.TextDocumentShowOptions],
      };
    }
    return item;
  }

  dispose(): void {
    this.view.dispose();
    this.changed.dispose();
  }
}
