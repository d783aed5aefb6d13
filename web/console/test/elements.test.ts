/** Element Plus on demand: every SFC imports the components it uses and their styles (nothing is registered
 * globally, so a tag without its import would render as an unknown element with no style). */
import { describe, expect, it } from "vitest";

const sources = import.meta.glob<string>("../src/**/*.vue", { query: "?raw", import: "default", eager: true });

function kebab(component: string): string {
  return component.slice(2).replace(/(?<!^)([A-Z])/g, "-$1").toLowerCase();
}

describe("Element Plus imports", () => {
  const files = Object.entries(sources);

  it("reads the console's pages", () => {
    expect(files.length).toBeGreaterThan(30);
  });

  it.each(files)("%s imports each El component it uses, with its style", (_path, text) => {
    const used = new Set([...text.matchAll(/<(El[A-Z][A-Za-z]+)/g)].map((m) => m[1]!));
    const imported = new Set(
      [...text.matchAll(/import \{([^}]*)\} from "element-plus";/g)].flatMap((m) => m[1]!.split(",").map((n) => n.trim())),
    );
    for (const component of used) {
      expect(imported, `${component} is not imported`).toContain(component);
      expect(text, `${component} has no style import`).toContain(`import "element-plus/es/components/${kebab(component)}/style/css";`);
    }
  });

  it("never pulls the whole Element Plus stylesheet into a page", () => {
    for (const [path, text] of files) expect(text, path).not.toContain("element-plus/dist/index.css");
  });
});
