/** Entry point of the ISG VS Code extension. */
import * as vscode from "vscode";
import { INVALID_PARAMS, Methods, type IsgMethod, type RequestTypes } from "./protocol";
import { classifyConfigChange } from "./logic/settings";
import { contextSummary, errorMessage, formatQueryResult, formatStats, pushHistory } from "./logic/format";
import { describeEdgeList, edgeListLocations, parseShowLocationsArgs, targetName } from "./logic/locations";
import { BlastRadiusProvider } from "./vscode/blastRadiusView";
import { targetAtCursor, toVsLocation, toVsPosition, toVsUri } from "./vscode/convert";
import { ReadOnlyDocuments, VIEW_SCHEME } from "./vscode/documents";
import { registerLanguageModelTools } from "./vscode/lmTools";
import { DOCUMENT_LANGUAGES, IsgServer, ServerNotRunningError, type ServerState } from "./vscode/server";
import { IsgStatusBar } from "./vscode/statusBar";

const QUERY_HISTORY_KEY = "isg.queryHistory";

/** What activate() returns: used by other extensions and by the @vscode/test-electron suite. */
export interface IsgExtensionApi {
  request<M extends IsgMethod>(method: M, params: RequestTypes[M]["params"]): Promise<RequestTypes[M]["result"]>;
  readonly state: ServerState;
  onDidChangeState: vscode.Event<ServerState>;
  restart(): Promise<void>;
  /** Any LSP request through the extension's client (used by the @vscode/test-electron suite). */
  sendRequest<R = unknown>(method: string, params: unknown): Promise<R>;
}

let server: IsgServer | undefined;

