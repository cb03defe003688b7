import type { DistinctCounter } from './counters/index.js';
import type { Granularity } from './types.js';

/** One open window of one granularity. */
export interface WindowState {
  readonly start: number;
  readonly end: number;
  /** end + allowed lateness: when the window is final and freed. */
  readonly finalAt: number;
  /** Frames counted here directly (with cascading, finished children are merged in too). */
  readonly counter: DistinctCounter;
  frames: number;
  /** Revision number of the next result. */
  revision: number;
  /** Its on-time result (or its first, for a window born late) is out. */
  fired: boolean;
  /** Counted frames since its last result. */
  changed: boolean;
  lastEmitWatermark: number;
  /** Cascading: the windows of coarser granularities this one is merged into when final. */
  readonly parents: WindowState[];
  /** Cascading: open windows of finer granularities that will be merged into this one. */
  readonly children: Set<WindowState>;
  /** The windows of root granularities that contain this one; they hold the commit positions. */
  readonly roots: WindowState[];
  /** Commit safety, kept on root windows: the first position of each partition counted in it. */
  lastPartition: number;
  readonly firstPositions: Map<number, number>;
}

/** The open windows of one granularity. */
export class WindowStore {
  readonly windows = new Map<number, WindowState>();
  /** Most recently used window. */
  a: WindowState | null = null;
  /** The one used before it. */
  b: WindowState | null = null;
  /** Cascading: the nearest coarser counted granularities whose windows are unions of this one's. */
  parents: WindowStore[] = [];
  /** Not contained in any coarser counted granularity: its windows track commit positions. */
  isRoot = true;
  /** Receives frames directly (with cascading only the finest granularities do). */
  isLeaf = true;

  constructor(
    readonly granularity: Granularity,
    readonly method: 'exact' | 'hll',
  ) {}

  free(window: WindowState): void {
    this.windows.delete(window.start);
    if (this.a === window) this.a = null;
    if (this.b === window) this.b = null;
  }
}

/**
 * Which granularity's windows are exact unions of another's. Minutes are UTC
 * minutes and every zone in use is offset by whole minutes, so a minute lies
 * in one local hour; weeks cut across months and years, so nothing but days
 * and finer nests in a week, and a week nests in nothing.
 */
const NESTS_IN: Record<Granularity, readonly Granularity[]> = {
  minute: ['hour', 'day', 'week', 'month', 'year'],
  hour: ['day', 'week', 'month', 'year'],
  day: ['week', 'month', 'year'],
  week: [],
  month: ['year'],
  year: [],
};

/**
 * Links the stores: each store's nearest counted coarser granularities that
 * contain it (cascading only), which stores are roots, and which are leaves.
 */
export function planStores(stores: readonly WindowStore[], cascade: boolean): void {
  const byGranularity = new Map(stores.map((s) => [s.granularity, s]));
  for (const store of stores) {
    const containing = NESTS_IN[store.granularity].filter((g) => byGranularity.has(g));
    store.isRoot = containing.length === 0;
    if (!cascade) continue;
    // Nearest only: drop a container that contains another container.
    const nearest = containing.filter((g) => !containing.some((other) => other !== g && NESTS_IN[other].includes(g)));
    store.parents = nearest.map((g) => byGranularity.get(g)!);
  }
  for (const store of stores) {
    store.isLeaf = !cascade || !stores.some((other) => other.parents.includes(store));
  }
}
