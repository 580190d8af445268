// The route extension: starts `route lsp` over stdio for .route files.
// Highlighting comes from syntaxes/route.tmLanguage.json; everything else
// (diagnostics, hover, completion, formatting, quick fixes) from the server.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("route");
  const command = config.get("server.path", "route");
  const args = ["lsp", ...config.get("server.extraArgs", [])];
  const serverOptions = {
    run: { command, args, transport: TransportKind.stdio },
    debug: { command, args, transport: TransportKind.stdio },
  };
  const clientOptions = {
    documentSelector: [{ scheme: "file", language: "route" }],
    // Lookup tables are read through the server too: open CSVs override the disk.
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/*.{route,csv}") },
  };
  client = new LanguageClient("route", "route language server", serverOptions, clientOptions);
  context.subscriptions.push(
    vscode.commands.registerCommand("route.restartServer", () => client.restart()),
  );
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
