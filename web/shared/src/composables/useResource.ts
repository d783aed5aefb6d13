/** A page's data and its state: loading, empty, error, content — plus forbidden and not found, which an API
 * 403/404 becomes, so a page never goes blank. `<PageState>` renders whichever state applies. */
import { toProblem, type ApiProblem } from "../api/index";
import { onMounted, ref, shallowRef, type Ref, type ShallowRef } from "vue";

export type LoadState = "loading" | "empty" | "error" | "content" | "forbidden" | "notFound";

export interface Resource<T> {
  state: Ref<LoadState>;
  data: ShallowRef<T | null>;
  problem: Ref<ApiProblem | null>;
  reload: () => Promise<void>;
}

export function stateOf(problem: ApiProblem): LoadState {
  if (problem.status === 403) return "forbidden";
  if (problem.status === 404) return "notFound";
  return "error";
}

export function useResource<T>(
  loader: () => Promise<T>,
  options: { isEmpty?: (data: T) => boolean; immediate?: boolean } = {},
): Resource<T> {
  const state = ref<LoadState>("loading");
  const data = shallowRef<T | null>(null);
  const problem = ref<ApiProblem | null>(null);
  let latest = 0;

  async function reload(): Promise<void> {
    const call = ++latest;
    state.value = "loading";
    problem.value = null;
    try {
      const loaded = await loader();
      if (call !== latest) return; // a newer load (a filter changed) won
      data.value = loaded;
      state.value = options.isEmpty?.(loaded) ? "empty" : "content";
    } catch (error) {
      if (call !== latest) return;
      problem.value = toProblem(error);
      state.value = stateOf(problem.value);
    }
  }

  if (options.immediate !== false) onMounted(reload);
  return { state, data, problem, reload };
}
