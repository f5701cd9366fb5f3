// Renders per unchanged poll: React's and Vue's useUnread on a store whose source keeps answering
// the same count, beside a naive hook/composable that sets state on every poll. In happy-dom.
import type { UnreadSource, UnreadStore } from '@crisp-unread/core';
import { useUnread } from '@crisp-unread/react';
import { Window } from 'happy-dom';
import { createElement as h, version as reactVersion, useEffect, useState } from 'react';
import { type Group, type Row, round, sleep, waitFor } from '../util';

const pollIntervalMs = 100;

/** Puts a happy-dom window's globals on `globalThis` (what a DOM test environment does). */
function installDom(): Window {
  const window = new Window({ url: 'http://localhost/' });
  const host = globalThis as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(window)) {
    if (name in host) continue;
    try {
      host[name] = (window as unknown as Record<string, unknown>)[name];
    } catch {
      // A getter that refuses outside its window: not needed here.
    }
  }
  host.window = window;
  host.document = window.document;
  host.navigator = window.navigator;
  return window;
}

/** A source that always answers 3, counting its reads. */
function steadySource(scope: string) {
  const source = {
    reads: 0,
    kind: 'bench-steady',
    scope,
    async read() {
      source.reads++;
      return 3;
    },
  };
  return source satisfies UnreadSource;
}

type SteadySource = ReturnType<typeof steadySource>;

/** Renders per poll once `shown()` holds: over `polls` polls of `reads()`. */
async function perPoll(
  renders: () => number,
  reads: () => number,
  shown: () => boolean,
  polls: number,
): Promise<number> {
  await waitFor(shown, 'the first count on screen');
  await sleep(pollIntervalMs / 2);
  const renders0 = renders();
  const reads0 = reads();
  await waitFor(() => reads() >= reads0 + polls, `${polls} polls`, polls * pollIntervalMs * 10);
  await sleep(pollIntervalMs / 2);
  return (renders() - renders0) / (reads() - reads0);
}

// React: the components under test. react-dom, which looks for a DOM as it loads, is imported
// once happy-dom is in place.
const counters = { project: 0, naive: 0 };

function Badge({ store }: { store: UnreadStore }) {
  counters.project++;
  const { count } = useUnread(store);
  return h('span', { id: 'project' }, String(count));
}

/** The naive hook: a new state object on every poll. */
function useNaiveUnread(source: SteadySource) {
  const [state, setState] = useState<{ count: number | null }>({ count: null });
  useEffect(() => {
    const timer = setInterval(async () => {
      setState({ count: await source.read() });
    }, pollIntervalMs);
    return () => clearInterval(timer);
  }, [source]);
  return state;
}

function NaiveBadge({ source }: { source: SteadySource }) {
  counters.naive++;
  const { count } = useNaiveUnread(source);
  return h('span', { id: 'naive' }, String(count));
}

export const renders: Group = async ({ quick, log }) => {
  const polls = quick ? 8 : 30;
  const dom = installDom();
  const { createUnreadStore } = await import('@crisp-unread/core');
  const { QueryClient } = await import('@tanstack/query-core');
  const rows: Row[] = [];
  const storeOn = (source: UnreadSource) =>
    createUnreadStore({
      source,
      sessionId: `session_${crypto.randomUUID()}`,
      pollIntervalMs,
      queryClient: new QueryClient(),
      crossTab: false,
    });

  // React
  {
    log(`React: renders over ${polls} unchanged polls`);
    const { createRoot } = await import('react-dom/client');
    const project = steadySource('bench-react');
    const store = storeOn(project);
    const naive = steadySource('bench-react-naive');

    const container = dom.document.createElement('div');
    dom.document.body.appendChild(container);
    const root = createRoot(container as unknown as Element);
    root.render(h('div', null, h(Badge, { store }), h(NaiveBadge, { source: naive })));
    const text = (id: string) => dom.document.getElementById(id)?.textContent;
    const [value, baseline] = await Promise.all([
      perPoll(
        () => counters.project,
        () => project.reads,
        () => text('project') === '3',
        polls,
      ),
      perPoll(
        () => counters.naive,
        () => naive.reads,
        () => text('naive') === '3',
        polls,
      ),
    ]);
    root.unmount();
    store.dispose();
    rows.push({
      group: 'renders',
      metric: 'React useUnread, renders per unchanged poll',
      value: round(value),
      unit: 'renders/poll',
      baseline: round(baseline),
      baselineLabel: 'naive useState+setInterval hook',
      goal: '0',
      pass: value === 0,
      note: `${polls} polls, react-dom ${reactVersion} production, happy-dom`,
    });
  }

  // Vue
  {
    log(`Vue: renders over ${polls} unchanged polls`);
    const { defineComponent, h, onUnmounted, shallowRef, version } = await import('vue');
    const { mount } = await import('@vue/test-utils');
    const { useUnread: useVueUnread } = await import('@crisp-unread/vue');

    const project = steadySource('bench-vue');
    const store = storeOn(project);
    let projectRenders = 0;
    const Badge = defineComponent({
      setup() {
        // biome-ignore lint/correctness/useHookAtTopLevel: a Vue composable, called in setup()
        const { count } = useVueUnread(store);
        return () => {
          projectRenders++;
          return h('span', String(count.value));
        };
      },
    });

    const naive = steadySource('bench-vue-naive');
    let naiveRenders = 0;
    const naiveComposable = () => {
      const state = shallowRef<{ count: number | null }>({ count: null });
      const timer = setInterval(async () => {
        state.value = { count: await naive.read() };
      }, pollIntervalMs);
      onUnmounted(() => clearInterval(timer));
      return state;
    };
    const NaiveBadge = defineComponent({
      setup() {
        const state = naiveComposable();
        return () => {
          naiveRenders++;
          return h('span', String(state.value.count));
        };
      },
    });

    const projectWrapper = mount(Badge);
    const naiveWrapper = mount(NaiveBadge);
    const [value, baseline] = await Promise.all([
      perPoll(
        () => projectRenders,
        () => project.reads,
        () => projectWrapper.text() === '3',
        polls,
      ),
      perPoll(
        () => naiveRenders,
        () => naive.reads,
        () => naiveWrapper.text() === '3',
        polls,
      ),
    ]);
    projectWrapper.unmount();
    naiveWrapper.unmount();
    store.dispose();
    rows.push({
      group: 'renders',
      metric: 'Vue useUnread, renders per unchanged poll',
      value: round(value),
      unit: 'renders/poll',
      baseline: round(baseline),
      baselineLabel: 'naive shallowRef reassigned per poll',
      goal: '0',
      pass: value === 0,
      note: `${polls} polls, vue ${version} production, happy-dom, @vue/test-utils`,
    });
  }

  await dom.happyDOM.abort();
  await dom.happyDOM.close();
  return rows;
};
