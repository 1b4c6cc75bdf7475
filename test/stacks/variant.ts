// The example stack with a change to its configuration, written with its account description into
// a fresh folder, as `npm run plan -- --config <file>` finds them.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";

const STACKS = path.join(__dirname, "..", "..", "stacks");
export const EXAMPLE = path.join(STACKS, "Pulumi.example.yaml");

/** Writes `Pulumi.<name>.yaml` (the example with `change` applied) and `<name>.account.yaml`; returns the stack file. */
export function writeStackVariant(name: string, change: (config: Record<string, unknown>) => void): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-stack-"));
    const doc = yaml.load(fs.readFileSync(EXAMPLE, "utf8")) as { config: Record<string, unknown> };
    change(doc.config);
    const file = path.join(dir, `Pulumi.${name}.yaml`);
    fs.writeFileSync(file, yaml.dump(doc));
    fs.copyFileSync(path.join(STACKS, "example.account.yaml"), path.join(dir, `${name}.account.yaml`));
    return file;
}
