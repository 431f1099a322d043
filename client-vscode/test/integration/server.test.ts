/**
 * Integration test: the real isg-lsp server (`$ISG_PYTHON -m isg_lsp serve`, default python3) over stdio, with the
 * extension's own initializationOptions, on the fixture crate test/fixture (copied to a temporary directory).
 *
 * Skips only when `import isg_lsp.server` fails in that Python; any other failure is a test failure.
 */
import { after, before, describe, it } from "node:test";
import { checks, loadFixture, type Fixture } from "./checks";
import { copyFixture, openDocument, pythonCommand, removeDir, serverImportProblem, startServer, waitUntilReady, type RunningServer } from "./harness";

const problem = serverImportProblem();
const skip = problem
  ? `SKIPPED: the isg-lsp server is not available: ${problem}. Install it (pip install -e . from the repository) or set ISG_PYTHON to a Python that has it.`
  : false;
if (skip) console.log(`# ${skip}`);

const title = `isg-lsp server over stdio (${pythonCommand()} -m isg_lsp serve)`;

if (skip) {
  // a skipped test (not only a skipped suite) so that the runner's summary counts it
  it(title, { skip }, () => undefined);
} else describe(title, { timeout: 180000 }, () => {
  let server: RunningServer | undefined;
  let fx: Fixture;
  let workspace = "";

  before(async () => {
    workspace = copyFixture();
    fx = loadFixture(workspace);
    server = await startServer(workspace);
    await openDocument(server, fx.shapes.uri, fx.shapes.text);
    await openDocument(server, fx.lib.uri, fx.lib.text);
    const stats = await waitUntilReady(server, 60000);
    console.log(`# server ready: ${stats.files} files, ${stats.nodes} nodes, ${stats.edges} edges`);
  });

  after(async () => {
    await server?.stop();
    if (workspace) removeDir(workspace);
  });

  for (const check of checks) {
    it(check.name, { timeout: 30000 }, async () => {
      if (!server) throw new Error("server did not start");
      try {
        await check.run(server, fx);
      } catch (e) {
        const tail = server.log.slice(-15).join("\n");
        if (e instanceof Error && tail) e.message += `\n--- last server log lines ---\n${tail}`;
        throw e;
      }
    });
  }
});
