/** Protocol JSON shapes -> vscode types. */
import * as vscode from "vscode";
import type { Location, Position, Range } from "../protocol";

export function toVsPosition(p: Position): vscode.Position {
  return new vscode.Position(p.line, p.character);
}

export function toVsRange(r: Range): vscode.Range {
  return new vscode.Range(toVsPosition(r.start), toVsPosition(r.end));
}

export function toVsUri(uri: string): vscode.Uri {
  return vscode.Uri.parse(uri, true);
}

export function toVsLocation(l: Location): vscode.Location {
  return new vscode.Location(toVsUri(l.uri), toVsRange(l.range));
}

export function targetAtCursor(editor: vscode.TextEditor): { textDocument: { uri: string }; position: Position } {
  const pos = editor.selection.active;
  return { textDocument: { uri: editor.document.uri.toString() }, position: { line: pos.line, character: pos.character } };
}
