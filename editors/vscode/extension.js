// Starts `stance lsp` for the workspace's rule and claims files.
const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration('stance');
  const command = config.get('path', 'stance');
  client = new LanguageClient(
    'stance',
    'stance',
    { command, args: ['lsp'] },
    {
      documentSelector: [
        { scheme: 'file', language: 'stance' },
        { scheme: 'file', language: 'stance-claims' },
      ],
      initializationOptions: {
        evaluate: config.get('evaluate', true),
        maxTuples: config.get('maxTuples', 1000000),
        timeoutMs: config.get('timeoutMs', 10000),
      },
      synchronize: { configurationSection: 'stance' },
    },
  );
  // `stance.showTuples` and `stance.explainOne` are run by the server (the code lenses call them).
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
