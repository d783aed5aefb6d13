/** A list the API pages by cursor (`{items, next_cursor}`): the first page as a resource with its states,
 * then "more" appends the next page. One shape for every such list of both apps.
 *
 *   const passes = usePagedList((cursor) => must(await api.GET("/passes", { params: { query: { cursor } } })));
 *   <PageState :state="passes.state.value" ...> <ElTable :data="passes.rows.value"> ...
 *   <ElButton v-if="passes.hasMore.value" :loading="passes.loadingMore.value" @click="passes.more">
 *
 * A filtered query may answer a short page with a cursor (DynamoDB filters after it reads a page):
 * `minRows` keeps following the cursor on the first load until that many rows are there, or the end. */
import { toProblem, type ApiProblem } from "../api/index";
import { computed, ref, shallowRef, type ComputedRef, type Ref, type ShallowRef } from "vue";

import { useResource, type Resource } from "./useResource";

export interface PageOf<T> {
  items: T[];
  next_cursor?: string | null;
}

export interface PagedList<T> extends Resource<T[]> {
  /** every row loaded so far; a page may replace one after an action (cancel, revoke) */
  rows: ShallowRef<T[]>;
  hasMore: ComputedRef<boolean>;
  loadingMore: Ref<boolean>;
  /** a failed "more": shown next to the button, the rows already loaded stay */
  moreProblem: Ref<ApiProblem | null>;
  more: () => Promise<void>;
  /** put an updated row in place of the one `same` matches */
  replace: (row: T, same: (a: T, b: T) => boolean) => void;
}

/** Pages followed at most on a first load with `minRows` (a bound, so a sparse filter cannot loop long). */
const MAX_FILL_PAGES = 10;

export function usePagedList<T>(
  fetchPage: (cursor: string | undefined) => Promise<PageOf<T>>,
  options: { immediate?: boolean; minRows?: number } = {},
): PagedList<T> {
  const rows = shallowRef<T[]>([]);
  const cursor = ref<string | null>(null);
  const loadingMore = ref(false);
  const moreProblem = ref<ApiProblem | null>(null);

  const resource = useResource(
    async () => {
      let page = await fetchPage(undefined);
      let loaded = page.items;
      for (let n = 1; n < MAX_FILL_PAGES && page.next_cursor && loaded.length < (options.minRows ?? 0); n++) {
        page = await fetchPage(page.next_cursor);
        loaded = [...loaded, ...page.items];
      }
      rows.value = loaded;
      cursor.value = page.next_cursor ?? null;
      moreProblem.value = null;
      return loaded;
    },
    { isEmpty: (items) => items.length === 0, immediate: options.immediate },
  );

  async function more(): Promise<void> {
    const after = cursor.value;
    if (!after || loadingMore.value) return;
    loadingMore.value = true;
    moreProblem.value = null;
    try {
      const next = await fetchPage(after);
      rows.value = [...rows.value, ...next.items];
      cursor.value = next.next_cursor ?? null;
    } catch (error) {
      moreProblem.value = toProblem(error);
    } finally {
      loadingMore.value = false;
    }
  }

  function replace(row: T, same: (a: T, b: T) => boolean): void {
    rows.value = rows.value.map((r) => (same(r, row) ? row : r));
  }

  return {
    ...resource,
    rows,
    hasMore: computed(() => cursor.value !== null),
    loadingMore,
    moreProblem,
    more,
    replace,
  };
}
