// Loads a dynamic provider as Pulumi serialized it (the `__provider` input) the way the dynamic
// provider host does: compiled as a module next to our node_modules, then its `handler()` called.

import Module from "node:module";
import * as path from "node:path";

/** The provider in `serialized`, compiled as if it were components/cluster/<fileName>. */
export function loadSerializedProvider<T>(serialized: unknown, fileName: string): T {
    const file = path.join(__dirname, "..", "..", "components", "cluster", fileName);
    const mod = new Module(file);
    mod.filename = file;
    mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(path.dirname(file));
    (mod as unknown as { _compile(code: string, filename: string): void })._compile(String(serialized), file);
    return (mod.exports as { handler: () => T }).handler();
}