export function activate(context: vscode.ExtensionContext): IsgExtensionApi {
  const output = vscode.window.createOutputChannel("ISG Language Server");
  const docs = new ReadOnlyDocuments();
  const blast = new BlastRadiusProvider();

  const showLocations = async (args: unknown[]): Promise<void> => {
    const parsed = parseShowLocationsArgs(args);
    if (!parsed.ok) {
      void vscode.window.showErrorMessage(`ISG: cannot show locations: ${parsed.reason}.`);
      return;
    }
    const [uri, position, locations, title] = parsed.value;
    if (locations.length === 0) {
      void vscode.window.showInformationMessage(title ? `ISG: ${title}: nothing to show.` : "ISG: nothing to show.");
      return;
    }
    await vscode.commands.executeCommand("editor.action.showReferences", toVsUri(uri), toVsPosition(position), locations.map(toVsLocation));
  };

  const srv = new IsgServer(output, { showLocations }, context.extensionPath);
  server = srv;
  const status = new IsgStatusBar(srv);
  context.subscriptions.push(output, docs, blast, srv, status, vscode.workspace.registerTextDocumentContentProvider(VIEW_SCHEME, docs));
  void vscode.commands.executeCommand("setContext", "isg.languages", DOCUMENT_LANGUAGES);

  /** Runs a command body, turning failures into readable messages. */
  const guarded =
    (title: string, body: (...args: unknown[]) => Promise<void> | void) =>
    async (...args: unknown[]): Promise<void> => {
      try {
        await body(...args);
      } catch (e) {
        if (e instanceof ServerNotRunningError) {
          const choice = await vscode.window.showWarningMessage(`ISG: ${e.message}`, "Restart Server", "Show Output");
          if (choice === "Restart Server") await srv.restart();
          else if (choice === "Show Output") output.show(true);
          return;
        }
        const code = (e as { code?: unknown }).code;
        const msg = errorMessage(e);
        if (code === INVALID_PARAMS && /no node matches/i.test(msg)) {
          void vscode.window.showInformationMessage(`ISG ${title}: no declaration at the cursor. Place the cursor on a declaration's name (trait, type, function, method).`);
          return;
        }
        output.appendLine(`[${title}] ${msg}`);
        void vscode.window.showErrorMessage(`ISG ${title}: ${msg}`);
      }
    };

  const requireEditor = (): vscode.TextEditor => {
    const editor = vscode.window.activeTextEditor;
    if (!editor) throw new Error("open a file and place the cursor on a symbol first.");
    return editor;
  };

  const register = (id: string, title: string, body: (...args: unknown[]) => Promise<void> | void): void => {
    context.subscriptions.push(vscode.commands.registerCommand(id, guarded(title, body)));
  };

  register("isg.restartServer", "Restart Server", async () => {
    await srv.restart();
    if (srv.state === "running") void vscode.window.setStatusBarMessage("ISG: server restarted", 3000);
  });

  register("isg.showOutput", "Show Output", () => output.show(true));

  register("isg.showImplementations", "Show Implementations", async () => {
    const editor = requireEditor();
    const r = await srv.request(Methods.whoImplements, targetAtCursor(editor));
    const locations = edgeListLocations(r.implementors);
    if (locations.length === 0) {
      void vscode.window.showInformationMessage(`ISG: ${targetName(r.target)} has ${describeEdgeList(r.implementors, r.heuristicCount, "implementation")} in the workspace.`);
      return;
    }
    await vscode.commands.executeCommand("editor.action.showReferences", editor.document.uri, editor.selection.active, locations.map(toVsLocation));
  });

  register("isg.showCallers", "Show Callers", async () => {
    const editor = requireEditor();
    const r = await srv.request(Methods.callers, targetAtCursor(editor));
    const locations = edgeListLocations(r.calls);
    if (locations.length === 0) {
      void vscode.window.showInformationMessage(`ISG: ${targetName(r.target)} has ${describeEdgeList(r.calls, r.heuristicCount, "caller")} in the workspace.`);
      return;
    }
    await vscode.commands.executeCommand("editor.action.showReferences", editor.document.uri, editor.selection.active, locations.map(toVsLocation));
  });

  register("isg.blastRadius", "Blast Radius", async () => {
    const editor = requireEditor();
    const depth = srv.settings().blastRadiusDepth;
    const r = await vscode.window.withProgress(
      { location: { viewId: "isgBlastRadius" }, title: "Computing blast radius" },
      () => srv.request(Methods.blastRadius, { ...targetAtCursor(editor), depth }),
    );
    const tree = blast.set(r);
    await vscode.commands.executeCommand("isgBlastRadius.focus");
    void vscode.window.setStatusBarMessage(`ISG: ${tree.summary}`, 5000);
  });

  register("isg.blastRadius.clear", "Clear Blast Radius", () => blast.clear());

  register("isg.query", "Query", async () => {
    const history = context.globalState.get<string[]>(QUERY_HISTORY_KEY, []);
    const query = await pickQuery(history);
    if (!query) return;
    await context.globalState.update(QUERY_HISTORY_KEY, pushHistory(history, query));
    let r: RequestTypes["isg/query"]["result"];
    try {
      r = await srv.request(Methods.query, { query });
    } catch (e) {
      if ((e as { code?: unknown }).code === INVALID_PARAMS) {
        void vscode.window.showErrorMessage(`ISG query error: ${errorMessage(e)}`, { modal: false });
        return;
      }
      throw e;
    }
    await docs.show("ISG Query", formatQueryResult(query, r), true);
  });

  register("isg.copyContext", "Copy Context for AI", async () => {
    const editor = requireEditor();
    const r = await srv.request(Methods.context, targetAtCursor(editor));
    await vscode.env.clipboard.writeText(r.text);
    void vscode.window.showInformationMessage(`ISG: copied context for AI to the clipboard: ${contextSummary(r)}.`);
  });

  register("isg.showStats", "Statistics", async () => {
    const stats = await srv.request(Methods.stats, {});
    status.last = stats;
    await docs.show("ISG Stats", formatStats(stats));
  });

  context.subscriptions.push(...registerLanguageModelTools(srv, (m) => output.appendLine(m)));

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      const action = classifyConfigChange((section) => e.affectsConfiguration(section));
      if (action === "restart") {
        output.appendLine("ISG settings changed; restarting the server.");
        void srv.restart();
      } else if (action === "notify") {
        void srv.notifyConfiguration();
      }
      // "trace": vscode-languageclient reads isg.trace.server itself
    }),
    vscode.workspace.onDidSaveTextDocument(() => status.refresh()),
  );

  void srv.start();

  return {
    request: (method, params) => srv.request(method, params),
    get state() {
      return srv.state;
    },
    onDidChangeState: srv.onDidChangeState,
    restart: () => srv.restart(),
    sendRequest: (method, params) => srv.sendRaw(method, params),
  };
}

export async function deactivate(): Promise<void> {
  await server?.stop();
  server = undefined;
}

/** A quick pick over the query history that also accepts a new query typed in. */
function pickQuery(history: readonly string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    const qp = vscode.window.createQuickPick();
    qp.title = "ISG Query";
    qp.placeholder = "e.g. who-implements demo::shapes::Shape (Enter to run; ↑↓ for history)";
    qp.matchOnDescription = false;
    const historyItems = history.map((h) => ({ label: h, description: "history" }));
    qp.items = historyItems;
    qp.onDidChangeValue((value) => {
      const typed = value.trim();
      qp.items = typed && !history.includes(typed) ? [{ label: typed, description: "run" }, ...historyItems] : historyItems;
    });
    let done = false;
    qp.onDidAccept(() => {
      const chosen = qp.selectedItems[0]?.label ?? qp.value;
      done = true;
      qp.hide();
      resolve(chosen.trim() || undefined);
    });
    qp.onDidHide(() => {
      qp.dispose();
      if (!done) resolve(undefined);
    });
    qp.show();
  });
}
