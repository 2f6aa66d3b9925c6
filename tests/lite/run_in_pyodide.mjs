// Runs a Python program under Pyodide in Node, offline: the wheels come from a local folder.
// Usage: node run_in_pyodide.mjs WHEELS_DIR PROGRAM.py [HOST_PATH=PYODIDE_PATH ...]
// Each HOST_PATH file is copied into Pyodide's file system at PYODIDE_PATH before PROGRAM runs.
import { readFileSync, readdirSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { loadPyodide } from "pyodide";

const [wheels, program, ...copies] = process.argv.slice(2);

// Nothing may come from the network (no CDN): any fetch of a web address fails the run.
const localFetch = globalThis.fetch;
globalThis.fetch = (url, ...rest) => {
  if (/^https?:/.test(String(url))) throw new Error(`network access attempted: ${url}`);
  return localFetch(url, ...rest);
};

const pyodide = await loadPyodide({ stdout: (line) => console.log(line), stderr: (line) => console.error(line) });
const files = readdirSync(wheels).filter((name) => name.endsWith(".whl")).sort();
await pyodide.loadPackage(files.map((name) => resolve(join(wheels, name))), { messageCallback: () => {} });
for (const copy of copies) {
  const [from, to] = copy.split("=");
  pyodide.FS.mkdirTree(dirname(to));
  pyodide.FS.writeFile(to, readFileSync(from));
}
try {
  await pyodide.runPythonAsync(readFileSync(program, "utf8"));
} catch (error) {
  console.error(String(error));
  process.exit(1);
}
