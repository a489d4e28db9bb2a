#!/usr/bin/env node
// SPDX-FileCopyrightText: 2026 modelgate contributors
// SPDX-License-Identifier: Apache-2.0
//
// Mermaid's own parser (the version pinned in package.json, the one GitHub renders with)
// over diagram sources, offline. Reads a JSON array of diagram sources on stdin, prints a
// JSON array of {index, ok, type, error}. Exit 0: all parse; 1: some do not; 2: usage.
import DOMPurify from "dompurify";

// Without a browser window DOMPurify is an inert stub; parsing only needs its hooks to
// exist (sanitising labels changes what is drawn, never whether the source parses).
for (const name of ["addHook", "removeHook", "removeHooks", "removeAllHooks"]) {
  if (typeof DOMPurify[name] !== "function") DOMPurify[name] = () => {};
}
if (typeof DOMPurify.sanitize !== "function") DOMPurify.sanitize = (text) => String(text);
const { default: mermaid } = await import("mermaid");

async function main() {
  let input = "";
  for await (const chunk of process.stdin) input += chunk;
  const sources = JSON.parse(input);
  if (!Array.isArray(sources)) {
    process.stderr.write("parse.mjs: stdin must be a JSON array of strings\n");
    return 2;
  }
  mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });
  const results = [];
  for (const [index, source] of sources.entries()) {
    try {
      const parsed = await mermaid.parse(source);
      results.push({ index, ok: true, type: parsed.diagramType, error: null });
    } catch (error) {
      results.push({ index, ok: false, type: null, error: String(error.message ?? error) });
    }
  }
  process.stdout.write(JSON.stringify(results) + "\n");
  return results.every((r) => r.ok) ? 0 : 1;
}

main().then((code) => { process.exitCode = code; },
  (error) => { process.stderr.write(String(error.stack ?? error) + "\n"); process.exitCode = 2; });
