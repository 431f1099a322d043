/** Read-only virtual documents (scheme "isg-view") for stats, query results and context. */
import * as vscode from "vscode";

export const VIEW_SCHEME = "isg-view";

export class ReadOnlyDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly contents = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private counter = 0;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? "This ISG view is no longer available; run its command again.";
  }

  /** Shows `text` in a read-only Markdown editor; `name` names the tab ("ISG Stats"). unique: a new tab each time. */
  async show(name: string, text: string, unique = false): Promise<vscode.TextEditor> {
    const base = unique ? `${name} ${++this.counter}` : name;
    const uri = vscode.Uri.from({ scheme: VIEW_SCHEME, path: `/${base}.md` });
    this.contents.set(uri.toString(), text);
    this.changed.fire(uri);
    const doc = await vscode.workspace.openTextDocument(uri);
    return vscode.window.showTextDocument(doc, { preview: !unique, viewColumn: vscode.ViewColumn.Beside });
  }

  dispose(): void {
    this.changed.dispose();
    this.contents.clear();
  }
}
