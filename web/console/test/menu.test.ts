/** Who sees which page: the menu shows a role only its pages, and each role lands on its first one. */
import { describe, expect, it } from "vitest";

import { allowed, homeFor, MENU, menuFor } from "../src/menu";

const names = (roles: string[]) => menuFor(roles).map((e) => e.name);

describe("menu by role", () => {
  it("shows a technician no money, staff, import or settings page", () => {
    expect(names(["technician"])).toEqual(["tickets", "devices"]);
  });

  it("shows finance the money page only, and lands there", () => {
    expect(names(["finance"])).toEqual(["money"]);
    expect(homeFor(["finance"])).toBe("/money");
  });

  it("shows the guard the visitors page only", () => {
    expect(names(["guard"])).toEqual(["visitors"]);
  });

  it("shows the manager every page and starts on Today", () => {
    expect(names(["manager"])).toEqual(MENU.map((e) => e.name));
    expect(homeFor(["manager"])).toBe("/today");
  });

  it("unions the pages of several roles", () => {
    expect(names(["finance", "guard"])).toEqual(["money", "visitors"]);
  });

  it("gives a resident or an unknown role nothing but the 403 page", () => {
    expect(names(["resident"])).toEqual([]);
    expect(homeFor(["resident"])).toBe("/forbidden");
    expect(homeFor([])).toBe("/forbidden");
  });

  it("lets anyone open a route without roles, and nobody a role-bound one without the role", () => {
    expect(allowed([], undefined)).toBe(true);
    expect(allowed(["technician"], ["manager", "finance"])).toBe(false);
    expect(allowed(["finance"], ["manager", "finance"])).toBe(true);
  });
});
