import { describe, expect, it } from "vitest";

import { ApiFailure, apiProblem } from "../src/api/index";
import { usePagedList, type PageOf } from "../src/composables/usePagedList";
import { stateOf, useResource } from "../src/composables/useResource";

/** A fake API: pages of numbers by cursor, each call recorded. */
function pages(data: number[][]) {
  const calls: Array<string | undefined> = [];
  const fetchPage = async (cursor: string | undefined): Promise<PageOf<number>> => {
    calls.push(cursor);
    const index = cursor ? Number(cursor) : 0;
    const next = index + 1 < data.length ? String(index + 1) : null;
    return { items: data[index] ?? [], next_cursor: next };
  };
  return { calls, fetchPage };
}

describe("usePagedList", () => {
  it("shows the first page, then appends the next one on 'more' until the cursor runs out", async () => {
    const api = pages([[1, 2], [3], [4]]);
    const list = usePagedList(api.fetchPage, { immediate: false });
    await list.reload();
    expect(list.state.value).toBe("content");
    expect(list.rows.value).toEqual([1, 2]);
    expect(list.hasMore.value).toBe(true);
    await list.more();
    await list.more();
    expect(list.rows.value).toEqual([1, 2, 3, 4]);
    expect(list.hasMore.value).toBe(false);
    await list.more(); // nothing left: no call
    expect(api.calls).toEqual([undefined, "1", "2"]);
  });

  it("starts over on reload (a filter changed) instead of appending to the old rows", async () => {
    const api = pages([[1], [2]]);
    const list = usePagedList(api.fetchPage, { immediate: false });
    await list.reload();
    await list.more();
    await list.reload();
    expect(list.rows.value).toEqual([1]);
    expect(list.hasMore.value).toBe(true);
  });

  it("is empty when the first page has nothing", async () => {
    const list = usePagedList(pages([[]]).fetchPage, { immediate: false });
    await list.reload();
    expect(list.state.value).toBe("empty");
  });

  it("follows short pages of a filtered query up to minRows on the first load", async () => {
    const api = pages([[], [1], [], [2, 3], [4]]);
    const list = usePagedList(api.fetchPage, { immediate: false, minRows: 3 });
    await list.reload();
    expect(list.rows.value).toEqual([1, 2, 3]);
    expect(api.calls).toEqual([undefined, "1", "2", "3"]);
    expect(list.hasMore.value).toBe(true);
  });

  it("keeps the rows and says so when 'more' fails", async () => {
    let fail = false;
    const api = pages([[1], [2]]);
    const list = usePagedList(
      async (cursor) => {
        if (fail) throw new ApiFailure(apiProblem(503, { error: { code: "unavailable", message: "try later", details: [] } }));
        return api.fetchPage(cursor);
      },
      { immediate: false },
    );
    await list.reload();
    fail = true;
    await list.more();
    expect(list.rows.value).toEqual([1]);
    expect(list.moreProblem.value?.status).toBe(503);
    expect(list.loadingMore.value).toBe(false);
    expect(list.hasMore.value).toBe(true);
  });

  it("puts an updated row in place", async () => {
    const list = usePagedList(pages([[1, 2, 3]]).fetchPage, { immediate: false });
    await list.reload();
    list.replace(20, (a, b) => a * 10 === b);
    expect(list.rows.value).toEqual([1, 20, 3]);
  });
});

describe("useResource", () => {
  it("turns a 403 and a 404 into their own states, never a blank page", async () => {
    expect(stateOf(apiProblem(403, {}))).toBe("forbidden");
    expect(stateOf(apiProblem(404, {}))).toBe("notFound");
    const missing = useResource(
      async () => {
        throw new ApiFailure(apiProblem(404, { error: { code: "not_found", message: "ticket not found", details: [] } }));
      },
      { immediate: false },
    );
    await missing.reload();
    expect(missing.state.value).toBe("notFound");
  });

  it("lets the newest load win when an older one answers late", async () => {
    const answers: Array<(value: string) => void> = [];
    const resource = useResource(() => new Promise<string>((resolve) => answers.push(resolve)), { immediate: false });
    const first = resource.reload();
    const second = resource.reload();
    answers[1]?.("new");
    answers[0]?.("old");
    await Promise.all([first, second]);
    expect(resource.data.value).toBe("new");
  });
});
