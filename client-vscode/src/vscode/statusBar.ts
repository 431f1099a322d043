/** Status bar item: indexing progress (polling isg/stats while state == "indexing"), then the node count. */
import * as vscode from "vscode";
import { Methods, type StatsResult } from "../protocol";
import { statusBarText, statusBarTooltip } from "../logic/format";
import type { IsgServer } from "./server";

const INDEXING_POLL_MS = 2000;
const READY_POLL_MS = 15000;

export class IsgStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("isg.status", vscode.StatusBarAlignment.Left, 10);
  private timer: NodeJS.Timeout | undefined;
  private disposed = false;
  last: StatsResult | null = null;

  constructor(private readonly server: IsgServer) {
    this.item.name = "ISG";
    this.item.command = "isg.showStats";
    this.render();
    this.item.show();
    server.onDidChangeState((state) => {
      if (state !== "running") this.last = null;
      this.render();
      if (state === "running") this.poll(0);
    });
  }

  private render(): void {
    const state = this.server.state;
    this.item.text = statusBarText(this.last, state);
    if (state === "failed") {
      this.item.tooltip = `isg-lsp could not start: ${this.server.lastError ?? "see the output"}\nClick to show the output`;
      this.item.command = "isg.showOutput";
      this.item.backgroundColor = new vscode.ThemeColor("statusBarItem.errorBackground");
    } else {
      this.item.tooltip = state === "stopped" ? "isg-lsp is stopped" : statusBarTooltip(this.last);
      this.item.command = "isg.showStats";
      this.item.backgroundColor = undefined;
    }
  }

  /** Fetch stats now (e.g. after a save) and keep polling. */
  refresh(): void {
    this.poll(0);
  }

  private poll(delay: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), delay);
  }

  private async tick(): Promise<void> {
    if (this.disposed || this.server.state !== "running") return;
    try {
      this.last = await this.server.request(Methods.stats, {});
    } catch {
      // keep the last value; the server may be busy or restarting
    }
    this.render();
    this.poll(this.last?.state === "ready" ? READY_POLL_MS : INDEXING_POLL_MS);
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.item.dispose();
  }
}
